import { BackupClient, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsRestoreValidation } from '../../../lambdas/adapters/aws/restore-validation';
import { createRestoreValidationHandler } from '../../../lambdas/handlers/restore-validation';

const s3 = mockClient(S3Client);
const backup = mockClient(BackupClient);
const adapter = () => new AwsRestoreValidation(new S3Client({}), new BackupClient({}));
const logger = { info: () => {}, warn: () => {} };

/** AWS Backup's event when a restore job of a restore testing plan completes. */
const completed = (detail: Record<string, unknown> = {}) => ({
  version: '0',
  source: 'aws.backup',
  'detail-type': 'Restore Job State Change',
  detail: {
    restoreJobId: 'D2B5C3A1-0000-4000-8000-000000000001',
    status: 'COMPLETED',
    resourceType: 'S3',
    createdResourceArn: 'arn:aws:s3:::awsbackup-restore-test-123',
    restoreTestingPlanArn:
      'arn:aws:backup:eu-west-1:111111111111:restore-testing-plan:medallion_dev_lake-abc',
    ...detail,
  },
});

beforeEach(() => {
  s3.reset();
  backup.reset();
});

describe('restore validation (AWS adapter and handler)', () => {
  it('lists the restored bucket across pages and reports SUCCESSFUL with PutRestoreValidationResult', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'crm/accounts/data/p.parquet' }],
        IsTruncated: true,
        NextContinuationToken: 'next',
      })
      .resolvesOnce({ Contents: [{ Key: 'crm/accounts/metadata/00001.metadata.json' }] });
    const handler = createRestoreValidationHandler({ ports: adapter(), logger });
    expect(await handler(completed())).toEqual({
      status: 'SUCCESSFUL',
      message: '2 objects, 1 tables, each with its metadata.json.',
    });
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'awsbackup-restore-test-123', ContinuationToken: undefined },
      { Bucket: 'awsbackup-restore-test-123', ContinuationToken: 'next' },
    ]);
    expect(backup.commandCalls(PutRestoreValidationResultCommand)[0]!.args[0].input).toEqual({
      RestoreJobId: 'D2B5C3A1-0000-4000-8000-000000000001',
      ValidationStatus: 'SUCCESSFUL',
      ValidationStatusMessage: '2 objects, 1 tables, each with its metadata.json.',
    });
  });

  it('reports FAILED for an empty restored bucket', async () => {
    s3.on(ListObjectsV2Command).resolves({});
    await createRestoreValidationHandler({ ports: adapter(), logger })(completed());
    expect(backup.commandCalls(PutRestoreValidationResultCommand)[0]!.args[0].input).toMatchObject({
      ValidationStatus: 'FAILED',
      ValidationStatusMessage: 'The restored bucket is empty.',
    });
  });

  it('names the call that was denied', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'x' }] });
    backup
      .on(PutRestoreValidationResultCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(
      createRestoreValidationHandler({ ports: adapter(), logger })(completed()),
    ).rejects.toThrow(
      'AWS Backup PutRestoreValidationResult failed: AccessDeniedException: not authorized',
    );
  });

  it('refuses an event that is not a completed S3 restore, before touching anything', async () => {
    const handler = createRestoreValidationHandler({ ports: adapter(), logger });
    await expect(handler(completed({ status: 'FAILED' }))).rejects.toThrow(/status/);
    await expect(
      handler(completed({ createdResourceArn: 'arn:aws:dynamodb:eu-west-1:1:table/t' })),
    ).rejects.toThrow(/an S3 bucket ARN/);
    expect(s3.calls()).toHaveLength(0);
    expect(backup.calls()).toHaveLength(0);
  });
});
