/**
 * Pulls the replay workflow out of a synthesized template: the Express state machine's definition and the
 * pipe's filter patterns and batch size, with intrinsics resolved for the stack's region. End-to-end tests
 * run exactly these, so a change to the construct is a change to what the tests execute.
 */
import { type CfnContext, resolveCfn } from './cfn-eval';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface ReplayWorkflow {
  /** Amazon States Language definition of the replay state machine. */
  readonly definition: Record<string, unknown>;
  /** The pipe's filter patterns; a record reaches the workflow when any pattern matches. */
  readonly filterPatterns: readonly unknown[];
  /** Stream records per workflow execution. */
  readonly batchSize: number;
}

export function replayWorkflowFrom(template: { Resources?: Record<string, CfnResource> }, ctx: CfnContext): ReplayWorkflow {
  const resources = Object.values(template.Resources ?? {});
  const pipes = resources.filter((r) => r.Type === 'AWS::Pipes::Pipe');
  if (pipes.length !== 1) throw new Error(`expected one AWS::Pipes::Pipe in the template, found ${pipes.length}`);
  const pipe = resolveCfn(pipes[0].Properties, ctx) as {
    SourceParameters: { FilterCriteria?: { Filters: { Pattern: string }[] }; DynamoDBStreamParameters: { BatchSize?: number } };
  };
  // The replay workflow is the one Express state machine (the reconciler's is Standard).
  const machines = resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties?.StateMachineType === 'EXPRESS');
  const replay = machines
    .map((m) => resolveCfn(m.Properties?.DefinitionString, ctx))
    .map((d) => JSON.parse(String(d)) as Record<string, unknown>)
    .filter((d) => JSON.stringify(d).includes('"Type":"Map"'));
  if (replay.length !== 1) throw new Error(`expected one Express replay state machine (with a Map state), found ${replay.length}`);
  return {
    definition: replay[0],
    filterPatterns: (pipe.SourceParameters.FilterCriteria?.Filters ?? []).map((f) => JSON.parse(f.Pattern)),
    batchSize: pipe.SourceParameters.DynamoDBStreamParameters.BatchSize ?? 100,
  };
}
