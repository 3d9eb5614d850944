/**
 * Task handler: drains every topic of a Kafka source from its committed offsets up to the end of
 * the run's day, passing each MSK-shaped batch to the MSK handler.
 */
import * as z from 'zod';
import type { PlatformConfig } from '../../config/schema';
import type { IngestLedger } from '../core/ingest/bronze';
import type { Offsets } from '../core/ingest/kafka';
import type { LineageEmitter } from '../core/lineage/events';
import type { Clock, Logger, MskBatchSource } from '../core/ports';
import { combineStats, type DatasetStats, type TaskResult } from '../core/stats';
import { endOfDay, resolveRunDate } from '../core/time';
import { createKafkaEventsHandler, type KafkaEventsDeps } from './kafka-events';
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
    const deliver = createKafkaEventsHandler({
      ...deps,
      lineage: undefined,
      runId: () => input.runId,
    });
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
      let total: DatasetStats = emptyStats(`${input.source}.${dataset}`);
      const batches = deps.batches.batches({
        topic,
        committed,
        until,
        batchSize: source.batchSize,
      });
      for await (const batch of readAhead(batches)) {
        const result = await deliver(batch);
        for (const stats of result.datasets) total = combineStats(total, stats);
      }
      return deps.batches.note
        ? { ...total, notes: [...(total.notes ?? []), deps.batches.note] }
        : total;
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

function emptyStats(dataset: string): DatasetStats {
  return {
    dataset,
    layer: 'bronze',
    rowsIn: 0,
    rowsOut: 0,
    quarantined: 0,
    duplicates: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    seconds: 0,
  };
}
