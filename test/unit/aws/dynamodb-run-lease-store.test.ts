import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbRunLeaseStore } from '../../../lambdas/adapters/aws/dynamodb-run-lease-store';
import { PipelineError, RunLockHeldError, TransientError } from '../../../lambdas/core/errors';
import { RunLock } from '../../../lambdas/core/run-lock';
import { ManualClock } from '../../helpers/clock';
import { dynamoDbRunLeaseStoreIam } from '../../../lambdas/adapters/aws/iam-calls';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const dynamodb = mockClient(DynamoDBClient);
expectDeclaredCommands('DynamoDbRunLeaseStore', dynamodb, dynamoDbRunLeaseStoreIam.actions);
const table = 'medallion-dev-run-lock';
const store = () =>
  new DynamoDbRunLeaseStore(
    new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    }),
    table,
  );
const lock = () => new RunLock(store(), new ManualClock(new Date('2026-01-02T03:00:00.000Z')));
const daily = { owner: 'run-a', job: 'medallion-dev-daily', leaseSeconds: 7500 };

/** The item of run-b's live lease, as DynamoDB returns it with a failed condition. */
const held = {
  pk: { S: 'lake' },
  owner: { S: 'run-b' },
  job: { S: 'medallion-dev-landing_to_bronze' },
  acquired_at: { S: '2026-01-02T02:50:00.000Z' },
  expires_at: { N: String(Date.parse('2026-01-02T03:55:00.000Z') / 1000) },
};
const conditionFailed = (item?: typeof held) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
    ...(item ? { Item: item } : {}),
  });

beforeEach(() => dynamodb.reset());

describe('DynamoDbRunLeaseStore', () => {
  it('takes the lock with one conditional PutItem: free, expired or already this run’s', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    const lease = await lock().acquire(daily);
    expect(lease.expiresAt).toBe('2026-01-02T05:05:00.000Z');
    expect(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: table,
        Item: {
          pk: { S: 'lake' },
          owner: { S: 'run-a' },
          job: { S: 'medallion-dev-daily' },
          acquired_at: { S: '2026-01-02T03:00:00.000Z' },
          // Epoch seconds: the lease's end and the table's TTL attribute.
          expires_at: { N: String(Date.parse('2026-01-02T05:05:00.000Z') / 1000) },
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':now': { N: String(Date.parse('2026-01-02T03:00:00.000Z') / 1000) },
          ':owner': { S: 'run-a' },
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
  });

  it('a failed condition is the lock held: the error names the holder from the item DynamoDB returns', async () => {
    dynamodb.on(PutItemCommand).rejects(conditionFailed(held));
    const refused = lock().acquire(daily);
    await expect(refused).rejects.toBeInstanceOf(RunLockHeldError);
    await expect(refused).rejects.toThrow(
      'The lake is busy: run run-b of medallion-dev-landing_to_bronze has held it since 2026-01-02T02:50:00.000Z (its lease ends at 2026-01-02T03:55:00.000Z).',
    );
  });

  it('gives the lock back with a DeleteItem conditioned on the owner', async () => {
    dynamodb.on(DeleteItemCommand).resolves({});
    expect(await lock().release('run-a')).toEqual({ released: true });
    expect(dynamodb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: table,
        Key: { pk: { S: 'lake' } },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': { S: 'run-a' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    ]);
  });

  it('refuses to give back another run’s lock, and says whose it is; nobody’s is no error', async () => {
    dynamodb
      .on(DeleteItemCommand)
      .rejectsOnce(conditionFailed(held))
      .rejectsOnce(conditionFailed());
    expect(await lock().release('run-a')).toEqual({
      released: false,
      holder: {
        lock: 'lake',
        owner: 'run-b',
        job: 'medallion-dev-landing_to_bronze',
        acquiredAt: '2026-01-02T02:50:00.000Z',
        expiresAt: '2026-01-02T03:55:00.000Z',
      },
    });
    expect(await lock().release('run-a')).toEqual({ released: false });
  });

  it('throttling is worth a retry; other failures name the call and the table', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejectsOnce(
        new DynamoDBServiceException({
          name: 'ProvisionedThroughputExceededException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      )
      .rejectsOnce(
        new DynamoDBServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'not authorized to perform: dynamodb:PutItem',
        }),
      );
    await expect(lock().acquire(daily)).rejects.toBeInstanceOf(TransientError);
    const denied = lock().acquire(daily);
    await expect(denied).rejects.toThrow(
      'DynamoDB PutItem on medallion-dev-run-lock failed: not authorized to perform: dynamodb:PutItem',
    );
    await expect(denied).rejects.toSatisfy(
      (e) => e instanceof PipelineError && !(e instanceof TransientError),
    );
  });
});
