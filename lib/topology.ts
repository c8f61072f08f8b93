import { Annotations, Aspects, type IAspect, Stack, Token } from 'aws-cdk-lib';
import { type IConstruct, Node } from 'constructs';
import { editDistance } from './private/edit-distance';
import { isRegionOrToken, regionHint } from './private/regions';

/** A region's part in the pair. */
export enum DrRegionRole {
  /** Serves devices while healthy; owns the journal's global table. */
  PRIMARY = 'primary',
  /** Holds an up-to-date copy of the registry and takes over when the primary fails. */
  SECONDARY = 'secondary',
}

/** The AWS accounts of the architecture, as 12-digit strings. */
export interface DrAccounts {
  /** Route 53 failover records, health checks and their aggregator, the failover notifier. */
  readonly sharedServices: string;
  /** AWS IoT Core, the registry replication pipeline and the regional health API. */
  readonly iotServices: string;
  /** The device-management API (onboard, suspend, resume, decommission). */
  readonly commandControl: string;
  /** The analytics event buses and telemetry consumers. */
  readonly dataAnalytics: string;
}

export interface DrTopologyProps {
  /** The four accounts, as 12-digit strings. */
  readonly accounts: DrAccounts;
  /** Region serving devices while healthy, e.g. 'us-west-2'. */
  readonly primaryRegion: string;
  /** Region taking over on failure, e.g. 'us-east-1'; must differ from the primary. */
  readonly secondaryRegion: string;
  /** Domain under which the failover records live (`iot.<domainName>`, `api.<domainName>`). */
  readonly domainName: string;
}

const ACCOUNT_FIELDS = ['sharedServices', 'iotServices', 'commandControl', 'dataAnalytics'] as const;
const TOP_FIELDS = ['accounts', 'primaryRegion', 'secondaryRegion', 'domainName'] as const;
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Where the disaster-recovery platform lives: four accounts, a primary and a secondary region, and the
 * domain of the failover records. Validated on construction; every error names the field and the form
 * it must take.
 */
export class DrTopology {
  /** The cdk.json context key `fromContext` reads. */
  static readonly CONTEXT_KEY = 'iot-dr:topology';

  /**
   * Placeholder topology for synthesizing the example app without configuration: accounts
   * 111111111111 (shared services), 222222222222 (IoT services), 333333333333 (command and control),
   * 444444444444 (data analytics); us-west-2 primary, us-east-1 secondary; example.com.
   */
  static readonly DEFAULT = new DrTopology({
    accounts: {
      sharedServices: '111111111111',
      iotServices: '222222222222',
      commandControl: '333333333333',
      dataAnalytics: '444444444444',
    },
    primaryRegion: 'us-west-2',
    secondaryRegion: 'us-east-1',
    domainName: 'example.com',
  });

  /**
   * Reads the topology from the context key `iot-dr:topology` (cdk.json `context`, or
   * `-c iot-dr:topology='<json>'`), falling back to `DrTopology.DEFAULT` when it is not set. The fallback
   * adds a warning to the app's first stack, so a forgotten topology does not deploy to placeholder
   * accounts unnoticed; a context key that looks like a misspelling of `iot-dr:topology` (or any other
   * `iot-dr:` key) is an error.
   *
   * @param scope the app, or any construct (or construct node) in it
   */
  static fromContext(scope: IConstruct | Node): DrTopology {
    const node = scope instanceof Node ? scope : scope.node;
    checkContextKeys(node);
    const raw: unknown = node.tryGetContext(DrTopology.CONTEXT_KEY);
    if (raw === undefined) {
      warnOfPlaceholder(node.root);
      return DrTopology.DEFAULT;
    }
    const where = `context '${DrTopology.CONTEXT_KEY}'`;
    let value = raw;
    if (typeof raw === 'string') {
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new Error(`${where} must be a JSON object: ${(err as Error).message}`);
      }
    }
    return new DrTopology(value as DrTopologyProps, where);
  }

  /** The four accounts. */
  readonly accounts: DrAccounts;
  /** Region serving devices while healthy. */
  readonly primaryRegion: string;
  /** Region taking over on failure. */
  readonly secondaryRegion: string;
  /** Domain of the failover records, lower-cased. */
  readonly domainName: string;

  /**
   * @param props the topology
   * @param source where the values came from, for error messages
   */
  constructor(props: DrTopologyProps, source = 'DrTopology') {
    const fail = (msg: string): never => {
      throw new Error(`${source}: ${msg}`);
    };
    if (props === null || typeof props !== 'object' || Array.isArray(props)) {
      fail(`must be an object with ${TOP_FIELDS.join(', ')}`);
    }
    const unknownTop = Object.keys(props).filter((k) => !(TOP_FIELDS as readonly string[]).includes(k));
    if (unknownTop.length > 0) {
      fail(`unknown field(s) ${unknownTop.join(', ')}; allowed: ${TOP_FIELDS.join(', ')}`);
    }
    const accounts = props.accounts as unknown;
    if (accounts === null || typeof accounts !== 'object' || Array.isArray(accounts)) {
      fail(`accounts must be an object with ${ACCOUNT_FIELDS.join(', ')}`);
    }
    const unknownAccounts = Object.keys(accounts as object).filter((k) => !(ACCOUNT_FIELDS as readonly string[]).includes(k));
    if (unknownAccounts.length > 0) {
      fail(`unknown account(s) ${unknownAccounts.join(', ')}; allowed: ${ACCOUNT_FIELDS.join(', ')}`);
    }
    for (const field of ACCOUNT_FIELDS) {
      const id = (accounts as Record<string, unknown>)[field];
      if (typeof id !== 'string' || !/^\d{12}$/.test(id)) {
        fail(`accounts.${field} must be a 12-digit AWS account id as a string, e.g. "123456789012", got ${JSON.stringify(id)}`);
      }
    }
    for (const field of ['primaryRegion', 'secondaryRegion'] as const) {
      const region = props[field];
      if (typeof region !== 'string' || Token.isUnresolved(region) || !isRegionOrToken(region)) {
        fail(`${field} must be an AWS region name such as "us-west-2", got ${JSON.stringify(region)}${regionHint(region, '"')}`);
      }
    }
    if (props.primaryRegion === props.secondaryRegion) {
      fail(`primaryRegion and secondaryRegion must differ, both are "${props.primaryRegion}"`);
    }
    const domain = typeof props.domainName === 'string' ? props.domainName.toLowerCase() : props.domainName;
    if (
      typeof domain !== 'string' ||
      domain.length > 253 ||
      domain.split('.').length < 2 ||
      !domain.split('.').every((label) => DNS_LABEL.test(label))
    ) {
      fail(
        `domainName must be a DNS name of at least two labels (letters, digits, hyphens; 1-63 characters each, ` +
          `no trailing dot), such as "example.com", got ${JSON.stringify(props.domainName)}`,
      );
    }

    this.accounts = { ...(accounts as DrAccounts) };
    this.primaryRegion = props.primaryRegion;
    this.secondaryRegion = props.secondaryRegion;
    this.domainName = domain as string;
  }

  /** The region that plays `role`. */
  regionOf(role: DrRegionRole): string {
    return role === DrRegionRole.PRIMARY ? this.primaryRegion : this.secondaryRegion;
  }

  /** The other region of the pair. */
  peerOf(role: DrRegionRole): string {
    return role === DrRegionRole.PRIMARY ? this.secondaryRegion : this.primaryRegion;
  }
}

/** Context keys that look meant for this library but are not `iot-dr:topology`: any `iot-dr:` key, or one at most two edits away. */
function checkContextKeys(node: Node): void {
  const keys = Object.keys(node.getAllContext() as Record<string, unknown>);
  for (const key of keys) {
    if (key === DrTopology.CONTEXT_KEY) continue;
    if (key.toLowerCase().startsWith('iot-dr:') || editDistance(key.toLowerCase(), DrTopology.CONTEXT_KEY) <= 2) {
      throw new Error(
        `context key '${key}' is not one cdk-iot-dr reads: did you mean '${DrTopology.CONTEXT_KEY}'? ` +
          '(set it in the "context" of cdk.json, or with -c on the command line)',
      );
    }
  }
}

const warnedApps = new WeakSet<IConstruct>();

/**
 * Warns that the placeholder topology is in use. Warnings on the app itself reach no stack's metadata, so
 * the warning goes to the first stack an aspect meets: `cdk synth` prints it once.
 */
function warnOfPlaceholder(root: IConstruct): void {
  if (warnedApps.has(root)) return;
  warnedApps.add(root);
  let warned = false;
  const aspect: IAspect = {
    visit(construct: IConstruct): void {
      if (warned || !Stack.isStack(construct)) return;
      warned = true;
      Annotations.of(construct).addWarningV2(
        'cdk-iot-dr:placeholderTopology',
        `no '${DrTopology.CONTEXT_KEY}' context is set, so DrTopology.DEFAULT's placeholder accounts (111111111111 to ` +
          '444444444444) and domain example.com are used: set your topology in the "context" of cdk.json before deploying',
      );
    },
  };
  Aspects.of(root).add(aspect);
}
