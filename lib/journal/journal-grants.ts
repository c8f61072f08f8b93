import * as iam from 'aws-cdk-lib/aws-iam';
import type { IEchoLedger } from './echo-ledger';
import type { IReplicationJournal, JournalReadOptions } from './replication-journal';
import { RATE_LIMIT_KEY_PREFIX } from '../../lambda/contract';

/**
 * The IAM each consumer of the journal and the echo ledger needs, written once for the owned table and
 * for an imported replica alike. Each grant is exactly the calls its consumer makes, on the one table (or
 * index, or stream) it makes them on, plus the KMS permissions a customer managed key then requires.
 */

function allow(grantee: iam.IGrantable, actions: string[], resourceArn: string): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [resourceArn] });
}

function withKey(grant: iam.Grant, key: IReplicationJournal['encryptionKey'], keyGrant: 'decrypt' | 'encryptDecrypt', grantee: iam.IGrantable): iam.Grant {
  if (!key) return grant;
  return grant.combine(keyGrant === 'decrypt' ? key.grantDecrypt(grantee) : key.grantEncryptDecrypt(grantee));
}

/** Capture: reads an entity's item, writes it conditionally, queries a partition and, for cascades, the `byRef` index. */
export function grantJournalCaptureWrite(journal: IReplicationJournal, grantee: iam.IGrantable): iam.Grant {
  const grant = allow(grantee, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], journal.tableArn).combine(
    allow(grantee, ['dynamodb:Query'], journal.refIndexArn),
  );
  return withKey(grant, journal.encryptionKey, 'encryptDecrypt', grantee);
}

/** Replay: reads the item it replays (and, with `query`, the partition it heads). */
export function grantJournalReadItems(journal: IReplicationJournal, grantee: iam.IGrantable, options: JournalReadOptions = {}): iam.Grant {
  const actions = options.query ? ['dynamodb:GetItem', 'dynamodb:Query'] : ['dynamodb:GetItem'];
  return withKey(allow(grantee, actions, journal.tableArn), journal.encryptionKey, 'decrypt', grantee);
}

/** The pipe: reads this region's stream. */
export function grantJournalStreamRead(journal: IReplicationJournal, grantee: iam.IGrantable): iam.Grant {
  const grant = allow(
    grantee,
    ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
    journal.streamArn,
  );
  return withKey(grant, journal.encryptionKey, 'decrypt', grantee);
}

/**
 * Replay records what it applied: `EchoLedgerStore.record` reads the entity's entry and updates it, and
 * `recordKnownState` puts the entity's known-state item (a conditional PutItem).
 */
export function grantEchoRecord(ledger: IEchoLedger, grantee: iam.IGrantable): iam.Grant {
  return withKey(
    allow(grantee, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], ledger.tableArn),
    ledger.encryptionKey,
    'encryptDecrypt',
    grantee,
  );
}

/**
 * Capture recognises replay's echoes and, after a genuine change, clears the entry: it deletes it, or
 * updates it when replay recorded since; and it puts the entity's known-state item (`recordKnownState`, a
 * conditional PutItem), which it writes, so the key must encrypt too.
 */
export function grantEchoCheckAndClear(ledger: IEchoLedger, grantee: iam.IGrantable): iam.Grant {
  return withKey(
    allow(grantee, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'], ledger.tableArn),
    ledger.encryptionKey,
    'encryptDecrypt',
    grantee,
  );
}

/**
 * The shared IoT rate limiter (lambda/shared/rate-limiter.ts): one conditional UpdateItem per paced call on
 * its window items, and only on those (`rate#` keys).
 */
export function grantEchoRateLimit(ledger: IEchoLedger, grantee: iam.IGrantable): iam.Grant {
  const grant = iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:UpdateItem'],
    resourceArns: [ledger.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RATE_LIMIT_KEY_PREFIX}*`] } },
  });
  return withKey(grant, ledger.encryptionKey, 'encryptDecrypt', grantee);
}
