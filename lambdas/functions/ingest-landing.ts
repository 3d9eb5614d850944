/** Lambda: ingests files dropped into the landing bucket (started by their EventBridge events). */
import { S3LandingConverter } from '../adapters/aws/s3-landing-converter';
import { systemClock } from '../adapters/system-clock';
import { createIngestLandingHandler } from '../handlers/ingest-landing';
import { lambdaHandler, logger } from './lambda-handler';
import { sources } from './platform/definitions';
import { lake } from './platform/lake';
import { lineage } from './platform/lineage';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  const { store, ledger } = lake();
  return createIngestLandingHandler({
    contracts,
    store,
    ledger,
    converter: new S3LandingConverter(store),
    clock: systemClock,
    logger,
    lineage: lineage(config, contracts),
  });
});
