/** Lambda: the maintenance job's steps, with Athena on the Iceberg tables and Glue as the catalog. */
import { GlueClient } from '@aws-sdk/client-glue';
import { GlueTableInventory } from '../adapters/aws/glue-inventory';
import { systemClock } from '../adapters/system-clock';
import { createMaintenanceHandler } from '../handlers/maintenance';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { athena } from './platform/athena';
import { sources } from './platform/definitions';

export const handler = lambdaHandler(async () => {
  const { config } = await sources();
  return createMaintenanceHandler({
    engine: await athena(config, 'Maintenance'),
    inventory: new GlueTableInventory(
      tracer.captureAWSv3Client(new GlueClient({})),
      config.project,
      config.env,
    ),
    config: config.maintenance,
    clock: systemClock,
    logger,
  });
});
