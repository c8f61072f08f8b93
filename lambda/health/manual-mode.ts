/**
 * The manual mode as the aggregator sees it: an SSM parameter in its own region, read with SSM's JSON API
 * (SigV4, no SDK client) and reused for a few seconds. The aggregator is one of two places the mode acts:
 * the operator command also changes the Route 53 health checks, so the mode holds when this region is down.
 */
import { DEFAULT_MANUAL_MODE, DEFAULT_MANUAL_MODE_CACHE_MS, isManualMode, ManualMode } from '../contract';
import { VerdictCache } from './aggregate';
import { Clock, describeError, SYSTEM_CLOCK } from './run-checks';
import { CredentialsProvider, sendSigned } from '../shared/signed-request';

/** Reads the parameter's raw value; `undefined` when it does not exist. */
export type ParameterReader = () => Promise<string | undefined>;

export interface SsmParameterReaderOptions {
  readonly parameterName: string;
  readonly region: string;
  readonly credentials: CredentialsProvider;
  readonly timeoutMs: number;
  /** @default `https://ssm.<region>.amazonaws.com` (`.com.cn` in China regions) */
  readonly endpoint?: string;
}

export function ssmEndpoint(region: string): string {
  return `https://ssm.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/`;
}

export function ssmParameterReader(options: SsmParameterReaderOptions): ParameterReader {
  const url = options.endpoint ?? ssmEndpoint(options.region);
  return async () => {
    const answer = await sendSigned(
      {
        url,
        method: 'POST',
        service: 'ssm',
        region: options.region,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.GetParameter' },
        body: JSON.stringify({ Name: options.parameterName }),
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      options.credentials,
    );
    if (answer.status === 200) {
      const value = (JSON.parse(answer.body) as { Parameter?: { Value?: string } }).Parameter?.Value;
      return value?.trim();
    }
    if (answer.status === 400 && answer.body.includes('ParameterNotFound')) return undefined;
    throw new Error(`SSM GetParameter ${options.parameterName}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
  };
}

export interface ManualModeCacheOptions {
  readonly read: ParameterReader;
  /** @default DEFAULT_MANUAL_MODE_CACHE_MS */
  readonly ttlMs?: number;
  readonly clock?: Clock;
  readonly log?: (message: string) => void;
}

/**
 * The current manual mode, read at most once per `ttlMs`. A missing parameter means `auto`; an unreadable
 * one keeps the last mode read (an outage of SSM must not undo an operator's decision), `auto` if none; a
 * value that is not a mode means `auto`, logged.
 */
export class ManualModeCache {
  private readonly cache: VerdictCache<ManualMode>;
  private lastKnown: ManualMode | undefined;

  constructor(private readonly options: ManualModeCacheOptions) {
    this.cache = new VerdictCache<ManualMode>({ ttlMs: options.ttlMs ?? DEFAULT_MANUAL_MODE_CACHE_MS, clock: options.clock ?? SYSTEM_CLOCK });
  }

  get(): Promise<ManualMode> {
    return this.cache.get(() => this.read());
  }

  private async read(): Promise<ManualMode> {
    const log = this.options.log ?? console.warn;
    try {
      const raw = await this.options.read();
      if (raw === undefined || raw === '') {
        this.lastKnown = DEFAULT_MANUAL_MODE;
      } else if (isManualMode(raw)) {
        this.lastKnown = raw;
      } else {
        log(`manual mode: '${raw}' is not one of auto, force-primary, force-secondary; using auto`);
        this.lastKnown = DEFAULT_MANUAL_MODE;
      }
      return this.lastKnown;
    } catch (error) {
      const fallback = this.lastKnown ?? DEFAULT_MANUAL_MODE;
      log(`manual mode: could not read the parameter (${describeError(error)}); using ${fallback}`);
      return fallback;
    }
  }
}
