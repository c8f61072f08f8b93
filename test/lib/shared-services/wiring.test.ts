/**
 * The placement the library recommends for the platform app (what IotDrDeployment is to do), synthesized:
 * iot-services stacks hold each region's custom domain and failover access role; the shared-services stack in
 * us-east-1 holds the global pieces (health checks, records, notifier) and that region's step function; the
 * primary region's shared-services stack holds its step function and the plan, reading the global pieces
 * through cross-region references (one direction only, so no cycle).
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { FailoverAccessRole, FailoverNotifier, FailoverRouting, IotCustomDomain, IotRegionSwitchPlan, IotRegionSwitchSteps } from '../../../lib';
import { PRIMARY, SECONDARY, testApp } from '../helpers';

const SHARED = '111111111111';
const IOT = '222222222222';
const ENDPOINT_PREFIX = 'a1b2c3d4e5f6g7';
const iotEndpoint = (region: string) => `${ENDPOINT_PREFIX}-ats.iot.${region}.amazonaws.com`;

test('routing and notifier in us-east-1, steps in both regions, the plan in the primary: synthesizes without cycles', () => {
  const app = testApp();
  for (const region of [PRIMARY, SECONDARY]) {
    const iot = new Stack(app, `Iot-${region}`, { env: { account: IOT, region } });
    new IotCustomDomain(iot, 'IotCustomDomain', { domainName: 'iot.example.com' });
    new FailoverAccessRole(iot, 'FailoverAccess', { sharedServicesAccount: SHARED });
  }
  const global = new Stack(app, `Shared-${SECONDARY}`, { env: { account: SHARED, region: SECONDARY }, crossRegionReferences: true });
  const primary = new Stack(app, `Shared-${PRIMARY}`, { env: { account: SHARED, region: PRIMARY }, crossRegionReferences: true });

  const hostedZone = new route53.PublicHostedZone(global, 'Zone', { zoneName: 'example.com' });
  const routing = new FailoverRouting(global, 'FailoverRouting', {
    hostedZone,
    primary: { region: PRIMARY, aggregatorDomainName: 'p.execute-api.us-west-2.amazonaws.com', aggregatorPath: '/v1/health', iotDataEndpoint: iotEndpoint(PRIMARY) },
    secondary: { region: SECONDARY, aggregatorDomainName: 's.execute-api.us-east-1.amazonaws.com', aggregatorPath: '/v1/health', iotDataEndpoint: iotEndpoint(SECONDARY) },
  });
  const access = (region: string) => FailoverAccessRole.roleArnFor(IOT, region);
  const notifier = new FailoverNotifier(global, 'FailoverNotifier', { routing, primaryPublishRoleArn: access(PRIMARY), secondaryPublishRoleArn: access(SECONDARY) });
  const steps = (stack: Stack) =>
    new IotRegionSwitchSteps(stack, 'RegionSwitchSteps', {
      primaryRegion: PRIMARY,
      secondaryRegion: SECONDARY,
      primaryHealthCheckId: routing.primaryHealthCheck.healthCheckId,
      secondaryHealthCheckId: routing.secondaryHealthCheck.healthCheckId,
      hostedZoneId: hostedZone.hostedZoneId,
      activeRegionRecordName: routing.activeRegionRecordName,
      primaryIotDataEndpoint: iotEndpoint(PRIMARY),
      secondaryIotDataEndpoint: iotEndpoint(SECONDARY),
      primaryPublishRoleArn: access(PRIMARY),
      secondaryPublishRoleArn: access(SECONDARY),
      readinessRoleArn: access(stack.region),
    });
  const secondarySteps = steps(global);
  const primarySteps = steps(primary);
  new IotRegionSwitchPlan(primary, 'RegionSwitchPlan', {
    primaryRegion: PRIMARY,
    secondaryRegion: SECONDARY,
    primaryStepFunctionArn: primarySteps.function.functionArn,
    secondaryStepFunctionArn: secondarySteps.function.functionArn,
    applicationHealthAlarms: [notifier.primaryHealthAlarm, notifier.secondaryHealthAlarm],
  });

  const assembly = app.synth();
  expect(assembly.getStackByName(primary.stackName).dependencies.map((d) => d.id)).toContain(global.artifactId);
  expect(assembly.getStackByName(global.stackName).dependencies.map((d) => d.id)).not.toContain(primary.artifactId);
  Template.fromStack(primary).resourceCountIs('AWS::ARCRegionSwitch::Plan', 1);
  Template.fromStack(global).resourceCountIs('AWS::Route53::HealthCheck', 2);
  Template.fromStack(global).hasOutput('EstimatedRtoSeconds', { Value: '57' });
});
