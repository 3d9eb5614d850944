/**
 * Task handler: drains every topic of a Kafka source from its committed offsets up to the end of
 * the run's day, writing its MSK-shaped batches as the MSK handler does (`ingestMskBatches`), many
 * batches to a bronze object. The batches come from a typed adapter, so unlike an MSK event they
 * are not validated again record by record.
 */
import * as z from 'zod';
import type { PlatformConfig } from '../../config/schema';
import type { IngestLedger } from '../core/ingest/bronze';
import { ingestMskBatches, type Offsets } from '../core/ingest/kafka';
import type { LineageEmitter } from '../core/lineage/events';
import type { Clock, Logger, MskBatchSource } from '../core/ports';
import type { DatasetStats, TaskResult } from '../core/stats';
import { endOfDay, resolveRunDate } from '../core/time';
import type { KafkaEventsDeps } from './kafka-events';
import { ingestStep } from '../core/tasks';
import { parseTaskInput, pipelineContext, sourceOf, taskInputSchema } from './task-input';

export interface KafkaDrainDeps extends Omit<KafkaEventsDeps, 'runId'> {
  readonly config: PlatformConfig;
  readonly batches: MskBatchSource;
  readonly ledger: IngestLedger;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly lineage: LineageEmitter;
}

const inputSchema = taskInputSchema.extend({ source: z.string() });

export function createKafkaDrainHandler(deps: KafkaDrainDeps) {
  return async (event: unknown): Promise<TaskResult> => {
    const input = parseTaskInput(inputSchema, event, 'kafka-drain');
    const source = sourceOf(deps.config, input.source, 'kafka');
    const runDate = resolveRunDate(input.request.date, input.startedAt, deps.clock.now());
    const until = new Date(endOfDay(runDate));
    const datasets: DatasetStats[] = [];
    for (const [dataset, settings] of Object.entries(source.datasets)) {
      datasets.push(
        await deps.lineage.ingest(
          pipelineContext(input, runDate),
          { source: input.source, dataset },
          () => drain(dataset, settings.topic),
        ),
      );
    }
    return { step: ingestStep(input.source), datasets };

    async function drain(dataset: string, topic: string): Promise<DatasetStats> {
      await deps.ledger.recover(input.source, dataset);
      const committed = (await deps.ledger.read<Offsets>(input.source, dataset))?.watermark ?? {};
      const batches = deps.batches.batches({
        topic,
        committed,
        until,
        batchSize: source.batchSize,
      });
      const stats = await ingestMskBatches(deps, readAhead(batches), {
        source: input.source,
        dataset,
        topic,
        runId: input.runId,
      });
      deps.logger.info(`ingested ${stats.rowsIn} messages of ${topic}`, { ...stats });
      return deps.batches.note
        ? { ...stats, notes: [...(stats.notes ?? []), deps.batches.note] }
        : stats;
    }
  };
}

/**
 * Fetches the next batch while the current one is being written, as an event source mapping's
 * poller does: reading the topic and writing bronze overlap instead of taking turns.
 */
async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = iterator.next();
      yield current.value;
    }
  } finally {
    await next.catch(() => undefined);
    await iterator.return?.();
  }
}
