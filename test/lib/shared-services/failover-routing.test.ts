import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { PRIMARY_AGGREGATOR, PRIMARY_IOT, SECONDARY_AGGREGATOR, SECONDARY_IOT, routingIn } from './fixtures';
import { IotCustomDomain } from '../../../lib';
import { logicalId, PRIMARY, SECONDARY, stackIn, testApp } from '../helpers';

function build(overrides: Parameters<typeof routingIn>[1] = {}) {
  const stack = stackIn(SECONDARY);
  const routing = routingIn(stack, overrides);
  return { stack, routing, template: Template.fromStack(stack) };
}

describe('FailoverRouting', () => {
  test('one HTTPS string-match health check per aggregator: port 443, SNI, 10 s interval, threshold 3', () => {
    const { template, routing } = build();
    template.resourceCountIs('AWS::Route53::HealthCheck', 2);
    for (const [hc, fqdn] of [
      [routing.primaryHealthCheck, PRIMARY_AGGREGATOR],
      [routing.secondaryHealthCheck, SECONDARY_AGGREGATOR],
    ] as const) {
      expect(template.toJSON().Resources[logicalId(hc)].Properties.HealthCheckConfig).toEqual({
        Type: 'HTTPS_STR_MATCH',
        FullyQualifiedDomainName: fqdn,
        Port: 443,
        ResourcePath: '/health',
        EnableSNI: true,
        Inverted: false,
        MeasureLatency: false,
        RequestInterval: 10,
        FailureThreshold: 3,
        SearchString: '"status":"HEALTHY"',
      });
    }
  });

  test('interval, threshold, path and search string are configurable; an empty search string checks the status only', () => {
    const { template } = build({
      healthCheckInterval: Duration.seconds(30),
      failureThreshold: 1,
      searchString: '',
      primary: { region: PRIMARY, aggregatorDomainName: PRIMARY_AGGREGATOR, aggregatorPath: '/prod/health', iotDataEndpoint: PRIMARY_IOT },
      secondary: { region: SECONDARY, aggregatorDomainName: SECONDARY_AGGREGATOR, iotDataEndpoint: SECONDARY_IOT },
      recoveryTimeObjective: Duration.minutes(2),
    });
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: { Type: 'HTTPS', RequestInterval: 30, FailureThreshold: 1, ResourcePath: '/prod/health', SearchString: Match.absent() },
    });
  });

  test('PRIMARY and SECONDARY CNAMEs for iot.<domain> and api.<domain>, each linked to its region\'s health check, TTL 10 s', () => {
    const { template, routing } = build();
    const records = Object.values(template.findResources('AWS::Route53::RecordSet')).map((r) => r.Properties);
    const failover = records.filter((r) => r.Failover).map((r) => ({ name: r.Name, type: r.Type, role: r.Failover, target: r.ResourceRecords, ttl: r.TTL, hc: r.HealthCheckId, id: r.SetIdentifier }));
    const primaryHc = { Ref: logicalId(routing.primaryHealthCheck) };
    const secondaryHc = { Ref: logicalId(routing.secondaryHealthCheck) };
    expect(failover).toEqual([
      { name: 'iot.example.com.', type: 'CNAME', role: 'PRIMARY', target: [PRIMARY_IOT], ttl: '10', hc: primaryHc, id: 'iot-us-west-2' },
      { name: 'iot.example.com.', type: 'CNAME', role: 'SECONDARY', target: [SECONDARY_IOT], ttl: '10', hc: secondaryHc, id: 'iot-us-east-1' },
      { name: 'api.example.com.', type: 'CNAME', role: 'PRIMARY', target: ['d-p.execute-api.us-west-2.amazonaws.com'], ttl: '10', hc: primaryHc, id: 'api-us-west-2' },
      { name: 'api.example.com.', type: 'CNAME', role: 'SECONDARY', target: ['d-s.execute-api.us-east-1.amazonaws.com'], ttl: '10', hc: secondaryHc, id: 'api-us-east-1' },
    ]);
    expect(records.every((r) => r.HostedZoneId === 'Z0123456789ABC')).toBe(true);
    expect(routing.iotRecordName).toBe('iot.example.com');
    expect(routing.apiRecordName).toBe('api.example.com');
  });

  test('a TXT record active-region.<domain> names the primary region until the mode command or plan UPSERTs it', () => {
    const { template, routing } = build();
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'active-region.example.com.', Type: 'TXT', ResourceRecords: ['"us-west-2"'], TTL: '10' });
    expect(routing.activeRegionRecordName).toBe('active-region.example.com');
  });

  test('no api records without the regions\' API domain names; giving only one is an error', () => {
    const { template, routing } = build({
      primary: { region: PRIMARY, aggregatorDomainName: PRIMARY_AGGREGATOR, iotDataEndpoint: PRIMARY_IOT },
      secondary: { region: SECONDARY, aggregatorDomainName: SECONDARY_AGGREGATOR, iotDataEndpoint: SECONDARY_IOT },
    });
    expect(routing.apiRecordName).toBeUndefined();
    template.resourceCountIs('AWS::Route53::RecordSet', 3);
    expect(() =>
      build({
        primary: { region: PRIMARY, aggregatorDomainName: PRIMARY_AGGREGATOR, iotDataEndpoint: PRIMARY_IOT, apiDomainName: 'd-p.example' },
        secondary: { region: SECONDARY, aggregatorDomainName: SECONDARY_AGGREGATOR, iotDataEndpoint: SECONDARY_IOT },
      }),
    ).toThrow('Routing: apiDomainName must be given for both primary and secondary, or for neither');
  });

  test('estimatedRto (57 s by default) and the stack output EstimatedRtoSeconds', () => {
    const { template, routing } = build();
    expect(routing.estimatedRto.toSeconds()).toBe(57);
    expect(routing.rtoEstimate).toEqual({ detectionSeconds: 32, dnsSwitchSeconds: 10, reconnectSeconds: 15, totalSeconds: 57 });
    template.hasOutput('EstimatedRtoSeconds', { Value: '57', Description: Match.stringLikeRegexp('^Worst-case recovery time: detection 32 s') });
  });

  test('the estimate follows the settings', () => {
    const { routing } = build({ recordTtl: Duration.seconds(5), failureThreshold: 2, deviceResolvePeriod: Duration.seconds(5), aggregatorTimeout: Duration.millis(1500) });
    expect(routing.rtoEstimate).toEqual({ detectionSeconds: 21.5, dnsSwitchSeconds: 5, reconnectSeconds: 5, totalSeconds: 31.5 });
    expect(routing.estimatedRto.toMilliseconds()).toBe(31500);
  });

  test('synth fails when the estimate exceeds recoveryTimeObjective, with the path, the breakdown and what to change', () => {
    expect(() => build({ healthCheckInterval: Duration.seconds(30), recoveryTimeObjective: Duration.seconds(60) })).toThrow(
      'Test-us-east-1/Routing: the estimated worst-case recovery time 117 s exceeds recoveryTimeObjective 60 s: detection 92 s ' +
        '(interval 30 s × threshold 3 + aggregator timeout 2 s) + DNS 10 s (record TTL) + reconnect 15 s (device re-resolve period) = 117 s. ' +
        'Lower healthCheckInterval (10 s is the fastest), failureThreshold, recordTtl or deviceResolvePeriod, or raise recoveryTimeObjective.',
    );
    expect(() => build({ recoveryTimeObjective: Duration.seconds(56) })).toThrow('exceeds recoveryTimeObjective 56 s');
    expect(() => build({ recoveryTimeObjective: Duration.seconds(57) })).not.toThrow();
  });

  test('validation names the prop and the allowed range', () => {
    expect(() => build({ healthCheckInterval: Duration.seconds(20) })).toThrow("healthCheckInterval must be 10 or 30 seconds (Route 53's intervals), got 20 seconds");
    expect(() => build({ failureThreshold: 11 })).toThrow('failureThreshold must be an integer between 1 and 10, got 11');
    expect(() => build({ failureThreshold: 0 })).toThrow('failureThreshold must be an integer between 1 and 10, got 0');
    expect(() => build({ recordTtl: Duration.days(3) })).toThrow('recordTtl must be between 0 and 172800 seconds, got 3 days');
    expect(() => build({ searchString: 'x'.repeat(256) })).toThrow('searchString must be at most 255 characters, got 256');
    expect(() =>
      build({ primary: { region: 'us-west-9', aggregatorDomainName: PRIMARY_AGGREGATOR, iotDataEndpoint: PRIMARY_IOT } }),
    ).toThrow("primary.region must be a region name such as 'us-west-2', got 'us-west-9'");
    expect(() =>
      build({ secondary: { region: PRIMARY, aggregatorDomainName: SECONDARY_AGGREGATOR, iotDataEndpoint: SECONDARY_IOT } }),
    ).toThrow("primary.region and secondary.region must differ, both are 'us-west-2'");
    expect(() =>
      build({ primary: { region: PRIMARY, aggregatorDomainName: `https://${PRIMARY_AGGREGATOR}/health`, iotDataEndpoint: PRIMARY_IOT } }),
    ).toThrow('primary.aggregatorDomainName must be a host name without scheme or path');
    expect(() =>
      build({ primary: { region: PRIMARY, aggregatorDomainName: PRIMARY_AGGREGATOR, aggregatorPath: 'health', iotDataEndpoint: PRIMARY_IOT } }),
    ).toThrow("primary.aggregatorPath must start with '/', got 'health'");
  });

  test('a PRIMARY failover record without a health check anywhere in the stack fails synth', () => {
    const app = testApp();
    const stack = stackIn(SECONDARY, app);
    const routing = routingIn(stack);
    // aws-cdk-lib's L2 records refuse it themselves; FailoverRouting also catches L1 records in its stack.
    expect(
      () =>
        new route53.CnameRecord(stack, 'UncheckedL2', { zone: routing.hostedZone, recordName: 'www', domainName: 'example.org', failover: route53.Failover.PRIMARY, setIdentifier: 'p' }),
    ).toThrow(/PRIMARY failover record sets must include a health check/);
    const l2Free = testApp();
    const other = stackIn(SECONDARY, l2Free);
    routingIn(other);
    new route53.CfnRecordSet(other, 'Unchecked', {
      hostedZoneId: 'Z0123456789ABC',
      name: 'www.example.com',
      type: 'CNAME',
      ttl: '60',
      resourceRecords: ['example.org'],
      failover: 'PRIMARY',
      setIdentifier: 'www-primary',
    });
    expect(() => l2Free.synth()).toThrow(/Test-us-east-1\/Unchecked: a PRIMARY failover record needs a health check/);
  });

  test('grantManualMode: the two health checks, and an UPSERT of the TXT record only', () => {
    const stack = stackIn(SECONDARY);
    const routing = routingIn(stack);
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    routing.grantManualMode(role);
    const template = Template.fromStack(stack);
    const hcArn = (hc: typeof routing.primaryHealthCheck) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::healthcheck/', { Ref: logicalId(hc) }]],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: ['route53:UpdateHealthCheck', 'route53:GetHealthCheckStatus'], Resource: [hcArn(routing.primaryHealthCheck), hcArn(routing.secondaryHealthCheck)] },
          {
            Effect: 'Allow',
            Action: 'route53:ChangeResourceRecordSets',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::hostedzone/Z0123456789ABC']] },
            Condition: {
              'ForAllValues:StringEquals': {
                'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['active-region.example.com'],
                'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
                'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
              },
            },
          },
        ],
      },
    });
  });

  test('prints the operator command with the health check ids, zone and record', () => {
    const { stack, routing } = build();
    const command = stack.resolve(routing.failoverModeCommand);
    expect(JSON.stringify(command)).toContain('npx cdk-iot-dr-failover <mode> --primary-region us-west-2 --secondary-region us-east-1 --primary-health-check ');
    expect(JSON.stringify(command)).toContain('--hosted-zone-id Z0123456789ABC --record-name active-region.example.com --ttl 10');
  });
});

describe('IotCustomDomain', () => {
  test('a DATA domain configuration for iot.<domain> with a DNS-validated certificate', () => {
    const stack = stackIn(PRIMARY);
    const domain = new IotCustomDomain(stack, 'Domain', { domainName: 'iot.example.com' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: 'iot.example.com', ValidationMethod: 'DNS' });
    template.hasResourceProperties('AWS::IoT::DomainConfiguration', {
      DomainName: 'iot.example.com',
      ServiceType: 'DATA',
      DomainConfigurationStatus: 'ENABLED',
      ServerCertificateArns: [{ Ref: logicalId(domain.certificate) }],
      TlsConfig: { SecurityPolicy: 'IoTSecurityPolicy_TLS13_1_2_2022_10' },
    });
  });

  test('validates in a zone of the same account when given one', () => {
    const stack = stackIn(PRIMARY);
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z9', zoneName: 'example.com' });
    new IotCustomDomain(stack, 'Domain', { domainName: 'iot.example.com', validationZone: zone });
    Template.fromStack(stack).hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainValidationOptions: [{ DomainName: 'iot.example.com', HostedZoneId: 'Z9' }],
    });
  });

  test('takes an existing certificate ARN', () => {
    const stack = stackIn(PRIMARY);
    const arn = 'arn:aws:acm:us-west-2:222222222222:certificate/abc';
    new IotCustomDomain(stack, 'Domain', { domainName: 'iot.example.com', certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', arn), domainConfigurationName: 'iot-dr' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.hasResourceProperties('AWS::IoT::DomainConfiguration', { DomainConfigurationName: 'iot-dr', ServerCertificateArns: [arn] });
  });

  test('refuses a bad domain name', () => {
    expect(() => new IotCustomDomain(stackIn(PRIMARY), 'Domain', { domainName: 'https://iot.example.com' })).toThrow(
      "Domain: domainName must be a fully qualified host name such as 'iot.example.com', got 'https://iot.example.com'",
    );
  });
});
