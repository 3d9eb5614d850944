import type { PlatformConfig } from '../../../config/schema';
import { PipelineError } from '../../core/errors';
import type { MskBatchSource } from '../../core/ports';

/**
 * On AWS, Kafka messages reach bronze through the MSK event source mapping (the kafka-events
 * function) as they arrive, so the scheduled drain has nothing left to pull; it says so in the run
 * summary. A topic without a mapping cannot be read from here, which fails with what to change.
 */
export function eventSourceMappedTopics(config: PlatformConfig): MskBatchSource {
  return {
    note: 'delivered continuously by the MSK event source mapping to the kafka-events function',
    // eslint-disable-next-line require-yield
    async *batches({ topic }) {
      const mapped = Object.values(config.sources).some(
        (s) =>
          s.kind === 'kafka' &&
          s.eventSourceMapping &&
          Object.values(s.datasets).some((d) => d.topic === topic),
      );
      if (!mapped) {
        throw new PipelineError(
          `Topic ${topic} has no MSK event source mapping: set eventSourceMapping: true and mskClusterArn for its source in config/${config.env}.yaml`,
        );
      }
    },
  };
}
