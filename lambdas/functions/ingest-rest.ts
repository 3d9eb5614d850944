/** Lambda: paginated extraction from the CRM and FX APIs, tokens from Secrets Manager. */
import { S3ParquetSink } from '../adapters/aws/s3-parquet-sink';
import { FetchHttpClient } from '../adapters/http/fetch-client';
import { systemClock } from '../adapters/system-clock';
import { createIngestRestHandler } from '../handlers/ingest-rest';
import { lambdaHandler, logger } from './lambda-handler';
import { sources } from './platform/definitions';
import { lake } from './platform/lake';
import { lineage } from './platform/lineage';
import { restEndpoints } from './platform/rest';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  const { store, ledger } = lake();
  return createIngestRestHandler({
    config,
    contracts,
    http: new FetchHttpClient(),
    endpoint: restEndpoints(config),
    sink: new S3ParquetSink(store),
    ledger,
    clock: systemClock,
    random: Math.random,
    logger,
    lineage: lineage(config, contracts),
  });
});
