/** Lambda: takes and gives back the lake's run lock, a lease item in DynamoDB. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbRunLeaseStore } from '../adapters/aws/dynamodb-run-lease-store';
import { systemClock } from '../adapters/system-clock';
import { RunLock } from '../core/run-lock';
import { createRunLockHandler } from '../handlers/run-lock';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { settings } from './platform/settings';

export const handler = lambdaHandler(async () =>
  createRunLockHandler({
    lock: new RunLock(
      new DynamoDbRunLeaseStore(
        tracer.captureAWSv3Client(new DynamoDBClient({})),
        settings().MEDALLION_RUN_LOCK_TABLE,
      ),
      systemClock,
    ),
    logger,
  }),
);
