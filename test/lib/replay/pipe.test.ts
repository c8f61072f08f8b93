import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { record } from './fixture';
import { ReplicationJournal } from '../../../lib';
import { createReplayPipe } from '../../../lib/replay/pipe';
import { replaySettings } from '../../../lib/replay/registry-replay-props';
import { matchesPattern } from '../../support/pipeline/event-pattern';
import { PRIMARY, SECONDARY, stackIn } from '../helpers';

/** The synthesized pipe's filter patterns; EventBridge Pipes passes a record when any of them matches. */
function filterPatterns(): unknown[] {
  const stack = stackIn(PRIMARY);
  const scope = new Construct(stack, 'Replay');
  createReplayPipe(scope, {
    journal: new ReplicationJournal(stack, 'Journal', { replicaRegions: [SECONDARY] }),
    stateMachine: new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')) }),
    deadLetterQueue: new sqs.Queue(stack, 'DeadLetters'),
    settings: replaySettings(scope, {}),
  });
  const template = Template.fromStack(stack);
  const [pipe] = Object.values(template.findResources('AWS::Pipes::Pipe'));
  return (pipe.Properties.SourceParameters.FilterCriteria.Filters as { Pattern: string }[]).map((f) => JSON.parse(f.Pattern));
}

/** A stream record of another region's write with `originRegion` replaced (undefined: removed). */
function withOrigin(originRegion: unknown, eventName = 'INSERT') {
  const r = record('thing#t');
  const { originRegion: _own, ...image } = r.dynamodb.NewImage;
  return { ...r, eventName, dynamodb: { ...r.dynamodb, NewImage: originRegion === undefined ? image : { ...image, originRegion } } };
}

describe('replay pipe filter', () => {
  const patterns = filterPatterns();
  const passes = (r: unknown) => patterns.some((p) => matchesPattern(p, r));

  it('is one pattern for other regions\' writes and one for writes that name no origin region', () => {
    expect(patterns).toEqual([
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { originRegion: { S: [{ 'anything-but': [PRIMARY] }] } } } },
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { originRegion: { S: [{ exists: false }] } } } },
    ]);
  });

  it("passes inserts and modifications another region wrote, never this region's own", () => {
    expect(passes(record('thing#t', 'thing#t', SECONDARY))).toBe(true);
    expect(passes({ ...record('thing#t', 'thing#t', SECONDARY), eventName: 'MODIFY' })).toBe(true);
    expect(passes(record('thing#t', 'thing#t', PRIMARY))).toBe(false);
    expect(passes({ ...record('thing#t', 'thing#t', PRIMARY), eventName: 'MODIFY' })).toBe(false);
  });

  it('never passes TTL removals (no new image)', () => {
    const { NewImage: _image, ...keysOnly } = record('thing#t').dynamodb;
    expect(passes({ eventName: 'REMOVE', dynamodb: keysOnly })).toBe(false);
    expect(passes({ ...record('thing#t'), eventName: 'REMOVE' })).toBe(false);
  });

  // Filtered out, such a record would vanish without a trace; passed on, replay refuses it as malformed
  // input and the workflow dead-letters it with its key.
  it.each([
    ['missing', undefined],
    ['not a string', { N: '1' }],
    ['null', { NULL: true }],
  ])('passes an insert or modification whose originRegion is %s, so it reaches the dead-letter path', (_what, originRegion) => {
    expect(passes(withOrigin(originRegion))).toBe(true);
    expect(passes(withOrigin(originRegion, 'MODIFY'))).toBe(true);
    expect(passes(withOrigin(originRegion, 'REMOVE'))).toBe(false);
  });
});
