import { CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct, type IConstruct } from 'constructs';
import type { FailoverRegionOptions, FailoverRoutingProps } from './failover-routing-props';
import {
  DEFAULT_AGGREGATOR_TIMEOUT_SECONDS,
  DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS,
  DEFAULT_FAILURE_THRESHOLD,
  DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS,
  DEFAULT_RECORD_TTL_SECONDS,
  DEFAULT_RECOVERY_TIME_OBJECTIVE_SECONDS,
  describeRto,
  estimateRto,
  type RtoEstimate,
  type RtoInputs,
} from './rto';
import { ACTIVE_REGION_RECORD_PREFIX } from '../../lambda/contract/failover';
import { HEALTH_PATH, HEALTHY_SEARCH_STRING } from '../../lambda/contract/health';
import { checkRegion, propError } from '../private/validate';

/**
 * DNS failover of the device endpoint `iot.<domain>` and the command API `api.<domain>` between two regions,
 * in the shared-services account (Route 53 is global; its health-check metrics live in us-east-1, where
 * `FailoverNotifier` watches them).
 *
 * One Route 53 HTTPS health check per region calls that region's `HealthCheckAggregator` (10 s interval,
 * threshold 3, looking for `"status":"HEALTHY"`); PRIMARY and SECONDARY CNAME records point `iot.<domain>` at
 * each region's IoT Core data endpoint (which accepts the name through the region's `IotCustomDomain`) and
 * `api.<domain>` at each region's API Gateway domain; the TXT record `active-region.<domain>` names the
 * region devices should be on (written here with the primary, then UPSERTed by the operator command and
 * the region-switch plan).
 *
 * The worst-case recovery time (`estimatedRto`, stack output `EstimatedRtoSeconds`) is
 * `interval × threshold + aggregator timeout + record TTL + device re-resolve period` — 57 s with the
 * defaults — and synth fails when it exceeds `recoveryTimeObjective`. Synth also fails when any PRIMARY
 * failover record in the stack has no health check (Route 53 would then never fail it over).
 *
 * Manual mode: `failoverModeCommand` prints the operator command (`npx cdk-iot-dr-failover ...`), which acts
 * on these health checks directly (disable / invert), so it works while an aggregator or a region is down.
 * A later deployment that changes a health check resets it to `auto`: run the command again if needed.
 */
export class FailoverRouting extends Construct {
  /**
   * The worst-case recovery time of the given settings, in seconds (see `estimatedRto`):
   * detection = interval × threshold + aggregator timeout; DNS = record TTL; reconnect = device re-resolve period.
   */
  static estimateRto(inputs: RtoInputs): RtoEstimate {
    return estimateRto(inputs);
  }

  /** Route 53 health check of the primary region's aggregator. */
  readonly primaryHealthCheck: route53.HealthCheck;
  /** Route 53 health check of the secondary region's aggregator. */
  readonly secondaryHealthCheck: route53.HealthCheck;
  /** The worst-case recovery time of these settings. */
  readonly estimatedRto: Duration;
  /** Its breakdown, in seconds. */
  readonly rtoEstimate: RtoEstimate;
  /** The settings the estimate was made from. */
  readonly rtoInputs: RtoInputs;
  /** TTL of the failover records. */
  readonly recordTtl: Duration;
  /** `iot.<domain>`. */
  readonly iotRecordName: string;
  /** `api.<domain>`, when the regions' API domain names were given. */
  readonly apiRecordName?: string;
  /** `active-region.<domain>`: a TXT record holding the active region's name. */
  readonly activeRegionRecordName: string;
  /** The hosted zone of the records. */
  readonly hostedZone: route53.IHostedZone;
  /** The primary region. */
  readonly primaryRegion: string;
  /** The primary region's endpoints, as given. */
  readonly primary: FailoverRegionOptions;
  /** The secondary region's endpoints, as given. */
  readonly secondary: FailoverRegionOptions;
  /** The secondary region. */
  readonly secondaryRegion: string;
  /**
   * The operator's manual-mode command (replace `<mode>` with auto, force-primary or force-secondary); run with
   * credentials of the shared-services account allowed what `grantManualMode` grants (and ssm:PutParameter).
   */
  readonly failoverModeCommand: string;

  constructor(scope: Construct, id: string, props: FailoverRoutingProps) {
    super(scope, id);
    const interval = props.healthCheckInterval ?? Duration.seconds(DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS);
    const threshold = props.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.recordTtl = props.recordTtl ?? Duration.seconds(DEFAULT_RECORD_TTL_SECONDS);
    const aggregatorTimeout = props.aggregatorTimeout ?? Duration.seconds(DEFAULT_AGGREGATOR_TIMEOUT_SECONDS);
    const resolvePeriod = props.deviceResolvePeriod ?? Duration.seconds(DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS);
    const objective = props.recoveryTimeObjective ?? Duration.seconds(DEFAULT_RECOVERY_TIME_OBJECTIVE_SECONDS);
    this.validate(props, interval, threshold, [
      ['recordTtl', this.recordTtl, 0, 172800],
      ['aggregatorTimeout', aggregatorTimeout, 0, 60],
      ['deviceResolvePeriod', resolvePeriod, 1, 86400],
      ['recoveryTimeObjective', objective, 1, 86400],
    ]);

    this.hostedZone = props.hostedZone;
    this.primaryRegion = props.primary.region;
    this.primary = props.primary;
    this.secondary = props.secondary;
    this.secondaryRegion = props.secondary.region;
    const domain = (props.domainName ?? props.hostedZone.zoneName).replace(/\.$/, '');
    this.iotRecordName = `${props.iotSubdomain ?? 'iot'}.${domain}`;
    this.activeRegionRecordName = `${ACTIVE_REGION_RECORD_PREFIX}.${domain}`;
    const searchString = props.searchString ?? HEALTHY_SEARCH_STRING;

    this.primaryHealthCheck = this.healthCheck('PrimaryHealthCheck', props.primary, interval, threshold, searchString);
    this.secondaryHealthCheck = this.healthCheck('SecondaryHealthCheck', props.secondary, interval, threshold, searchString);

    const pairs = [
      { role: route53.Failover.PRIMARY, region: props.primary, healthCheck: this.primaryHealthCheck, label: 'Primary' },
      { role: route53.Failover.SECONDARY, region: props.secondary, healthCheck: this.secondaryHealthCheck, label: 'Secondary' },
    ];
    for (const p of pairs) {
      new route53.CnameRecord(this, `Iot${p.label}Record`, {
        zone: props.hostedZone,
        recordName: this.iotRecordName,
        domainName: p.region.iotDataEndpoint,
        ttl: this.recordTtl,
        failover: p.role,
        setIdentifier: `iot-${p.region.region}`,
        healthCheck: p.healthCheck,
        comment: `cdk-iot-dr: devices on ${p.region.region} (${p.role})`,
      });
    }
    if (props.primary.apiDomainName !== undefined || props.secondary.apiDomainName !== undefined) {
      if (!props.primary.apiDomainName || !props.secondary.apiDomainName) {
        throw propError(this, 'apiDomainName must be given for both primary and secondary, or for neither');
      }
      this.apiRecordName = `${props.apiSubdomain ?? 'api'}.${domain}`;
      for (const p of pairs) {
        new route53.CnameRecord(this, `Api${p.label}Record`, {
          zone: props.hostedZone,
          recordName: this.apiRecordName,
          domainName: p.region.apiDomainName!,
          ttl: this.recordTtl,
          failover: p.role,
          setIdentifier: `api-${p.region.region}`,
          healthCheck: p.healthCheck,
          comment: `cdk-iot-dr: command API on ${p.region.region} (${p.role})`,
        });
      }
    }
    new route53.TxtRecord(this, 'ActiveRegionRecord', {
      zone: props.hostedZone,
      recordName: this.activeRegionRecordName,
      values: [props.primary.region],
      ttl: this.recordTtl,
      comment: 'cdk-iot-dr: the region devices should be on; UPSERTed by the failover-mode command and the region-switch plan',
    });

    this.rtoInputs = {
      recordTtlSeconds: this.recordTtl.toSeconds(),
      healthCheckIntervalSeconds: interval.toSeconds(),
      failureThreshold: threshold,
      aggregatorTimeoutSeconds: aggregatorTimeout.toMilliseconds() / 1000,
      deviceResolvePeriodSeconds: resolvePeriod.toSeconds(),
    };
    this.rtoEstimate = estimateRto(this.rtoInputs);
    this.estimatedRto = Duration.millis(Math.round(this.rtoEstimate.totalSeconds * 1000));
    if (this.rtoEstimate.totalSeconds > objective.toSeconds()) {
      throw propError(
        this,
        `the estimated worst-case recovery time ${this.rtoEstimate.totalSeconds} s exceeds recoveryTimeObjective ` +
          `${objective.toSeconds()} s: ${describeRto(this.rtoInputs, this.rtoEstimate)}. Lower healthCheckInterval (10 s is the ` +
          'fastest), failureThreshold, recordTtl or deviceResolvePeriod, or raise recoveryTimeObjective.',
      );
    }
    new CfnOutput(this, 'EstimatedRtoSeconds', {
      description: `Worst-case recovery time: ${describeRto(this.rtoInputs, this.rtoEstimate)}`,
      value: String(this.rtoEstimate.totalSeconds),
    }).overrideLogicalId('EstimatedRtoSeconds');

    this.failoverModeCommand =
      `npx cdk-iot-dr-failover <mode> --primary-region ${this.primaryRegion} --secondary-region ${this.secondaryRegion} ` +
      `--primary-health-check ${this.primaryHealthCheck.healthCheckId} --secondary-health-check ${this.secondaryHealthCheck.healthCheckId} ` +
      `--hosted-zone-id ${props.hostedZone.hostedZoneId} --record-name ${this.activeRegionRecordName} --ttl ${this.recordTtl.toSeconds()}`;
    new CfnOutput(this, 'FailoverModeCommand', {
      description: 'Fails over / back on purpose: replace <mode> with auto, force-primary or force-secondary',
      value: this.failoverModeCommand,
    });

    // Any PRIMARY failover record without a health check would never fail over: refuse it, ours or the user's.
    this.node.addValidation({ validate: () => primaryRecordsWithoutHealthCheck(Stack.of(this)) });
  }

  /** The health check ids by failover role, as the failover handlers take them. */
  get healthCheckIds(): { [role: string]: string } {
    return { primary: this.primaryHealthCheck.healthCheckId, secondary: this.secondaryHealthCheck.healthCheckId };
  }

  /**
   * What the manual mode calls in Route 53: UpdateHealthCheck and GetHealthCheckStatus on these two health
   * checks, and an UPSERT of the TXT record `active-region.<domain>` only.
   */
  grantManualMode(grantee: iam.IGrantable): void {
    const healthChecks = [this.primaryHealthCheck, this.secondaryHealthCheck].map(
      (hc) => `arn:${Stack.of(this).partition}:route53:::healthcheck/${hc.healthCheckId}`,
    );
    iam.Grant.addToPrincipal({ grantee, actions: ['route53:UpdateHealthCheck', 'route53:GetHealthCheckStatus'], resourceArns: healthChecks });
    this.grantActiveRegionRecord(grantee);
  }

  /** An UPSERT of the TXT record `active-region.<domain>`, and no other change to the zone. */
  grantActiveRegionRecord(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['route53:ChangeResourceRecordSets'],
      resourceArns: [this.hostedZone.hostedZoneArn],
      conditions: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [this.activeRegionRecordName.toLowerCase()],
          'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    });
  }

  private healthCheck(id: string, region: FailoverRegionOptions, interval: Duration, threshold: number, searchString: string): route53.HealthCheck {
    return new route53.HealthCheck(this, id, {
      type: searchString === '' ? route53.HealthCheckType.HTTPS : route53.HealthCheckType.HTTPS_STR_MATCH,
      fqdn: region.aggregatorDomainName,
      port: 443,
      resourcePath: region.aggregatorPath ?? HEALTH_PATH,
      enableSNI: true,
      requestInterval: interval,
      failureThreshold: threshold,
      ...(searchString === '' ? {} : { searchString }),
    });
  }

  private validate(props: FailoverRoutingProps, interval: Duration, threshold: number, durations: [string, Duration, number, number][]): void {
    const s = interval.toSeconds();
    if (s !== 10 && s !== 30) throw propError(this, `healthCheckInterval must be 10 or 30 seconds (Route 53's intervals), got ${interval.toHumanString()}`);
    if (!Token.isUnresolved(threshold) && (!Number.isInteger(threshold) || threshold < 1 || threshold > 10)) {
      throw propError(this, `failureThreshold must be an integer between 1 and 10, got ${threshold}`);
    }
    for (const [name, d, min, max] of durations) {
      const v = d.toMilliseconds() / 1000;
      if (v < min || v > max) throw propError(this, `${name} must be between ${min} and ${max} seconds, got ${d.toHumanString()}`);
    }
    if ((props.searchString ?? '').length > 255) throw propError(this, `searchString must be at most 255 characters, got ${props.searchString!.length}`);
    checkRegion(this, 'primary.region', props.primary.region, 'us-west-2');
    checkRegion(this, 'secondary.region', props.secondary.region, 'us-east-1');
    if (props.primary.region === props.secondary.region) {
      throw propError(this, `primary.region and secondary.region must differ, both are '${props.primary.region}'`);
    }
    for (const [role, r] of [['primary', props.primary], ['secondary', props.secondary]] as const) {
      for (const [name, value] of [['aggregatorDomainName', r.aggregatorDomainName], ['iotDataEndpoint', r.iotDataEndpoint]] as const) {
        if (!Token.isUnresolved(value) && !/^[a-z0-9.-]+$/i.test(value)) {
          throw propError(this, `${role}.${name} must be a host name without scheme or path (e.g. 'abc123.execute-api.${r.region}.amazonaws.com'), got '${value}'`);
        }
      }
      if (r.aggregatorPath !== undefined && !r.aggregatorPath.startsWith('/')) {
        throw propError(this, `${role}.aggregatorPath must start with '/', got '${r.aggregatorPath}'`);
      }
    }
  }
}

/** Errors for every PRIMARY failover record set of `stack` that has no health check. */
function primaryRecordsWithoutHealthCheck(stack: Stack): string[] {
  return stack.node
    .findAll()
    .filter((c: IConstruct): c is route53.CfnRecordSet => c instanceof route53.CfnRecordSet)
    .filter((r) => r.failover === 'PRIMARY' && !r.healthCheckId)
    .map(
      (r) =>
        `${r.node.path}: a PRIMARY failover record needs a health check (healthCheck prop), or Route 53 never fails it over`,
    );
}
