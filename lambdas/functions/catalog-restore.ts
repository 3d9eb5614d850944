/** Lambda: restores the Glue Data Catalog from an export of the Backup stack, on demand. */
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { GlueCatalogBackup } from '../adapters/aws/glue-catalog-backup';
import { parseCatalogBackupEnvironment } from '../core/function-environment';
import { createCatalogRestoreHandler } from '../handlers/catalog-restore';
import { lambdaHandler, logger, tracer } from './lambda-handler';

export const handler = lambdaHandler(async () => {
  const settings = parseCatalogBackupEnvironment(process.env);
  return createCatalogRestoreHandler({
    ports: new GlueCatalogBackup(
      tracer.captureAWSv3Client(new GlueClient({})),
      tracer.captureAWSv3Client(new S3Client({})),
      settings.MEDALLION_AUDIT_BUCKET,
    ),
    logger,
  });
});
