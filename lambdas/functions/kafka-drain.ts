/** Lambda: the Kafka step of the state machines; on AWS the event source mapping has delivered already. */
import { S3ParquetSink } from '../adapters/aws/s3-parquet-sink';
import { systemClock } from '../adapters/system-clock';
import { createKafkaDrainHandler } from '../handlers/kafka-drain';
import { lambdaHandler, logger } from './lambda-handler';
import { sources } from './platform/definitions';
import { eventSourceMappedTopics } from './platform/kafka';
import { lake } from './platform/lake';
import { lineage } from './platform/lineage';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  const { store, ledger } = lake();
  return createKafkaDrainHandler({
    config,
    sink: new S3ParquetSink(store),
    ledger,
    batches: eventSourceMappedTopics(config),
    clock: systemClock,
    logger,
    lineage: lineage(config, contracts),
  });
});
