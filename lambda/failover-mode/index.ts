#!/usr/bin/env node
/**
 * The operator's failover-mode command (package bin `cdk-iot-dr-failover`, built to
 * assets/failover-mode/index.js; `FailoverRouting.failoverModeCommand` and the stack output
 * `FailoverModeCommand` print it filled in):
 *
 *   npx cdk-iot-dr-failover <auto|force-primary|force-secondary> \
 *     --primary-region us-west-2 --secondary-region us-east-1 \
 *     --primary-health-check <id> --secondary-health-check <id> \
 *     [--hosted-zone-id <zone> --record-name active-region.<domain> --ttl 10] \
 *     [--parameter /cdk-iot-dr/failover/mode] [--dry-run]
 *
 * Run it with credentials of the shared-services account. It acts on the Route 53 health checks through
 * the Route 53 API (global, served from us-east-1), so it works while an aggregator or a whole region is
 * down; then it writes the SSM mode parameter in each reachable region and UPSERTs the TXT record (best
 * effort, reported). Exit status 0 when the health checks were switched, 1 otherwise, 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { Route53Client } from '@aws-sdk/client-route-53';
import { DEFAULT_MANUAL_MODE_PARAMETER_NAME, isManualMode, MANUAL_MODES } from '../contract/health';
import { modeParameterWriter } from '../failover/config';
import { applyManualMode, planHealthChecks, type FailoverTargets, type ManualModeDependencies } from '../failover/manual-mode';

const USAGE =
  `usage: cdk-iot-dr-failover <${MANUAL_MODES.join('|')}> --primary-region <r> --secondary-region <r> ` +
  '--primary-health-check <id> --secondary-health-check <id> [--hosted-zone-id <zone> --record-name <name> --ttl <s>] ' +
  `[--parameter <ssm name, default ${DEFAULT_MANUAL_MODE_PARAMETER_NAME}>] [--dry-run]`;

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Runs the command; returns the exit status. `deps` are injectable for tests. */
export async function main(argv: readonly string[], io: CliIo = { out: console.log, err: console.error }, deps?: Partial<ManualModeDependencies>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'primary-region': { type: 'string' },
        'secondary-region': { type: 'string' },
        'primary-health-check': { type: 'string' },
        'secondary-health-check': { type: 'string' },
        'hosted-zone-id': { type: 'string' },
        'record-name': { type: 'string' },
        ttl: { type: 'string' },
        parameter: { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const mode = positionals[0];
  const missing = ['primary-region', 'secondary-region', 'primary-health-check', 'secondary-health-check'].filter((k) => !values[k as keyof typeof values]);
  if (positionals.length !== 1 || !isManualMode(mode) || missing.length > 0) {
    const why = !isManualMode(mode) ? `mode must be one of ${MANUAL_MODES.join(', ')}, got '${mode ?? ''}'` : missing.length > 0 ? `missing --${missing.join(', --')}` : 'one mode only';
    io.err(`${why}\n${USAGE}`);
    return 2;
  }
  if (!!values['hosted-zone-id'] !== !!values['record-name']) {
    io.err(`--hosted-zone-id and --record-name go together\n${USAGE}`);
    return 2;
  }
  const ttl = values.ttl === undefined ? 10 : Number(values.ttl);
  if (!Number.isSafeInteger(ttl) || ttl < 0) {
    io.err(`--ttl must be a whole number of seconds, got '${values.ttl}'\n${USAGE}`);
    return 2;
  }
  const targets: FailoverTargets = {
    primaryRegion: values['primary-region']!,
    secondaryRegion: values['secondary-region']!,
    healthCheckIds: { primary: values['primary-health-check']!, secondary: values['secondary-health-check']! },
    ...(values['hosted-zone-id'] ? { hostedZoneId: values['hosted-zone-id'], activeRegionRecordName: values['record-name']! } : {}),
    recordTtlSeconds: ttl,
    modeParameterName: values.parameter ?? DEFAULT_MANUAL_MODE_PARAMETER_NAME,
  };

  if (values['dry-run']) {
    for (const o of planHealthChecks(mode, targets.healthCheckIds)) {
      io.out(`would call route53 UpdateHealthCheck --health-check-id ${o.healthCheckId} Disabled=${o.disabled} Inverted=${o.inverted} (${o.role})`);
    }
    io.out(`would write SSM ${targets.modeParameterName}=${mode} in ${targets.primaryRegion} and ${targets.secondaryRegion}`);
    if (targets.hostedZoneId) io.out(`would UPSERT TXT ${targets.activeRegionRecordName} in ${targets.hostedZoneId}`);
    return 0;
  }

  try {
    const result = await applyManualMode(mode, targets, {
      route53: deps?.route53 ?? new Route53Client({ region: 'us-east-1' }),
      putModeParameter: deps?.putModeParameter ?? modeParameterWriter(),
      log: (line) => io.err(line),
    });
    io.out(JSON.stringify(result));
    io.out(
      `mode ${mode}: Route 53 now sends devices to ${result.activeRegion} once the health checks settle ` +
        '(a forced check takes effect within one interval × threshold; resolvers follow within the record TTL)',
    );
    const problems = [
      ...Object.entries(result.modeParameter).filter(([, v]) => v !== 'ok').map(([r, v]) => `SSM parameter in ${r}: ${v}`),
      ...(result.activeRegionRecord === 'ok' || result.activeRegionRecord === 'skipped' ? [] : [`TXT record: ${result.activeRegionRecord}`]),
    ];
    if (problems.length > 0) io.err(`not done (best effort; re-run when the region is back): ${problems.join('; ')}`);
    return 0;
  } catch (err) {
    io.err(`failed: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
