import { PutRestoreValidationResultCommand, type BackupClient } from '@aws-sdk/client-backup';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type {
  RestoreValidation,
  RestoreValidationPorts,
} from '../../core/backup/restore-validation';
import { apiError } from './athena-engine';

/**
 * The restored bucket read through S3 (keys only: no object is downloaded) and the verdict sent
 * to AWS Backup, which shows it on the restore job and then deletes the restored bucket.
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing-validation.html
 */
export class AwsRestoreValidation implements RestoreValidationPorts {
  constructor(
    private readonly s3: S3Client,
    private readonly backup: BackupClient,
  ) {}

  async listKeys(bucket: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.s3.send(
          new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
        );
      } catch (error) {
        throw apiError(`S3 ListObjectsV2 of ${bucket}`, error);
      }
      keys.push(...(page.Contents ?? []).flatMap((o) => o.Key ?? []));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async report(restoreJobId: string, validation: RestoreValidation): Promise<void> {
    try {
      await this.backup.send(
        new PutRestoreValidationResultCommand({
          RestoreJobId: restoreJobId,
          ValidationStatus: validation.status,
          ValidationStatusMessage: validation.message,
        }),
      );
    } catch (error) {
      throw apiError('AWS Backup PutRestoreValidationResult', error);
    }
  }
}
