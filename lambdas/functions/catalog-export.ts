/** Lambda: the scheduled Glue Data Catalog export of the Backup stack. */
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { GlueCatalogBackup } from '../adapters/aws/glue-catalog-backup';
import { systemClock } from '../adapters/system-clock';
import { parseCatalogBackupEnvironment } from '../core/function-environment';
import { createCatalogExportHandler } from '../handlers/catalog-export';
import { lambdaHandler, logger, tracer } from './lambda-handler';

export const handler = lambdaHandler(async () => {
  const settings = parseCatalogBackupEnvironment(process.env);
  return createCatalogExportHandler({
    ports: new GlueCatalogBackup(
      tracer.captureAWSv3Client(new GlueClient({})),
      tracer.captureAWSv3Client(new S3Client({})),
      settings.MEDALLION_AUDIT_BUCKET,
    ),
    databasePrefix: settings.MEDALLION_DATABASE_PREFIX,
    clock: systemClock,
    logger,
  });
});
