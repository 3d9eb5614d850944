/** Lambda: target of the MSK event source mapping; each invocation is a run of its own. */
import { v7 as uuidv7 } from 'uuid';
import { S3ParquetSink } from '../adapters/aws/s3-parquet-sink';
import { systemClock } from '../adapters/system-clock';
import { createKafkaEventsHandler } from '../handlers/kafka-events';
import { lambdaHandler, logger } from './lambda-handler';
import { sources } from './platform/definitions';
import { lake } from './platform/lake';
import { lineage } from './platform/lineage';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  const { store, ledger } = lake();
  return createKafkaEventsHandler({
    config,
    sink: new S3ParquetSink(store),
    ledger,
    clock: systemClock,
    logger,
    lineage: lineage(config, contracts),
    runId: () => uuidv7(),
  });
});
