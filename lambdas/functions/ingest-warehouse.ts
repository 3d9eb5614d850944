/** Lambda: incremental extraction from Snowflake (SQL API, COPY INTO stage) or Redshift (Data API, UNLOAD). */
import { systemClock } from '../adapters/system-clock';
import { createIngestWarehouseHandler } from '../handlers/ingest-warehouse';
import { lambdaHandler, logger } from './lambda-handler';
import { sources } from './platform/definitions';
import { lake } from './platform/lake';
import { lineage } from './platform/lineage';
import { warehouseClients } from './platform/warehouses';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  const { store, ledger } = lake();
  return createIngestWarehouseHandler({
    config,
    contracts,
    warehouse: warehouseClients(config, store),
    ledger,
    clock: systemClock,
    logger,
    lineage: lineage(config, contracts),
  });
});
