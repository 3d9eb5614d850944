/**
 * The MSK event source mapping's target: writes each batch to bronze, one object per topic, and
 * commits its offsets. The scheduled drain (`kafka-drain`) writes the same MSK-shaped batches
 * through the same core function, many batches to an object.
 */
import type { PlatformConfig } from '../../config/schema';
import { PipelineError } from '../core/errors';
import type { IngestLedger } from '../core/ingest/bronze';
import type { LineageEmitter } from '../core/lineage/events';
import { ingestMskBatches, mskEventSchema, type MskEvent } from '../core/ingest/kafka';
import type { Clock, Logger, ParquetSink } from '../core/ports';
import type { TaskResult } from '../core/stats';
import { ingestStep } from '../core/tasks';
import { parseTaskInput } from './task-input';

export interface KafkaEventsDeps {
  readonly config: PlatformConfig;
  readonly sink: ParquetSink;
  readonly ledger: IngestLedger;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Run id for the batch: the drain's run, or a fresh id per MSK invocation. */
  readonly runId: () => string;
  /**
   * Where each MSK invocation reports its lineage (one task run per topic). The drain leaves it
   * out: it reports each dataset's whole drain as one run.
   */
  readonly lineage?: LineageEmitter;
}

export function createKafkaEventsHandler(deps: KafkaEventsDeps) {
  return async (event: unknown): Promise<TaskResult> => {
    const batch = parseTaskInput(mskEventSchema, event, 'kafka-events');
    const runId = deps.runId();
    const now = deps.clock.now().toISOString();
    const context = { runId, startedAt: now, runDate: now.slice(0, 10) };
    const datasets = [];
    const sources = new Set<string>();
    for (const [topic, records] of groupByTopic(batch)) {
      const { source, dataset } = datasetOfTopic(deps.config, topic);
      sources.add(source);
      const ingest = () =>
        ingestMskBatches(deps, [{ ...batch, records: { [topic]: records } }], {
          source,
          dataset,
          topic,
          runId,
        });
      const stats = deps.lineage
        ? await deps.lineage.ingest(context, { source, dataset }, ingest)
        : await ingest();
      deps.logger.info(`ingested ${records.length} messages of ${topic}`, { ...stats });
      datasets.push(stats);
    }
    return { step: ingestStep(batchSource(deps.config, sources)), datasets };
  };
}

/**
 * The source a batch belongs to. An event source mapping reads one topic and the drain one source,
 * so a batch spanning two sources means a topic is configured twice.
 */
function batchSource(config: PlatformConfig, sources: ReadonlySet<string>): string {
  if (sources.size > 1)
    throw new PipelineError(`A Kafka batch spans the sources ${[...sources].join(', ')}`);
  const kafka = Object.keys(config.sources).filter((s) => config.sources[s]!.kind === 'kafka');
  return [...sources][0] ?? kafka[0] ?? 'kafka';
}

function groupByTopic(event: MskEvent): Map<string, MskEvent['records'][string]> {
  const topics = new Map<string, MskEvent['records'][string]>();
  for (const records of Object.values(event.records)) {
    for (const record of records) {
      const group = topics.get(record.topic);
      if (group) group.push(record);
      else topics.set(record.topic, [record]);
    }
  }
  return topics;
}

function datasetOfTopic(
  config: PlatformConfig,
  topic: string,
): { source: string; dataset: string } {
  for (const [source, settings] of Object.entries(config.sources)) {
    if (settings.kind !== 'kafka') continue;
    for (const [dataset, d] of Object.entries(settings.datasets))
      if (d.topic === topic) return { source, dataset };
  }
  throw new PipelineError(
    `Received messages of topic ${topic}, which no kafka source in config consumes`,
  );
}
