import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, type AppProps, CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

export const PRIMARY = 'us-west-2';
export const SECONDARY = 'us-east-1';
export const ACCOUNT = '222222222222';

// Each app synthesizes into its own folder, removed after the test file: default cdk.out* temp folders are
// swept by the global teardown of any jest run, which would break a run of this suite happening meanwhile.
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** An App synthesizing into a private temporary folder. */
export function testApp(props: AppProps = {}): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'iot-dr-test-'));
  outdirs.push(outdir);
  return new App({ outdir, ...props });
}

/** A stack in a fixed account and region (global tables need an explicit region). */
export function stackIn(region: string = PRIMARY, app: App = testApp()): Stack {
  return new Stack(app, `Test-${region}`, { env: { account: ACCOUNT, region } });
}

/** Logical id of a construct's CloudFormation resource (the construct itself or its default child). */
export function logicalId(construct: IConstruct): string {
  const el = (CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement;
  return Stack.of(el).getLogicalId(el);
}

/** `{ Ref: id }` */
export const ref = (construct: IConstruct): { Ref: string } => ({ Ref: logicalId(construct) });
/** `{ 'Fn::GetAtt': [id, attr] }` */
export const getAtt = (construct: IConstruct, attr: string): { 'Fn::GetAtt': string[] } => ({
  'Fn::GetAtt': [logicalId(construct), attr],
});

/** `arn:${Partition}:<service>:<region>:<account>:<resource>` as CDK renders it for a stack with a known env. */
export function arnJoin(service: string, region: string, resource: string): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:${region}:${ACCOUNT}:${resource}`]] };
}

/** Statements of the IAM policy attached to `role` (its DefaultPolicy). */
export function policyStatements(template: Template, role: IConstruct): unknown[] {
  const roleId = logicalId(role);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as unknown[]);
}

/**
 * Turns a CloudFormation value (the state machine's `DefinitionString`) into a plain string: references
 * become readable placeholders, so the JSON can be parsed and executed locally.
 */
export function flattenCfn(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (node['Fn::Join']) {
    const [sep, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(flattenCfn).join(sep);
  }
  if (node.Ref) return node.Ref === 'AWS::Partition' ? 'aws' : `ref-${String(node.Ref)}`;
  if (node['Fn::GetAtt']) {
    const [id, attr] = node['Fn::GetAtt'] as string[];
    return `arn:aws:lambda:${PRIMARY}:${ACCOUNT}:function:${id}-${attr}`;
  }
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

/** The parsed Amazon States Language definition of the only state machine in `template`. */
export function stateMachineDefinition(template: Template): Record<string, any> {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  return JSON.parse(flattenCfn(machines[0].Properties.DefinitionString));
}

/** The IAM policies attached to `role`, by logical id: the role's DefaultPolicy and any policy of its own. */
export function policiesOf(template: Template, role: IConstruct): Record<string, unknown[]> {
  const roleId = logicalId(role);
  return Object.fromEntries(
    Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
      .map(([id, p]) => [id, p.Properties.PolicyDocument.Statement as unknown[]]),
  );
}
