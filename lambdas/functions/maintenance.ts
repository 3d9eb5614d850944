/**
 * Lambda: the maintenance job's steps, with Athena on the Iceberg tables, Glue as the catalog and
 * S3 for bronze partitions past their retention.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { GlueTableInventory } from '../adapters/aws/glue-inventory';
import { S3BronzePurger } from '../adapters/aws/s3-bronze-purger';
import { systemClock } from '../adapters/system-clock';
import { createMaintenanceHandler } from '../handlers/maintenance';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { athena } from './platform/athena';
import { sources } from './platform/definitions';
import { lake } from './platform/lake';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  return createMaintenanceHandler({
    engine: await athena(config, 'Maintenance'),
    inventory: new GlueTableInventory(
      tracer.captureAWSv3Client(new GlueClient({})),
      config.project,
      config.env,
    ),
    config: config.maintenance,
    contracts: contracts.all(),
    bronze: new S3BronzePurger(tracer.captureAWSv3Client(new S3Client({})), lake().store),
    clock: systemClock,
    logger,
  });
});
