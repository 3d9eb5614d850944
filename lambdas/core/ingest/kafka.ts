/**
 * Kafka ingestion of MSK event-source-mapping batches. Bronze keeps each message as received
 * (the value decoded to text, even when it is not valid JSON: silver quarantines those), so
 * nothing is dropped. Committed offsets are the watermark: a redelivered message (at-least-once
 * delivery) is recognised by its offset and skipped.
 */
import * as z from 'zod';
import { ReconciliationError } from '../errors';
import type { Clock, ColumnSpec, ParquetSink } from '../ports';
import type { DatasetStats } from '../stats';
import {
  bronzeKey,
  bronzeStats,
  metadataConstants,
  nextObjectNumber,
  rowMetadataColumns,
  stagedKey,
  type IngestLedger,
} from './bronze';

const mskRecordSchema = z.object({
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  timestamp: z.number(),
  timestampType: z.string().optional(),
  key: z.string().nullable().optional(),
  value: z.string().nullable(),
  headers: z.array(z.record(z.string(), z.array(z.number()))).optional(),
});

/** The event an MSK event source mapping delivers to Lambda: records grouped by `topic-partition`. */
export const mskEventSchema = z.object({
  eventSource: z.literal('aws:kafka'),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  records: z.record(z.string(), z.array(mskRecordSchema)),
});

export type MskEvent = z.infer<typeof mskEventSchema>;
export type MskRecord = z.infer<typeof mskRecordSchema>;

/** Committed offsets: partition → last offset written to bronze. */
export type Offsets = Record<string, number>;

export const kafkaBronzeColumns: readonly ColumnSpec[] = [
  { name: 'topic', type: 'VARCHAR' },
  { name: 'partition', type: 'INTEGER' },
  { name: 'offset', type: 'BIGINT' },
  { name: 'timestamp', type: 'TIMESTAMP' },
  { name: 'key', type: 'VARCHAR' },
  { name: 'value', type: 'VARCHAR' },
];

export interface KafkaIngestDeps {
  readonly sink: ParquetSink;
  readonly ledger: IngestLedger;
  readonly clock: Clock;
}

export interface KafkaBatchRequest {
  readonly source: string;
  readonly dataset: string;
  readonly runId: string;
}

/** Writes one MSK batch to bronze and commits its offsets. */
export async function ingestMskBatch(
  deps: KafkaIngestDeps,
  event: MskEvent,
  request: KafkaBatchRequest,
): Promise<DatasetStats> {
  const { source, dataset } = request;
  const startedAt = deps.clock.now();
  await deps.ledger.recover(source, dataset);
  const state = await deps.ledger.read<Offsets>(source, dataset);
  const offsets: Offsets = { ...(state?.watermark ?? {}) };
  const meta = { ingestedAt: startedAt, runId: request.runId, source };
  const rows: unknown[][] = [];
  let received = 0;
  let redelivered = 0;
  for (const records of Object.values(event.records)) {
    for (const record of records) {
      received++;
      const partition = String(record.partition);
      if (record.offset <= (offsets[partition] ?? -1)) {
        redelivered++;
        continue;
      }
      offsets[partition] = record.offset;
      rows.push([
        record.topic,
        record.partition,
        record.offset,
        record.timestamp,
        decode(record.key),
        decode(record.value),
        `kafka:${record.topic}/${record.partition}`,
        record.offset,
      ]);
    }
  }
  const staged: string[] = [];
  let written = 0;
  if (rows.length > 0) {
    const key = stagedKey(bronzeKey(source, dataset, meta, nextObjectNumber(state, request.runId)));
    written = await deps.sink.writeRows(
      key,
      [...kafkaBronzeColumns, ...rowMetadataColumns],
      rows,
      metadataConstants(meta),
    );
    staged.push(key);
  }
  if (written !== rows.length) {
    throw new ReconciliationError(
      `${source}.${dataset}: ${rows.length} messages to write but ${written} reached bronze`,
    );
  }
  await deps.ledger.commit(
    source,
    dataset,
    { watermark: offsets, runId: request.runId, committedAt: deps.clock.now().toISOString() },
    staged,
  );
  return bronzeStats(
    `${source}.${dataset}`,
    { rowsIn: received, rowsOut: written, duplicates: redelivered },
    startedAt,
    deps.clock.now(),
  );
}

function decode(base64: string | null | undefined): string | null {
  return base64 === null || base64 === undefined
    ? null
    : Buffer.from(base64, 'base64').toString('utf8');
}
