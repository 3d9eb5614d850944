import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { PipelineError, TransientError } from '../../core/errors';
import type { RunLease, RunLeaseStore } from '../../core/ports';

/**
 * Run leases as DynamoDB items, one per lock (`pk`), written and deleted only under a condition so
 * that two executions racing for the lock cannot both win. `expires_at` (epoch seconds) is both
 * the lease's end, checked by the condition, and the table's TTL attribute, which only tidies up:
 * TTL deletes items some time after they expire, so it never decides who may take the lock.
 */
export class DynamoDbRunLeaseStore implements RunLeaseStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** `mayClaim` of core/run-lock.ts as a condition expression. */
  async claim(lease: RunLease, now: Date): Promise<RunLease | undefined> {
    try {
      await this.call('PutItem', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              pk: { S: lease.lock },
              owner: { S: lease.owner },
              job: { S: lease.job },
              acquired_at: { S: lease.acquiredAt },
              expires_at: { N: String(epochSeconds(lease.expiresAt)) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now OR #owner = :owner',
            // OWNER is a DynamoDB reserved word.
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':now': { N: String(Math.floor(now.getTime() / 1000)) },
              ':owner': { S: lease.owner },
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return this.leaseOf(error.Item);
      throw error;
    }
  }

  async release(
    lock: string,
    owner: string,
  ): Promise<{ released: true } | { released: false; holder?: RunLease }> {
    try {
      await this.call('DeleteItem', () =>
        this.client.send(
          new DeleteItemCommand({
            TableName: this.table,
            Key: { pk: { S: lock } },
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': { S: owner } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return { released: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error.Item
        ? { released: false, holder: this.leaseOf(error.Item) }
        : { released: false };
    }
  }

  private leaseOf(item: Record<string, AttributeValue> | undefined): RunLease {
    const text = (name: string) => item?.[name]?.S;
    const expires = item?.expires_at?.N;
    const lock = text('pk');
    const owner = text('owner');
    const job = text('job');
    const acquiredAt = text('acquired_at');
    if (!lock || !owner || !job || !acquiredAt || expires === undefined) {
      throw new PipelineError(
        `DynamoDB table ${this.table} holds a run lock item that is not a lease: ${JSON.stringify(item ?? null)}`,
      );
    }
    return {
      lock,
      owner,
      job,
      acquiredAt,
      expiresAt: new Date(Number(expires) * 1000).toISOString(),
    };
  }

  /** A lost condition is an answer, passed on as is; throttling and 5xx are worth a retry. */
  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      const message = `DynamoDB ${operation} on ${this.table} failed: ${(error as Error).message}`;
      throw isTransient(error)
        ? new TransientError(message, { cause: error })
        : new PipelineError(message, { cause: error });
    }
  }
}

/** Rounded up, so a lease never ends before the instant it was asked to last to. */
function epochSeconds(iso: string): number {
  return Math.ceil(new Date(iso).getTime() / 1000);
}

const transientNames = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'InternalServerError',
]);

function isTransient(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return transientNames.has(e.name ?? '') || status === 429 || status >= 500;
}
