import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type App, Stack, Validations } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createExampleApp } from '../../bin/app';

// The same context `cdk synth` uses, including CloudFormation's built-in rule validation.
const CDK_CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context as Record<string, unknown>;
// test/support/setup.ts switches CloudFormation rule validation off for construct tests; this test keeps it.
delete process.env.CDK_VALIDATION;

const outdirs: string[] = [];
function outdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-dr-app-'));
  outdirs.push(dir);
  return dir;
}
afterAll(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
}

describe('the example app (bin/app.ts)', () => {
  let app: App;
  let assembly: CloudAssembly;

  beforeAll(() => {
    app = createExampleApp({ outdir: outdir(), context: CDK_CONTEXT });
    // Synthesis throws when cdk-nag or CloudFormation validation reports anything not acknowledged.
    assembly = app.synth();
  });

  it('synthesizes the nine stacks of the default topology', () => {
    expect(assembly.stacks.map((s) => `${s.stackName} ${s.environment.account}/${s.environment.region}`).sort()).toEqual([
      'IotDr-CommandControl-us-east-1 333333333333/us-east-1',
      'IotDr-CommandControl-us-west-2 333333333333/us-west-2',
      'IotDr-DataAnalytics-us-east-1 444444444444/us-east-1',
      'IotDr-DataAnalytics-us-west-2 444444444444/us-west-2',
      'IotDr-IotServices-us-east-1 222222222222/us-east-1',
      'IotDr-IotServices-us-west-2 222222222222/us-west-2',
      'IotDr-SharedServices-global 111111111111/us-east-1',
      'IotDr-SharedServices-us-east-1 111111111111/us-east-1',
      'IotDr-SharedServices-us-west-2 111111111111/us-west-2',
    ]);
  });

  it('synthesizes the failover of the placeholder values: routing and notifier in the global stack, the plan in the primary', () => {
    const global = assembly.getStackByName('IotDr-SharedServices-global');
    expect(global.template.Outputs.EstimatedRtoSeconds.Value).toBe('57');
    const types = (name: string) => Object.values(assembly.getStackByName(name).template.Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types('IotDr-SharedServices-global')).toEqual(expect.arrayContaining(['AWS::Route53::HealthCheck', 'AWS::Route53::HostedZone', 'AWS::SNS::Topic']));
    expect(types('IotDr-SharedServices-us-east-1')).not.toContain('AWS::Route53::HealthCheck');
    expect(types('IotDr-SharedServices-us-west-2')).toContain('AWS::ARCRegionSwitch::Plan');
    for (const name of ['IotDr-IotServices-us-west-2', 'IotDr-CommandControl-us-east-1', 'IotDr-DataAnalytics-us-west-2']) {
      expect(assembly.getStackByName(name).template.Outputs.HealthApiUrl).toBeDefined();
    }
  });

  it('leaves no AwsSolutions finding, error or warning, unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    const open = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(open).toEqual([]);
  });

  it('gives every acknowledgement a reason and a single finding id (no bare rule ids for multi-finding rules)', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThan(30);
      if (/AwsSolutions-IAM[45]/.test(ack.id)) expect(ack.id).toMatch(/\[(Resource|Action|Policy)::.+\]$/);
    }
  });

  it('reads the topology from the iot-dr:topology context', () => {
    const topology = {
      accounts: { sharedServices: '100000000001', iotServices: '100000000002', commandControl: '100000000003', dataAnalytics: '100000000004' },
      primaryRegion: 'eu-west-1',
      secondaryRegion: 'eu-central-1',
      domainName: 'devices.example.org',
    };
    const custom = createExampleApp({ outdir: outdir(), context: { 'iot-dr:topology': topology } });
    const iot = custom.node.findAll().filter((c): c is Stack => Stack.isStack(c) && c.stackName.includes('IotServices'));
    expect(iot.map((s) => `${s.account}/${s.region}`).sort()).toEqual(['100000000002/eu-central-1', '100000000002/eu-west-1']);
  });

  it('synthesizes a topology without us-east-1 into the same nine stacks, checked like the default', () => {
    const urls = (region: string, id: string) => ({
      iotServices: `https://${id}01.execute-api.${region}.amazonaws.com/v1/health`,
      commandControl: `https://${id}02.execute-api.${region}.amazonaws.com/v1/health`,
      dataAnalytics: `https://${id}03.execute-api.${region}.amazonaws.com/v1/health`,
    });
    const topology = {
      accounts: { sharedServices: '100000000001', iotServices: '100000000002', commandControl: '100000000003', dataAnalytics: '100000000004' },
      primaryRegion: 'eu-west-1',
      secondaryRegion: 'eu-central-1',
      domainName: 'devices.example.org',
      failover: {
        iotEndpointPrefix: 'a1b2c3d4e5f6g7',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        healthApiUrls: { primary: urls('eu-west-1', 'pppppppp'), secondary: urls('eu-central-1', 'ssssssss') },
      },
    };
    const custom = createExampleApp({ outdir: outdir(), context: { ...CDK_CONTEXT, 'iot-dr:topology': topology } });
    const synthesized = custom.synth();
    expect(synthesized.stacks.map((s) => s.stackName)).toHaveLength(9);
    expect(synthesized.getStackByName('IotDr-SharedServices-global').template.Outputs.EstimatedRtoSeconds.Value).toBe('57');
    expect(new AwsSolutionsChecks().validateScope(custom).violations).toEqual([]);
  });

  it('refuses a bad topology with the field and the allowed form', () => {
    expect(() => createExampleApp({ outdir: outdir(), context: { 'iot-dr:topology': { primaryRegion: 'x' } } })).toThrow(
      /context 'iot-dr:topology': accounts must be an object/,
    );
  });
});
