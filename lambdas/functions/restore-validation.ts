/** Lambda: validates the restore jobs of the Backup stack's restore testing plan. */
import { BackupClient } from '@aws-sdk/client-backup';
import { S3Client } from '@aws-sdk/client-s3';
import { AwsRestoreValidation } from '../adapters/aws/restore-validation';
import { createRestoreValidationHandler } from '../handlers/restore-validation';
import { lambdaHandler, logger, tracer } from './lambda-handler';

export const handler = lambdaHandler(async () =>
  createRestoreValidationHandler({
    ports: new AwsRestoreValidation(
      tracer.captureAWSv3Client(new S3Client({})),
      tracer.captureAWSv3Client(new BackupClient({})),
    ),
    logger,
  }),
);
