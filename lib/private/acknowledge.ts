import { Stack, Validations } from 'aws-cdk-lib';
import { AwsCustomResource } from 'aws-cdk-lib/custom-resources';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag (v3) names each wildcard finding after the policy resource flattened to a string: `Ref` and
 * `Fn::GetAtt` become `<Id>` / `<Id.Attr>`, `Fn::Join` is joined, `${X}` in `Fn::Sub` becomes `<X>`.
 * Constructs acknowledge their own inherent wildcards so users of the library see only their own findings.
 */
function flatten(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const node = value as Record<string, unknown>;
  if (node['Fn::Join']) {
    const [sep, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(sep);
  }
  if (node['Fn::Sub']) return flatten(node['Fn::Sub']);
  if (node['Fn::GetAtt']) {
    const [id, attr] = node['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(id)}.${flatten(attr)}>`;
  }
  if (node['Fn::ImportValue']) return flatten(node['Fn::ImportValue']);
  if (node.Ref) return `<${flatten(node.Ref)}>`;
  return JSON.stringify(value);
}

/** Acknowledges one `AwsSolutions-IAM5` finding for a wildcard policy resource (an ARN, possibly tokenized). */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const flat = flatten(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}

/** Acknowledges one finding by its exact id. */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

const acknowledgedProviders = new WeakSet<IConstruct>();

/**
 * Acknowledges the managed policy on the stack's `AwsCustomResource` provider function, a CDK singleton
 * shared by every AwsCustomResource in the stack. Call after creating an AwsCustomResource.
 */
export function acknowledgeCustomResourceProvider(scope: IConstruct): void {
  const provider = Stack.of(scope).node.tryFindChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (!provider || acknowledgedProviders.has(provider)) return;
  acknowledgedProviders.add(provider);
  acknowledgeFinding(
    provider,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "CDK's AwsCustomResource provider (runs only during deployments) writes its logs through the basic execution role; " +
      'its API permissions are separate least-privilege policies.',
  );
}

/**
 * Acknowledges CloudFormation validation's "Resources section must exist" for a platform stack that
 * holds no resources yet: the CDK CLI skips deploying a stack without resources.
 */
export function acknowledgeEmptyStack(stack: Stack): void {
  acknowledgeFinding(
    stack,
    'CloudFormation-Validate::F0001',
    'Phase one of the deployment: the shared-services stacks receive their resources in phase two (once the topology has the ' +
      "workload accounts' health API URLs); `cdk deploy` skips a stack without resources.",
  );
}
