import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { grantEchoCheckAndClear, grantEchoRateLimit, grantEchoRecord, grantJournalCaptureWrite, grantJournalReadItems, grantJournalStreamRead } from './journal-grants';
import type { IEchoLedger } from './echo-ledger';
import type { IReplicationJournal, JournalReadOptions } from './replication-journal';

/**
 * What the owned journal and an imported replica share: the grants, derived from their attributes.
 *
 * @internal
 */
export abstract class JournalBase extends Construct implements IReplicationJournal {
  abstract readonly table: dynamodb.ITableV2;
  abstract readonly tableName: string;
  abstract readonly tableArn: string;
  abstract readonly refIndexArn: string;
  abstract readonly streamArn: string;
  abstract readonly owningRegion: string;
  abstract readonly encryptionKey?: kms.IKey;

  grantCaptureWrite(grantee: iam.IGrantable): iam.Grant {
    return grantJournalCaptureWrite(this, grantee);
  }

  grantReadItems(grantee: iam.IGrantable, options?: JournalReadOptions): iam.Grant {
    return grantJournalReadItems(this, grantee, options);
  }

  grantStreamRead(grantee: iam.IGrantable): iam.Grant {
    return grantJournalStreamRead(this, grantee);
  }
}

/**
 * What a created echo ledger and an existing table used as one share: the grants, derived from their attributes.
 *
 * @internal
 */
export abstract class EchoLedgerBase extends Construct implements IEchoLedger {
  abstract readonly table: dynamodb.ITableV2;
  abstract readonly tableName: string;
  abstract readonly tableArn: string;
  abstract readonly encryptionKey?: kms.IKey;

  grantRecord(grantee: iam.IGrantable): iam.Grant {
    return grantEchoRecord(this, grantee);
  }

  grantCheckAndClear(grantee: iam.IGrantable): iam.Grant {
    return grantEchoCheckAndClear(this, grantee);
  }

  grantRateLimit(grantee: iam.IGrantable): iam.Grant {
    return grantEchoRateLimit(this, grantee);
  }
}
