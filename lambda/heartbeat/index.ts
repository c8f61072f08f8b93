/**
 * The heartbeat bundle: writes this region's heartbeat item into the journal, invoked every minute by an
 * EventBridge rule. The export name is HANDLERS.writeHeartbeat in lambda/contract/handlers.ts.
 */
import { HANDLER_ENV } from '../contract';
import { createDocumentClient, HandlerEnvironment } from '../shared/config';
import { createHeartbeatWriter } from './heartbeat-writer';

const env = new HandlerEnvironment(process.env, 'heartbeat');
const region = env.required('AWS_REGION');

export const handler = createHeartbeatWriter({
  doc: createDocumentClient(region),
  journalTableName: env.required(HANDLER_ENV.journalTableName),
  region,
  now: Date.now,
});
