/** Lambda: the last step of every pipeline, writing run figures into the Glue tables. */
import { GlueClient } from '@aws-sdk/client-glue';
import { GlueCatalogWriter } from '../adapters/aws/glue-catalog-writer';
import { systemClock } from '../adapters/system-clock';
import { DatasetStatuses } from '../core/catalog';
import { createCatalogSyncHandler } from '../handlers/catalog-sync';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { athena } from './platform/athena';
import { sources } from './platform/definitions';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  return createCatalogSyncHandler({
    contracts,
    statuses: new DatasetStatuses(await athena(config, 'CatalogSync')),
    writer: new GlueCatalogWriter(
      tracer.captureAWSv3Client(new GlueClient({})),
      config.project,
      config.env,
    ),
    clock: systemClock,
    logger,
  });
});
