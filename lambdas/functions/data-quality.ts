/** Lambda: the quality gate after a layer, checking silver or gold with Athena. */
import { systemClock } from '../adapters/system-clock';
import { createDataQualityHandler } from '../handlers/data-quality';
import { lambdaHandler, logger } from './lambda-handler';
import { athena } from './platform/athena';
import { sources } from './platform/definitions';
import { lineage } from './platform/lineage';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  return createDataQualityHandler({
    engine: await athena(config, 'DataQuality'),
    contracts,
    clock: systemClock,
    logger,
    lineage: lineage(config, contracts),
  });
});
