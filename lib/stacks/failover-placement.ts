import { Annotations, CfnOutput, Duration, Fn, type Stack } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { IotServicesStack } from './iot-services-stack';
import type { SharedServicesStack } from './shared-services-stack';
import { HEALTH_PATH } from '../../lambda/contract/health';
import { createAlarmTopic } from '../private/alarm-topic';
import { FailoverAccessRole } from '../shared-services/failover-access-role';
import { FailoverNotifier } from '../shared-services/failover-notifier';
import { FailoverRouting } from '../shared-services/failover-routing';
import { IotRegionSwitchPlan, IotRegionSwitchSteps } from '../shared-services/region-switch-plan';
import { DEFAULT_RECOVERY_TIME_OBJECTIVE_SECONDS } from '../shared-services/rto';
import { DrRegionRole, type DrTopology } from '../topology';

const ROLES = [DrRegionRole.PRIMARY, DrRegionRole.SECONDARY] as const;

/** `health-<region>.<domain>`: the aggregator's custom domain, known before the aggregator exists. */
export function aggregatorHostName(topology: DrTopology, role: DrRegionRole): string {
  return `health-${topology.regionOf(role)}.${topology.domainName}`;
}

export interface FailoverPlacementProps {
  readonly topology: DrTopology;
  /** The shared-services stacks of both regions, each holding its aggregator. */
  readonly sharedServices: { readonly primary: SharedServicesStack; readonly secondary: SharedServicesStack };
  /** The global shared-services stack, in us-east-1. */
  readonly global: Stack;
  /** CloudWatch namespace of the replication pipeline's metrics (readiness). */
  readonly metricsNamespace?: string;
  /** The replay parking queue's name in the iot-services stacks (readiness). @default IotServicesStack.PARKING_QUEUE_NAME */
  readonly parkingQueueName?: string;
}

export interface FailoverPlacement {
  readonly hostedZone: route53.IHostedZone;
  readonly routing: FailoverRouting;
  readonly notifier: FailoverNotifier;
  readonly steps: { readonly primary: IotRegionSwitchSteps; readonly secondary: IotRegionSwitchSteps };
  readonly plan?: IotRegionSwitchPlan;
}

/**
 * The shared-services part of failover, across its stacks, without a dependency cycle:
 *
 * - each region's aggregator gets the custom domain `health-<region>.<domain>` (certificate validated in the
 *   hosted zone, alias record), so the Route 53 health checks name it without referencing its stack;
 * - the global stack (us-east-1) holds the hosted zone (imported or created), `FailoverRouting` and `FailoverNotifier`,
 *   and depends on no other stack;
 * - each region's stack holds its `IotRegionSwitchSteps` (reading the health checks from us-east-1);
 * - the primary's stack holds the `IotRegionSwitchPlan`, which reads both regions' step functions.
 */
export function placeFailover(props: FailoverPlacementProps): FailoverPlacement {
  const { topology, global, sharedServices } = props;
  const failover = topology.failover!;
  const created = failover.hostedZoneId ? undefined : new route53.PublicHostedZone(global, 'HostedZone', {
    zoneName: topology.domainName,
    comment: 'cdk-iot-dr: failover records of the IoT device endpoint; delegate the domain to its name servers',
  });
  if (created) {
    new CfnOutput(global, 'HostedZoneNameServers', {
      description: `Delegate ${topology.domainName} to these name servers (the zone holds the failover records)`,
      value: Fn.join(',', created.hostedZoneNameServers!),
    });
  }
  const zones = new Map<Stack, route53.IHostedZone>();
  const zoneIn = (stack: Stack): route53.IHostedZone => {
    if (created) return created;
    let zone = zones.get(stack);
    if (!zone) {
      zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'HostedZone', { hostedZoneId: failover.hostedZoneId!, zoneName: topology.domainName });
      zones.set(stack, zone);
    }
    return zone;
  };

  const stackOf = (role: DrRegionRole): SharedServicesStack => (role === DrRegionRole.PRIMARY ? sharedServices.primary : sharedServices.secondary);
  // One alarm topic per shared-services stack for the failover services' own alarms (aggregator errors and
  // throttling, the notifier's errors and dead letters); subscribe the on-call team to it.
  const alarmTopics = new Map<Stack, cloudwatchActions.SnsAction>();
  const alarmsOf = (stack: Stack): cloudwatchActions.SnsAction => {
    let action = alarmTopics.get(stack);
    if (!action) {
      const topic = createAlarmTopic(stack, 'cdk-iot-dr failover alarms', 'cdk-iot-dr: encrypts the alarm topic of the failover services');
      new CfnOutput(stack, 'AlarmTopicArn', { description: "Every alarm of this region's failover services notifies this topic", value: topic.topicArn });
      action = new cloudwatchActions.SnsAction(topic);
      alarmTopics.set(stack, action);
    }
    return action;
  };
  let aggregatorTimeout = Duration.millis(0);
  for (const role of ROLES) {
    const stack = stackOf(role);
    const aggregator = stack.healthCheckAggregator!;
    aggregator.addAlarmAction(alarmsOf(stack));
    if (aggregator.timeout.toMilliseconds() > aggregatorTimeout.toMilliseconds()) aggregatorTimeout = aggregator.timeout;
    const zone = zoneIn(stack);
    const hostName = aggregatorHostName(topology, role);
    const certificate = new acm.Certificate(stack, 'HealthCheckAggregatorCertificate', {
      domainName: hostName,
      validation: acm.CertificateValidation.fromDns(zone),
    });
    const domain = aggregator.api.addDomainName('HealthDomain', {
      domainName: hostName,
      certificate,
      endpointType: apigateway.EndpointType.REGIONAL,
      securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
    });
    new route53.ARecord(stack, 'HealthCheckAggregatorRecord', {
      zone,
      recordName: hostName,
      target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(domain)),
      comment: `cdk-iot-dr: the ${role} region's health-check aggregator, called by Route 53`,
    });
  }

  const apiDomainNames = failover.apiDomainNames;
  const region = (role: DrRegionRole) => ({
    region: topology.regionOf(role),
    aggregatorDomainName: aggregatorHostName(topology, role),
    // The custom domain maps its root to the API's stage.
    aggregatorPath: HEALTH_PATH,
    iotDataEndpoint: topology.iotDataEndpointOf(role)!,
    apiDomainName: apiDomainNames ? apiDomainNames[role === DrRegionRole.PRIMARY ? 'primary' : 'secondary'] : undefined,
  });
  const routing = new FailoverRouting(global, 'FailoverRouting', {
    hostedZone: zoneIn(global),
    domainName: topology.domainName,
    primary: region(DrRegionRole.PRIMARY),
    secondary: region(DrRegionRole.SECONDARY),
    aggregatorTimeout,
    recoveryTimeObjective: Duration.seconds(failover.recoveryTimeObjectiveSeconds ?? DEFAULT_RECOVERY_TIME_OBJECTIVE_SECONDS),
  });
  if (!apiDomainNames) {
    Annotations.of(global).addWarningV2(
      'cdk-iot-dr:apiRecordsPending',
      `no api.${topology.domainName} failover records yet (the topology has no failover.apiDomainNames): once this deployment has created ` +
        "the command API's custom domains, copy each command-control stack's ApiRegionalDomainName output into failover.apiDomainNames.<primary|secondary> " +
        'and deploy this stack again',
    );
  }
  const accessRole = (role: DrRegionRole) => FailoverAccessRole.roleArnFor(topology.accounts.iotServices, topology.regionOf(role));
  const notifier = new FailoverNotifier(global, 'FailoverNotifier', {
    routing,
    primaryPublishRoleArn: accessRole(DrRegionRole.PRIMARY),
    secondaryPublishRoleArn: accessRole(DrRegionRole.SECONDARY),
  });
  notifier.addAlarmAction(alarmsOf(global));

  const stepsOf = (role: DrRegionRole): IotRegionSwitchSteps =>
    new IotRegionSwitchSteps(stackOf(role), 'RegionSwitchSteps', {
      primaryRegion: topology.primaryRegion,
      secondaryRegion: topology.secondaryRegion,
      primaryHealthCheckId: routing.primaryHealthCheck.healthCheckId,
      secondaryHealthCheckId: routing.secondaryHealthCheck.healthCheckId,
      hostedZoneId: routing.hostedZone.hostedZoneId,
      activeRegionRecordName: routing.activeRegionRecordName,
      recordTtl: routing.recordTtl,
      primaryIotDataEndpoint: topology.iotDataEndpointOf(DrRegionRole.PRIMARY)!,
      secondaryIotDataEndpoint: topology.iotDataEndpointOf(DrRegionRole.SECONDARY)!,
      primaryPublishRoleArn: accessRole(DrRegionRole.PRIMARY),
      secondaryPublishRoleArn: accessRole(DrRegionRole.SECONDARY),
      readinessRoleArn: accessRole(role),
      parkingQueueName: props.parkingQueueName ?? IotServicesStack.PARKING_QUEUE_NAME,
      metricsNamespace: props.metricsNamespace,
    });
  const steps = { primary: stepsOf(DrRegionRole.PRIMARY), secondary: stepsOf(DrRegionRole.SECONDARY) };

  let plan: IotRegionSwitchPlan | undefined;
  if (failover.regionSwitchPlan ?? true) {
    const planStack = sharedServices.primary;
    plan = new IotRegionSwitchPlan(planStack, 'RegionSwitchPlan', {
      primaryRegion: topology.primaryRegion,
      secondaryRegion: topology.secondaryRegion,
      primaryStepFunctionArn: steps.primary.function.functionArn,
      secondaryStepFunctionArn: steps.secondary.function.functionArn,
      applicationHealthAlarms: [notifier.primaryHealthAlarm, notifier.secondaryHealthAlarm],
    });
    new CfnOutput(planStack, 'RegionSwitchPlanArn', { description: 'The AWS ARC Region switch plan moving IoT devices between the regions', value: plan.planArn });
  }
  return { hostedZone: routing.hostedZone, routing, notifier, steps, plan };
}
