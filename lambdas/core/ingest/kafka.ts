/**
 * Kafka ingestion of MSK event-source-mapping batches. Bronze keeps each message as received
 * (the value decoded to text, even when it is not valid JSON: silver quarantines those), so
 * nothing is dropped. Committed offsets are the watermark: a redelivered message (at-least-once
 * delivery) is recognised by its offset and skipped.
 *
 * Batches are decoded into columns (offsets and timestamps in typed arrays) and consecutive batches
 * of one drain fill one bronze object, up to {@link maxObjectRows} or {@link maxObjectTextLength}:
 * an MSK batch holds at most 10,000 records, and an object per batch would leave silver reading
 * hundreds of small files. Each object's offsets are committed with it, so a crash loses nothing
 * and publishes nothing half-written: the offsets of an unfinished object were never committed,
 * and the next run reads those messages again.
 */
import * as z from 'zod';
import { PipelineError, ReconciliationError } from '../errors';
import type { Clock, ColumnBatch, ColumnSpec, ColumnWriter, ParquetSink } from '../ports';
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

/**
 * Rows per bronze object at most. With {@link maxObjectTextLength}, this keeps an object near the
 * size Athena and DuckDB scan best (one to a few hundred MB), and bounds what a writer holds
 * before the object is committed: DuckDB's staging table locally, one row group on Lambda.
 */
export const maxObjectRows = 1_000_000;

/** Characters of keys and values per bronze object at most: ~128 MB of mostly ASCII messages. */
export const maxObjectTextLength = 128 * 1024 * 1024;

export interface KafkaIngestDeps {
  readonly sink: ParquetSink;
  readonly ledger: IngestLedger;
  readonly clock: Clock;
}

export interface KafkaBatchRequest {
  readonly source: string;
  readonly dataset: string;
  /** The dataset's topic: every record of the batches belongs to it. */
  readonly topic: string;
  readonly runId: string;
  /** When an object is full: {@link maxObjectRows} and {@link maxObjectTextLength} unless given. */
  readonly objectLimits?: { readonly rows: number; readonly textLength: number };
}

/** An MSK batch's new messages as bronze columns, and what decoding it counted. */
export interface DecodedMskBatch {
  /** `kafkaBronzeColumns` then `rowMetadataColumns`. */
  readonly batch: ColumnBatch;
  readonly received: number;
  /** Records at or below the committed offset of their partition, skipped. */
  readonly redelivered: number;
  /** Length of the decoded keys and values, to size objects by. */
  readonly textLength: number;
}

/**
 * Decodes a batch's records of `topic` into columns, skipping redelivered ones, and advances
 * `offsets` past the records it takes. Keys and values are base64-decoded to UTF-8 text
 * (invalid sequences become U+FFFD, so every message has a text value).
 */
export function decodeMskBatch(event: MskEvent, topic: string, offsets: Offsets): DecodedMskBatch {
  let received = 0;
  for (const records of Object.values(event.records)) received += records.length;
  const partitions = new Int32Array(received);
  const messageOffsets = new Float64Array(received);
  const timestamps = new Float64Array(received);
  const topics: string[] = [];
  const keys: (string | null)[] = [];
  const values: (string | null)[] = [];
  const refs: string[] = [];
  const refOf = new Map<number, string>();
  let rows = 0;
  let textLength = 0;
  for (const records of Object.values(event.records)) {
    for (const record of records) {
      if (record.topic !== topic) {
        throw new PipelineError(
          `A batch of topic ${topic} holds a message of topic ${record.topic} (partition ${record.partition}, offset ${record.offset})`,
        );
      }
      const partition = String(record.partition);
      if (record.offset <= (offsets[partition] ?? -1)) continue;
      offsets[partition] = record.offset;
      const key = decode(record.key);
      const value = decode(record.value);
      let ref = refOf.get(record.partition);
      if (ref === undefined) {
        ref = `kafka:${topic}/${record.partition}`;
        refOf.set(record.partition, ref);
      }
      partitions[rows] = record.partition;
      messageOffsets[rows] = record.offset;
      timestamps[rows] = record.timestamp;
      topics.push(topic);
      keys.push(key);
      values.push(value);
      refs.push(ref);
      textLength += (key?.length ?? 0) + (value?.length ?? 0);
      rows++;
    }
  }
  const offsetColumn = messageOffsets.subarray(0, rows);
  return {
    batch: {
      rows,
      columns: [
        topics,
        partitions.subarray(0, rows),
        offsetColumn,
        timestamps.subarray(0, rows),
        keys,
        values,
        refs,
        offsetColumn,
      ],
    },
    received,
    redelivered: received - rows,
    textLength,
  };
}

/**
 * Writes MSK batches of one topic to bronze: consecutive batches fill one object, which is
 * committed with the offsets it reaches when it is full and at the end. An MSK invocation passes
 * its one event; the drain passes every batch up to the end of the run's day.
 */
export async function ingestMskBatches(
  deps: KafkaIngestDeps,
  events: AsyncIterable<MskEvent> | Iterable<MskEvent>,
  request: KafkaBatchRequest,
): Promise<DatasetStats> {
  const { source, dataset, runId } = request;
  const limits = request.objectLimits ?? { rows: maxObjectRows, textLength: maxObjectTextLength };
  const startedAt = deps.clock.now();
  await deps.ledger.recover(source, dataset);
  const state = await deps.ledger.read<Offsets>(source, dataset);
  const offsets: Offsets = { ...(state?.watermark ?? {}) };
  const meta = { ingestedAt: startedAt, runId, source };
  let objectNumber = nextObjectNumber(state, runId);
  let open: { key: string; writer: ColumnWriter; rows: number; textLength: number } | undefined;
  let received = 0;
  let redelivered = 0;
  let written = 0;
  let uncommitted = false;

  const commit = async () => {
    const staged: string[] = [];
    if (open) {
      const { key, writer, rows } = open;
      open = undefined;
      const count = await writer.close();
      if (count !== rows) {
        throw new ReconciliationError(
          `${source}.${dataset}: ${rows} messages to write but ${count} reached bronze`,
        );
      }
      written += count;
      staged.push(key);
      objectNumber++;
    }
    await deps.ledger.commit(
      source,
      dataset,
      { watermark: { ...offsets }, runId, committedAt: deps.clock.now().toISOString() },
      staged,
    );
    uncommitted = false;
  };

  try {
    for await (const event of events) {
      const decoded = decodeMskBatch(event, request.topic, offsets);
      received += decoded.received;
      redelivered += decoded.redelivered;
      uncommitted ||= decoded.received > 0;
      if (decoded.batch.rows === 0) continue;
      if (!open) {
        const key = stagedKey(bronzeKey(source, dataset, meta, objectNumber));
        const writer = await deps.sink.openColumns(
          key,
          [...kafkaBronzeColumns, ...rowMetadataColumns],
          metadataConstants(meta),
        );
        open = { key, writer, rows: 0, textLength: 0 };
      }
      await open.writer.append(decoded.batch);
      open.rows += decoded.batch.rows;
      open.textLength += decoded.textLength;
      if (open.rows >= limits.rows || open.textLength >= limits.textLength) await commit();
    }
    if (uncommitted) await commit();
  } catch (error) {
    // The error is what to report; a staged object left behind is discarded by the next recovery.
    await open?.writer.abort().catch(() => undefined);
    throw error;
  }
  return bronzeStats(
    `${source}.${dataset}`,
    { rowsIn: received, rowsOut: written, duplicates: redelivered },
    startedAt,
    deps.clock.now(),
  );
}

/**
 * Decodes into one reused buffer: a batch decodes two values per message, and a buffer allocated
 * for each would cost as much as the decoding.
 */
let scratch = Buffer.allocUnsafe(64 * 1024);

function decode(base64: string | null | undefined): string | null {
  if (base64 === null || base64 === undefined) return null;
  const size = Math.ceil((base64.length * 3) / 4);
  if (size > scratch.length) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  const length = scratch.write(base64, 0, 'base64');
  return scratch.toString('utf8', 0, length);
}
