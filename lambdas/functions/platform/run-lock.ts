import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbRunLeaseStore } from '../../adapters/aws/dynamodb-run-lease-store';
import { systemClock } from '../../adapters/system-clock';
import { RunLock } from '../../core/run-lock';
import { tracer } from '../lambda-handler';
import { settings } from './settings';

/** The lake's run lock as functions see it: a lease item in the table the stack names. */
export function runLock(): RunLock {
  return new RunLock(
    new DynamoDbRunLeaseStore(
      tracer.captureAWSv3Client(new DynamoDBClient({})),
      settings().MEDALLION_RUN_LOCK_TABLE,
    ),
    systemClock,
  );
}
