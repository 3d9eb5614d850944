import { describe, expect, it } from 'vitest';
import { IngestLedger } from '../../lambdas/core/ingest/bronze';
import { ingestMskBatch, type MskEvent } from '../../lambdas/core/ingest/kafka';
import type { ColumnSpec, ParquetSink } from '../../lambdas/core/ports';
import { ManualClock } from '../helpers/clock';
import { MemoryObjectStore } from '../helpers/memory-store';

/** Keeps written rows in memory; writes one object like the real sink would. */
class RecordingSink implements ParquetSink {
  readonly writes: {
    key: string;
    columns: readonly ColumnSpec[];
    rows: readonly (readonly unknown[])[];
  }[] = [];
  constructor(private readonly store: MemoryObjectStore) {}
  async writeRows(
    key: string,
    columns: readonly ColumnSpec[],
    rows: readonly (readonly unknown[])[],
  ) {
    this.writes.push({ key, columns, rows });
    await this.store.putText(key, JSON.stringify(rows));
    return rows.length;
  }
  async convertFile(): Promise<never> {
    throw new Error('not used');
  }
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const record = (partition: number, offset: number, value: string) => ({
  topic: 'order_events',
  partition,
  offset,
  timestamp: Date.parse('2026-01-01T10:00:00Z') + offset,
  timestampType: 'CREATE_TIME',
  key: b64(String(offset)),
  value: b64(value),
  headers: [],
});
const event = (...records: ReturnType<typeof record>[]): MskEvent => ({
  eventSource: 'aws:kafka',
  records: {
    'order_events-0': records.filter((r) => r.partition === 0),
    'order_events-1': records.filter((r) => r.partition === 1),
  },
});

describe('Kafka ingestion of MSK batches', () => {
  it('writes each message as received, decoded, and commits offsets per partition', async () => {
    const store = new MemoryObjectStore();
    const sink = new RecordingSink(store);
    const deps = { sink, ledger: new IngestLedger(store), clock: new ManualClock() };
    const stats = await ingestMskBatch(
      deps,
      event(record(0, 0, '{"event_id":"a"}'), record(1, 7, '{not json')),
      { source: 'kafka', dataset: 'order_events', runId: 'r1' },
    );
    expect(stats).toMatchObject({ rowsIn: 2, rowsOut: 2, duplicates: 0 });
    const [write] = sink.writes;
    expect(write!.columns.map((c) => c.name).slice(0, 6)).toEqual([
      'topic',
      'partition',
      'offset',
      'timestamp',
      'key',
      'value',
    ]);
    expect(write!.rows.map((r) => r[5])).toEqual(['{"event_id":"a"}', '{not json']);
    expect(write!.rows[1]!.slice(-2)).toEqual(['kafka:order_events/1', 7]);
    expect((await deps.ledger.read('kafka', 'order_events'))?.watermark).toEqual({ 0: 0, 1: 7 });
  });

  it('skips a redelivered message by its offset and counts it as a duplicate', async () => {
    const store = new MemoryObjectStore();
    const deps = {
      sink: new RecordingSink(store),
      ledger: new IngestLedger(store),
      clock: new ManualClock(),
    };
    const request = { source: 'kafka', dataset: 'order_events', runId: 'r1' };
    await ingestMskBatch(deps, event(record(0, 0, 'a'), record(0, 1, 'b')), request);
    const again = await ingestMskBatch(deps, event(record(0, 1, 'b'), record(0, 2, 'c')), request);
    expect(again).toMatchObject({ rowsIn: 2, rowsOut: 1, duplicates: 1 });
    expect(await store.list('bronze/kafka/order_events/')).toHaveLength(2);
    expect((await store.list('bronze/'))[1]).toMatch(/r1-1\.parquet$/);
  });
});
