/**
 * Command API Lambda (command-control account): onboard, suspend, resume, decommission a device and read its
 * status in both regions. IoT, the journal, the echo ledger and the replication metrics are in the
 * iot-services account, reached through each region's CommandAccessRole (assumed with STS, credentials cached
 * until shortly before they expire); the idempotency table is this account's. Wiring only; the logic is in
 * command-handler.ts.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { iotIdentityReader } from '../capture/identity-capture';
import { createJournalWriter } from '../capture/journal-writer';
import { createDocumentClient, DOCUMENT_TRANSLATE_CONFIG } from '../shared/config';
import { EchoLedgerStore } from '../shared/echo-ledger-store';
import { JournalStore } from '../shared/journal-store';
import { iotRegistryReader } from '../shared/registry-adapter';
import { assumedRoleCredentials } from './access';
import { createCommandHandler } from './command-handler';
import { readCommandConfig } from './config';
import { IdempotencyStore } from './idempotency';
import { commandSelfCheck, isApiGatewayEvent, type SelfCheckResult } from './self-check';
import type { RegionAccess } from './status';

const config = readCommandConfig(process.env);
const sts = new STSClient({ region: config.region });
const sessionName = `cdk-iot-dr-command-${config.region}`;

function regionAccess(region: string, roleArn: string): RegionAccess & { credentials: ReturnType<typeof assumedRoleCredentials> } {
  const credentials = assumedRoleCredentials(sts, roleArn, { sessionName });
  return { region, iot: new IoTClient({ region, credentials }), cloudwatch: new CloudWatchClient({ region, credentials }), credentials };
}

const own = regionAccess(config.region, config.accessRoleArn);
const peer = config.peerRegion && config.peerAccessRoleArn ? regionAccess(config.peerRegion, config.peerAccessRoleArn) : undefined;
// The journal and the echo ledger of this region, in the iot-services account.
const iotServicesDynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: config.region, credentials: own.credentials }), DOCUMENT_TRANSLATE_CONFIG);
// Shadows are never journaled by the command API: their reader is never called.
const noDataPlane = { send: () => Promise.reject(new Error('the command API does not read shadows')) };

const journal = new JournalStore(iotServicesDynamo, config.journalTableName);

const api = createCommandHandler({
  own,
  ...(peer ? { peer } : {}),
  accountId: config.iotServicesAccount,
  writer: createJournalWriter({
    journal,
    ledger: new EchoLedgerStore(iotServicesDynamo, config.echoLedgerTableName),
    iot: iotRegistryReader(own.iot),
    identities: iotIdentityReader(own.iot, noDataPlane, { region: config.region, accountId: config.iotServicesAccount }),
    region: config.region,
    tombstoneTtlSeconds: config.tombstoneTtlSeconds,
    now: Date.now,
  }),
  idempotency: new IdempotencyStore(createDocumentClient(config.region), config.idempotencyTableName, {
    ttlSeconds: config.idempotencyTtlSeconds,
    leaseMs: config.inFlightLeaseSeconds * 1000,
  }),
  tombstoneTtlSeconds: config.tombstoneTtlSeconds,
  metricsNamespace: config.metricsNamespace,
});

/** API Gateway's requests go to the API; a direct invocation (the regional health API's `{}`) runs the self-check. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult | SelfCheckResult> {
  return isApiGatewayEvent(event) ? api(event) : commandSelfCheck({ iot: own.iot, journal });
}
