/**
 * The idempotency table (command-control account): one item per caller and Idempotency-Key, holding the
 * request's fingerprint and, once done, its answer — never a private key (the handler strips it before
 * `complete`). States:
 *
 * - `IN_PROGRESS` with a lease (`lockedUntil`): a second request with the key while the lease runs is
 *   answered 409; after it (the function died mid-request) a retry takes the request over, with the
 *   `progress` the first attempt saved (the certificate it created).
 * - `JOURNAL_PENDING`: IoT was changed but the journal write failed; a retry journals again and answers.
 * - `COMPLETED`: the stored answer is replayed to every retry.
 *
 * A failed request is `abandon`ed: its lease is dropped (the key may be retried at once) and its progress kept
 * when it left something behind. Items expire with the table's TTL (`expiresAt`); an expired item not yet
 * removed by DynamoDB counts as absent.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { IDEMPOTENCY_ATTR } from '../contract';

/** What a first attempt left behind for a retry to resume from (or clean up). */
export interface RequestProgress {
  /** A certificate the attempt created. */
  readonly certificateId?: string;
  /** How it was created: from the device's CSR (reusable) or with keys the attempt could not hand out (to delete). */
  readonly certificateSource?: 'csr' | 'keys';
  /** The attempt created the thing (a rollback deletes it). */
  readonly thingCreated?: boolean;
}

/** An answer as stored and replayed. */
export interface StoredResponse {
  readonly statusCode: number;
  /** The JSON body. */
  readonly body: Record<string, unknown>;
}

export type BeginOutcome =
  | { readonly kind: 'started'; readonly progress?: RequestProgress }
  | { readonly kind: 'completed'; readonly response: StoredResponse }
  | { readonly kind: 'journal-pending'; readonly response: StoredResponse; readonly entities: readonly unknown[] }
  | { readonly kind: 'fingerprint-mismatch' }
  | { readonly kind: 'in-flight' };

export interface IdempotencyOptions {
  /** How long a record lives, seconds. */
  readonly ttlSeconds: number;
  /** How long an in-flight request holds its key, milliseconds (longer than the function's timeout). */
  readonly leaseMs: number;
  readonly now?: () => number;
}

/** Every attribute an expression names goes through an alias (`state` is a DynamoDB reserved word). */
const ATTRIBUTE_ALIASES = {
  '#state': 'state',
  '#exp': IDEMPOTENCY_ATTR.ttl,
  '#response': 'response',
  '#progress': 'progress',
  '#entities': 'entities',
  '#locked': 'lockedUntil',
} as const;

const STATE = { inProgress: 'IN_PROGRESS', journalPending: 'JOURNAL_PENDING', completed: 'COMPLETED' } as const;

const isConditionFailure = (err: unknown): boolean => err instanceof Error && err.name === 'ConditionalCheckFailedException';

export class IdempotencyStore {
  private readonly now: () => number;

  constructor(
    private readonly doc: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
    private readonly options: IdempotencyOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Claims `key` for a request with `fingerprint`, or says why not (and what to answer instead). */
  async begin(key: string, fingerprint: string): Promise<BeginOutcome> {
    const now = this.now();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [IDEMPOTENCY_ATTR.partitionKey]: key, fingerprint, state: STATE.inProgress, lockedUntil: now + this.options.leaseMs, [IDEMPOTENCY_ATTR.ttl]: this.expiry(now) },
          ConditionExpression: 'attribute_not_exists(#key) OR #exp <= :nowSeconds',
          ExpressionAttributeNames: { '#key': IDEMPOTENCY_ATTR.partitionKey, '#exp': IDEMPOTENCY_ATTR.ttl },
          ExpressionAttributeValues: { ':nowSeconds': Math.floor(now / 1000) },
        }),
      );
      return { kind: 'started' };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const stored = await this.get(key);
    // Expired or removed between the two calls: a rare race, answered as in flight (the client retries).
    if (!stored) return { kind: 'in-flight' };
    if (stored.fingerprint !== fingerprint) return { kind: 'fingerprint-mismatch' };
    if (stored.state === STATE.completed) return { kind: 'completed', response: JSON.parse(String(stored.response)) as StoredResponse };
    if (Number(stored.lockedUntil ?? 0) > now || !(await this.takeLease(key, Number(stored.lockedUntil ?? 0), now))) return { kind: 'in-flight' };
    if (stored.state === STATE.journalPending) {
      return {
        kind: 'journal-pending',
        response: JSON.parse(String(stored.response)) as StoredResponse,
        entities: JSON.parse(String(stored.entities ?? '[]')) as unknown[],
      };
    }
    const progress = stored.progress !== undefined ? (JSON.parse(String(stored.progress)) as RequestProgress) : undefined;
    return { kind: 'started', ...(progress ? { progress } : {}) };
  }

  /** Records what the request has created so far (a retry after a crash resumes from it). */
  async saveProgress(key: string, progress: RequestProgress): Promise<void> {
    await this.update(key, 'SET #progress = :p', { ':p': JSON.stringify(progress) });
  }

  /** Stores the answer every retry gets. */
  async complete(key: string, response: StoredResponse): Promise<void> {
    const now = this.now();
    await this.update(key, 'SET #state = :s, #response = :r, #exp = :exp, #locked = :zero REMOVE #progress, #entities', {
      ':s': STATE.completed,
      ':r': JSON.stringify(response),
      ':exp': this.expiry(now),
      ':zero': 0,
    });
  }

  /** IoT is changed, the journal is not: a retry journals `entities` again, then answers `response`. */
  async journalPending(key: string, response: StoredResponse, entities: readonly unknown[]): Promise<void> {
    await this.update(key, 'SET #state = :s, #response = :r, #entities = :e, #locked = :zero', {
      ':s': STATE.journalPending,
      ':r': JSON.stringify(response),
      ':e': JSON.stringify(entities),
      ':zero': 0,
    });
  }

  /** Releases the key after a failure: a retry may start at once, resuming from `progress` when given. */
  async abandon(key: string, progress?: RequestProgress): Promise<void> {
    if (progress && Object.keys(progress).length > 0) {
      await this.update(key, 'SET #locked = :zero, #progress = :p', { ':zero': 0, ':p': JSON.stringify(progress) });
    } else {
      await this.update(key, 'SET #locked = :zero REMOVE #progress', { ':zero': 0 });
    }
  }

  private async takeLease(key: string, seen: number, now: number): Promise<boolean> {
    try {
      await this.update(key, 'SET #locked = :until', { ':until': now + this.options.leaseMs, ':seen': seen }, '#locked = :seen');
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  private async get(key: string): Promise<Record<string, unknown> | undefined> {
    const res = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { [IDEMPOTENCY_ATTR.partitionKey]: key }, ConsistentRead: true }));
    const item = res.Item;
    if (!item || Number(item[IDEMPOTENCY_ATTR.ttl] ?? Infinity) <= Math.floor(this.now() / 1000)) return undefined;
    return item;
  }

  private async update(key: string, expression: string, values: Record<string, unknown>, condition?: string): Promise<void> {
    const names: Record<string, string> = { '#key': IDEMPOTENCY_ATTR.partitionKey };
    for (const [alias, name] of Object.entries(ATTRIBUTE_ALIASES)) if (`${expression} ${condition ?? ''}`.includes(alias)) names[alias] = name;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [IDEMPOTENCY_ATTR.partitionKey]: key },
        UpdateExpression: expression,
        ConditionExpression: condition ? `attribute_exists(#key) AND ${condition}` : 'attribute_exists(#key)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  private expiry(now: number): number {
    return Math.floor(now / 1000) + this.options.ttlSeconds;
  }
}
