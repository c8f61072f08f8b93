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

/** The regional health API URLs of one region, one per workload account. */
export interface DrWorkloadHealthApiUrls {
  /** The iot-services stack's `HealthApiUrl` output (`https://<id>.execute-api.<region>.amazonaws.com/v1/health`). */
  readonly iotServices: string;
  /** The command-control stack's `HealthApiUrl` output. */
  readonly commandControl: string;
  /** The data-analytics stack's `HealthApiUrl` output. */
  readonly dataAnalytics: string;
}

/** The regional health API URLs of both regions. */
export interface DrHealthApiUrls {
  /** The primary region's. */
  readonly primary: DrWorkloadHealthApiUrls;
  /** The secondary region's. */
  readonly secondary: DrWorkloadHealthApiUrls;
}

/** ARNs of existing ACM certificates for `iot.<domain>`, one per region, in the iot-services account. */
export interface DrIotCertificateArns {
  /** A certificate in the primary region. */
  readonly primary: string;
  /** A certificate in the secondary region. */
  readonly secondary: string;
}

/**
 * The regional domain names of the command API's custom domain `api.<domain>`, one per region: the
 * command-control stack's `ApiRegionalDomainName` output (`d-<id>.execute-api.<region>.amazonaws.com`).
 */
export interface DrApiDomainNames {
  /** The primary region's. */
  readonly primary: string;
  /** The secondary region's. */
  readonly secondary: string;
}

/**
 * What the analytics wiring needs that only exists once the data-analytics account is deployed.
 */
export interface DrAnalyticsSettings {
  /**
   * Id of the EventBridge global endpoint the primary data-analytics stack creates: its `GlobalEndpointId`
   * output, e.g. 'abcde12345.veo'. The telemetry forwarders put events through it (SigV4a), so telemetry
   * follows the endpoint's failover.
   *
   * @default - the forwarders put events on their own region's analytics bus (SigV4); synthesis warns
   */
  readonly globalEndpointId?: string;
}

/**
 * What failover needs that only exists once the workload accounts are deployed or set up: values copied from
 * the AWS accounts into the topology. Without `healthApiUrls` the deployment creates the workload accounts'
 * health APIs only (phase one); with them, the aggregators, the Route 53 failover, the notifier and the
 * Region switch plan (phase two).
 */
export interface DrFailoverSettings {
  /**
   * The iot-services account's IoT Core data endpoint prefix, the same in every region of an account:
   * `aws iot describe-endpoint --endpoint-type iot:Data-ATS` prints `<prefix>-ats.iot.<region>.amazonaws.com`;
   * give `<prefix>`, e.g. 'a1b2c3d4e5f6g7'.
   */
  readonly iotEndpointPrefix: string;

  /**
   * Id of the existing public hosted zone of `domainName` in the shared-services account, e.g. 'Z0123456789ABCDEFGHIJ'.
   *
   * @default - the us-east-1 shared-services stack creates a public hosted zone for `domainName`: delegate the
   * domain to its name servers (stack output `HostedZoneNameServers`)
   */
  readonly hostedZoneId?: string;

  /**
   * The regional health API URLs: the `HealthApiUrl` outputs of the iot-services, command-control and
   * data-analytics stacks of each region after a first deployment.
   *
   * @default - phase one: the workload accounts' health APIs are created, the shared-services failover is not
   * (synthesis warns which outputs to copy here)
   */
  readonly healthApiUrls?: DrHealthApiUrls;

  /**
   * Existing ACM certificates for `iot.<domainName>` in the iot-services account.
   *
   * @default - each iot-services stack requests one (in phase two) validated by DNS: its deployment waits until
   * the validation CNAME ACM shows is created in the domain's hosted zone (in the shared-services account)
   */
  readonly iotCertificateArns?: DrIotCertificateArns;

  /**
   * The command API's regional domain names (`ApiRegionalDomainName` outputs of the command-control stacks),
   * the targets of the `api.<domainName>` failover records.
   *
   * @default - no `api.<domainName>` records: operators call each region's API by its own domain (synthesis warns)
   */
  readonly apiDomainNames?: DrApiDomainNames;

  /**
   * Whether the primary region's shared-services stack holds an AWS ARC Region switch plan.
   *
   * @default true
   */
  readonly regionSwitchPlan?: boolean;

  /**
   * The recovery time objective, in seconds: synthesis fails when the failover's worst-case estimate exceeds it.
   *
   * @default 60
   */
  readonly recoveryTimeObjectiveSeconds?: number;
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
  /**
   * Values failover needs from the deployed accounts (see `DrFailoverSettings`).
   *
   * @default - phase one: the workload accounts' health APIs only, with a synthesis warning
   */
  readonly failover?: DrFailoverSettings;
  /**
   * Values the analytics wiring needs from the deployed data-analytics account (see `DrAnalyticsSettings`).
   *
   * @default - telemetry goes to each region's own analytics bus until the global endpoint's id is given
   */
  readonly analytics?: DrAnalyticsSettings;
}

const ACCOUNT_FIELDS = ['sharedServices', 'iotServices', 'commandControl', 'dataAnalytics'] as const;
const TOP_FIELDS = ['accounts', 'primaryRegion', 'secondaryRegion', 'domainName', 'failover', 'analytics'] as const;
const FAILOVER_FIELDS = [
  'iotEndpointPrefix',
  'hostedZoneId',
  'healthApiUrls',
  'iotCertificateArns',
  'apiDomainNames',
  'regionSwitchPlan',
  'recoveryTimeObjectiveSeconds',
] as const;
const ANALYTICS_FIELDS = ['globalEndpointId'] as const;
/** `d-<id>.execute-api.<region>.amazonaws.com[.cn]`: an API Gateway custom domain's regional domain name. */
const API_REGIONAL_DOMAIN = /^d-[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
/** An EventBridge global endpoint id: `<name part>.<suffix>`, e.g. 'abcde12345.veo'. */
const GLOBAL_ENDPOINT_ID = /^[A-Za-z0-9-]{1,50}\.[A-Za-z0-9-]{1,20}$/;
const HEALTH_API_FIELDS = ['iotServices', 'commandControl', 'dataAnalytics'] as const;
const ROLE_FIELDS = ['primary', 'secondary'] as const;
/** `https://<api id>.execute-api.<region>.amazonaws.com[.cn]/...` */
const EXECUTE_API_URL = /^https:\/\/[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//;
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
   * 444444444444 (data analytics); us-west-2 primary, us-east-1 secondary; example.com; and placeholder
   * failover values (IoT endpoint prefix 'a1b2c3d4e5f6g7', health API URLs of API ids 'pppppppp01' to
   * 'ssssssss03', command API domains 'd-pppppppp04' and 'd-ssssssss04') and a placeholder analytics global
   * endpoint id ('abcde12345.veo'), so the example app synthesizes every stack.
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
    failover: {
      iotEndpointPrefix: 'a1b2c3d4e5f6g7',
      healthApiUrls: {
        primary: {
          iotServices: 'https://pppppppp01.execute-api.us-west-2.amazonaws.com/v1/health',
          commandControl: 'https://pppppppp02.execute-api.us-west-2.amazonaws.com/v1/health',
          dataAnalytics: 'https://pppppppp03.execute-api.us-west-2.amazonaws.com/v1/health',
        },
        secondary: {
          iotServices: 'https://ssssssss01.execute-api.us-east-1.amazonaws.com/v1/health',
          commandControl: 'https://ssssssss02.execute-api.us-east-1.amazonaws.com/v1/health',
          dataAnalytics: 'https://ssssssss03.execute-api.us-east-1.amazonaws.com/v1/health',
        },
      },
      apiDomainNames: {
        primary: 'd-pppppppp04.execute-api.us-west-2.amazonaws.com',
        secondary: 'd-ssssssss04.execute-api.us-east-1.amazonaws.com',
      },
    },
    analytics: { globalEndpointId: 'abcde12345.veo' },
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
  /** Values failover needs from the deployed accounts, when given. */
  readonly failover?: DrFailoverSettings;
  /** Values the analytics wiring needs from the deployed data-analytics account, when given. */
  readonly analytics?: DrAnalyticsSettings;

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
    if (props.failover !== undefined) this.failover = checkFailover(props.failover, props.primaryRegion, props.secondaryRegion, fail);
    if (props.analytics !== undefined) this.analytics = checkAnalytics(props.analytics, fail);
  }

  /**
   * The IoT Core data endpoint of the iot-services account in the region playing `role`
   * (`<iotEndpointPrefix>-ats.iot.<region>.amazonaws.com`), when `failover` is given.
   */
  iotDataEndpointOf(role: DrRegionRole): string | undefined {
    return this.failover ? `${this.failover.iotEndpointPrefix}-ats.iot.${this.regionOf(role)}.amazonaws.com` : undefined;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkFields(value: unknown, where: string, allowed: readonly string[], fail: (msg: string) => never): Record<string, unknown> {
  if (!isObject(value)) return fail(`${where} must be an object with ${allowed.join(', ')}`);
  const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) fail(`unknown field(s) ${unknown.map((k) => `${where}.${k}`).join(', ')}; allowed: ${allowed.join(', ')}`);
  return value;
}

/** Validates `failover`, naming each field and the form it must take; returns a copy. */
function checkFailover(raw: unknown, primaryRegion: string, secondaryRegion: string, fail: (msg: string) => never): DrFailoverSettings {
  const f = checkFields(raw, 'failover', FAILOVER_FIELDS, fail);
  const prefix = f.iotEndpointPrefix;
  if (typeof prefix !== 'string' || !/^[a-z0-9]{6,40}$/.test(prefix)) {
    const hint = typeof prefix === 'string' && /^([a-z0-9]+)-ats\./.exec(prefix);
    fail(
      'failover.iotEndpointPrefix must be the prefix of the iot-services account\'s IoT data endpoint (lower-case letters and digits), ' +
        `e.g. "a1b2c3d4e5f6g7" from "a1b2c3d4e5f6g7-ats.iot.us-west-2.amazonaws.com" (aws iot describe-endpoint --endpoint-type iot:Data-ATS), ` +
        `got ${JSON.stringify(prefix)}${hint ? `; did you mean "${hint[1]}"?` : ''}`,
    );
  }
  const zone = f.hostedZoneId;
  if (zone !== undefined && (typeof zone !== 'string' || !/^Z[A-Z0-9]{1,31}$/.test(zone))) {
    fail(
      `failover.hostedZoneId must be a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ" (without "/hostedzone/"), got ${JSON.stringify(zone)}`,
    );
  }
  for (const field of ['regionSwitchPlan'] as const) {
    if (f[field] !== undefined && typeof f[field] !== 'boolean') fail(`failover.${field} must be true or false, got ${JSON.stringify(f[field])}`);
  }
  const rto = f.recoveryTimeObjectiveSeconds;
  if (rto !== undefined && (typeof rto !== 'number' || !Number.isInteger(rto) || rto < 1 || rto > 86400)) {
    fail(`failover.recoveryTimeObjectiveSeconds must be a whole number of seconds between 1 and 86400, got ${JSON.stringify(rto)}`);
  }
  const regions = { primary: primaryRegion, secondary: secondaryRegion };
  let healthApiUrls: DrHealthApiUrls | undefined;
  if (f.healthApiUrls !== undefined) {
    const byRole = checkFields(f.healthApiUrls, 'failover.healthApiUrls', ROLE_FIELDS, fail);
    const copy: Record<string, DrWorkloadHealthApiUrls> = {};
    for (const role of ROLE_FIELDS) {
      const urls = checkFields(byRole[role], `failover.healthApiUrls.${role}`, HEALTH_API_FIELDS, fail);
      for (const account of HEALTH_API_FIELDS) {
        const where = `failover.healthApiUrls.${role}.${account}`;
        const url = urls[account];
        if (typeof url !== 'string' || !/^https:\/\/[^\s/]+\/\S*$/.test(url)) {
          fail(
            `${where} must be an https URL: the HealthApiUrl output of the ${account} stack in the ${role} region ` +
              `(https://<id>.execute-api.${regions[role]}.amazonaws.com/v1/health), got ${JSON.stringify(url)}`,
          );
        }
        const region = EXECUTE_API_URL.exec(url as string)?.[1];
        if (region !== undefined && region !== regions[role]) {
          fail(`${where} is an API of ${region}, but the ${role} region is ${regions[role]}: copy the output of the ${role} region's stack`);
        }
      }
      copy[role] = { iotServices: urls.iotServices as string, commandControl: urls.commandControl as string, dataAnalytics: urls.dataAnalytics as string };
    }
    healthApiUrls = { primary: copy.primary, secondary: copy.secondary };
  }
  let iotCertificateArns: DrIotCertificateArns | undefined;
  if (f.iotCertificateArns !== undefined) {
    const arns = checkFields(f.iotCertificateArns, 'failover.iotCertificateArns', ROLE_FIELDS, fail);
    for (const role of ROLE_FIELDS) {
      const arn = arns[role];
      const match = typeof arn === 'string' ? /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/[A-Za-z0-9-]+$/.exec(arn) : null;
      if (!match) {
        fail(`failover.iotCertificateArns.${role} must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got ${JSON.stringify(arn)}`);
      }
      if (match![1] !== regions[role]) {
        fail(`failover.iotCertificateArns.${role} is a certificate of ${match![1]}, but the ${role} region is ${regions[role]}`);
      }
    }
    iotCertificateArns = { primary: arns.primary as string, secondary: arns.secondary as string };
  }
  let apiDomainNames: DrApiDomainNames | undefined;
  if (f.apiDomainNames !== undefined) {
    const names = checkFields(f.apiDomainNames, 'failover.apiDomainNames', ROLE_FIELDS, fail);
    for (const role of ROLE_FIELDS) {
      const name = names[role];
      const match = typeof name === 'string' ? API_REGIONAL_DOMAIN.exec(name) : null;
      if (!match) {
        fail(
          `failover.apiDomainNames.${role} must be the ApiRegionalDomainName output of the ${role} region's command-control stack ` +
            `(d-<id>.execute-api.${regions[role]}.amazonaws.com), got ${JSON.stringify(name)}`,
        );
      }
      if (match![1] !== regions[role]) {
        fail(`failover.apiDomainNames.${role} is a domain of ${match![1]}, but the ${role} region is ${regions[role]}: copy the output of the ${role} region's stack`);
      }
    }
    apiDomainNames = { primary: names.primary as string, secondary: names.secondary as string };
  }
  return {
    iotEndpointPrefix: prefix as string,
    ...(zone !== undefined ? { hostedZoneId: zone as string } : {}),
    ...(healthApiUrls ? { healthApiUrls } : {}),
    ...(iotCertificateArns ? { iotCertificateArns } : {}),
    ...(apiDomainNames ? { apiDomainNames } : {}),
    ...(f.regionSwitchPlan !== undefined ? { regionSwitchPlan: f.regionSwitchPlan as boolean } : {}),
    ...(rto !== undefined ? { recoveryTimeObjectiveSeconds: rto as number } : {}),
  };
}

/** Validates `analytics`; returns a copy. */
function checkAnalytics(raw: unknown, fail: (msg: string) => never): DrAnalyticsSettings {
  const a = checkFields(raw, 'analytics', ANALYTICS_FIELDS, fail);
  const id = a.globalEndpointId;
  if (id !== undefined && (typeof id !== 'string' || !GLOBAL_ENDPOINT_ID.test(id))) {
    fail(
      'analytics.globalEndpointId must be the GlobalEndpointId output of the primary region\'s data-analytics stack ' +
        `(an EventBridge global endpoint id such as "abcde12345.veo", not its URL), got ${JSON.stringify(id)}`,
    );
  }
  return id !== undefined ? { globalEndpointId: id as string } : {};
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
