import { describe, expect, it } from 'vitest';
import type { PlatformConfig } from '../../config/schema';
import { createKafkaEventsHandler } from '../../lambdas/handlers/kafka-events';
import { IngestLedger } from '../../lambdas/core/ingest/bronze';
import {
  decodeMskBatch,
  ingestMskBatches,
  type KafkaBatchRequest,
  type MskEvent,
  type MskRecord,
  type Offsets,
} from '../../lambdas/core/ingest/kafka';
import type {
  ColumnBatch,
  ColumnSpec,
  ColumnWriter,
  ConstantColumn,
  ParquetSink,
} from '../../lambdas/core/ports';
import { ManualClock } from '../helpers/clock';
import { MemoryObjectStore } from '../helpers/memory-store';

/**
 * Keeps appended rows in memory and, like the real sinks, shows an object at its (staged) key
 * only when it is closed. `dieAfterAppends` stands for a process killed mid-object: the append
 * that would follow throws and the writer is never aborted, so a staged key stays behind.
 */
class RecordingSink implements ParquetSink {
  readonly objects: {
    key: string;
    columns: readonly ColumnSpec[];
    rows: unknown[][];
    closed: boolean;
  }[] = [];
  appends = 0;
  constructor(
    private readonly store: MemoryObjectStore,
    private readonly dieAfterAppends = Infinity,
  ) {}
  async openColumns(
    key: string,
    columns: readonly ColumnSpec[],
    _constants?: readonly ConstantColumn[],
  ): Promise<ColumnWriter> {
    const object = { key, columns, rows: [] as unknown[][], closed: false };
    this.objects.push(object);
    const { store, dieAfterAppends } = this;
    const appended = () => this.appends++;
    const appends = () => this.appends;
    return {
      async append(batch: ColumnBatch) {
        if (appends() === dieAfterAppends) {
          await store.putText(key, 'half an object');
          throw new Error('killed');
        }
        appended();
        for (let r = 0; r < batch.rows; r++) object.rows.push(batch.columns.map((c) => c[r]));
      },
      async close() {
        object.closed = true;
        await store.putText(key, JSON.stringify(object.rows));
        return object.rows.length;
      },
      async abort() {
        if (appends() < dieAfterAppends) await store.delete(key);
      },
    };
  }
  async writeRows(): Promise<never> {
    throw new Error('Kafka ingestion writes columns');
  }
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const record = (partition: number, offset: number, value: string | null): MskRecord => ({
  topic: 'order_events',
  partition,
  offset,
  timestamp: Date.parse('2026-01-01T10:00:00Z') + offset,
  timestampType: 'CREATE_TIME',
  key: b64(String(offset)),
  value: value === null ? null : b64(value),
  headers: [],
});
const event = (...records: MskRecord[]): MskEvent => ({
  eventSource: 'aws:kafka',
  records: {
    'order_events-0': records.filter((r) => r.partition === 0),
    'order_events-1': records.filter((r) => r.partition === 1),
  },
});
const request: KafkaBatchRequest = {
  source: 'kafka',
  dataset: 'order_events',
  topic: 'order_events',
  runId: 'r1',
};
function setup(dieAfterAppends?: number) {
  const store = new MemoryObjectStore();
  const sink = new RecordingSink(store, dieAfterAppends);
  return { store, sink, deps: { sink, ledger: new IngestLedger(store), clock: new ManualClock() } };
}
/** `count` batches of 10 messages of partition 0, from offset `from` on. */
function* batches(count: number, from = 0): Generator<MskEvent> {
  for (let b = 0; b < count; b++) {
    yield event(
      ...Array.from({ length: 10 }, (_, i) =>
        record(0, from + b * 10 + i, `m${from + b * 10 + i}`),
      ),
    );
  }
}

describe('decodeMskBatch', () => {
  it('decodes a batch into typed columns, keeps null keys and values, and advances offsets', () => {
    const nullKey = { ...record(1, 7, '{not json'), key: null };
    const offsets: Offsets = {};
    const decoded = decodeMskBatch(
      event(record(0, 0, '{"event_id":"a"}'), record(0, 1, null), nullKey),
      'order_events',
      offsets,
    );
    expect(decoded).toMatchObject({ received: 3, redelivered: 0 });
    const [topic, partition, offset, timestamp, key, value, ref, row] = decoded.batch.columns;
    expect(decoded.batch.rows).toBe(3);
    expect(topic).toEqual(['order_events', 'order_events', 'order_events']);
    expect(partition).toEqual(new Int32Array([0, 0, 1]));
    expect(offset).toEqual(new Float64Array([0, 1, 7]));
    expect(row).toEqual(offset);
    expect(timestamp).toEqual(
      new Float64Array([0, 1, 7].map((o) => Date.parse('2026-01-01T10:00:00Z') + o)),
    );
    expect(key).toEqual(['0', '1', null]);
    expect(value).toEqual(['{"event_id":"a"}', null, '{not json']);
    expect(ref).toEqual(['kafka:order_events/0', 'kafka:order_events/0', 'kafka:order_events/1']);
    expect(offsets).toEqual({ 0: 1, 1: 7 });
    expect(decoded.textLength).toBe(1 + 16 + 1 + 9);
  });

  it('keeps bytes that are not UTF-8 as text, with U+FFFD for each bad sequence', () => {
    const bad = {
      ...record(0, 0, ''),
      value: Buffer.from([0x7b, 0xff, 0xc3, 0x28, 0x7d]).toString('base64'),
    };
    const decoded = decodeMskBatch(event(bad), 'order_events', {});
    expect(decoded.batch.columns[5]).toEqual(['{\ufffd\ufffd(}']);
  });

  it('decodes a value larger than the decoding buffer, and a short one after it, whole', () => {
    const large = 'é'.repeat(100_000);
    const decoded = decodeMskBatch(
      event(record(0, 0, large), record(0, 1, 'b')),
      'order_events',
      {},
    );
    expect(decoded.batch.columns[5]).toEqual([large, 'b']);
  });

  it('skips records at or below the committed offset and counts them', () => {
    const offsets: Offsets = { 0: 1 };
    const decoded = decodeMskBatch(
      event(record(0, 0, 'a'), record(0, 1, 'b'), record(0, 2, 'c'), record(1, 0, 'd')),
      'order_events',
      offsets,
    );
    expect(decoded).toMatchObject({ received: 4, redelivered: 2 });
    expect(decoded.batch.columns[5]).toEqual(['c', 'd']);
    expect(decoded.batch.columns[2]).toEqual(new Float64Array([2, 0]));
    expect(offsets).toEqual({ 0: 2, 1: 0 });
  });

  it('refuses a record of another topic, naming it', () => {
    expect(() =>
      decodeMskBatch(event({ ...record(0, 3, 'a'), topic: 'other' }), 'order_events', {}),
    ).toThrow(
      'A batch of topic order_events holds a message of topic other (partition 0, offset 3)',
    );
  });
});

describe('Kafka ingestion of MSK batches', () => {
  it('writes each message as received, decoded, and commits offsets per partition', async () => {
    const { sink, deps } = setup();
    const stats = await ingestMskBatches(
      deps,
      [event(record(0, 0, '{"event_id":"a"}'), record(1, 7, '{not json'))],
      request,
    );
    expect(stats).toMatchObject({ rowsIn: 2, rowsOut: 2, duplicates: 0 });
    const [object] = sink.objects;
    expect(object!.columns.map((c) => c.name)).toEqual([
      'topic',
      'partition',
      'offset',
      'timestamp',
      'key',
      'value',
      '_source_ref',
      '_source_row',
    ]);
    expect(object!.rows.map((r) => r[5])).toEqual(['{"event_id":"a"}', '{not json']);
    expect(object!.rows[1]!.slice(-2)).toEqual(['kafka:order_events/1', 7]);
    expect((await deps.ledger.read('kafka', 'order_events'))?.watermark).toEqual({ 0: 0, 1: 7 });
  });

  it('skips a redelivered message by its offset and counts it as a duplicate', async () => {
    const { store, deps } = setup();
    await ingestMskBatches(deps, [event(record(0, 0, 'a'), record(0, 1, 'b'))], request);
    const again = await ingestMskBatches(
      deps,
      [event(record(0, 1, 'b'), record(0, 2, 'c'))],
      request,
    );
    expect(again).toMatchObject({ rowsIn: 2, rowsOut: 1, duplicates: 1 });
    expect(await store.list('bronze/kafka/order_events/')).toHaveLength(2);
    expect((await store.list('bronze/'))[1]).toMatch(/r1-1\.parquet$/);
  });

  it('writes consecutive batches into one object, redeliveries between them skipped', async () => {
    const { store, sink, deps } = setup();
    const replay = event(record(0, 18, 'm18'), record(0, 19, 'm19'), record(0, 20, 'm20'));
    const stats = await ingestMskBatches(deps, [...batches(2), replay, ...batches(1, 21)], request);
    expect(stats).toMatchObject({ rowsIn: 33, rowsOut: 31, duplicates: 2 });
    expect(await store.list('bronze/')).toEqual([
      expect.stringMatching(/^bronze\/kafka\/order_events\/ingest_date=.*\/r1-0\.parquet$/),
    ]);
    expect(sink.objects[0]!.rows.map((r) => r[2])).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(await deps.ledger.read('kafka', 'order_events')).toMatchObject({
      watermark: { 0: 30 },
      pending: [],
      objects: 1,
    });
  });

  it('starts a new object when one is full, committing each with the offsets it reaches', async () => {
    const { store, sink, deps } = setup();
    const limits = { ...request, objectLimits: { rows: 25, textLength: Infinity } };
    const stats = await ingestMskBatches(deps, batches(6), limits);
    expect(stats).toMatchObject({ rowsIn: 60, rowsOut: 60 });
    expect(sink.objects.map((o) => o.rows.length)).toEqual([30, 30]);
    expect((await store.list('bronze/')).map((k) => k.slice(-12))).toEqual([
      'r1-0.parquet',
      'r1-1.parquet',
    ]);

    const { sink: bySize, deps: sized } = setup();
    await ingestMskBatches(sized, batches(3), {
      ...request,
      objectLimits: { rows: Infinity, textLength: 45 },
    });
    // The first batch holds 30 characters of keys and values, the second 50: full after it.
    expect(bySize.objects.map((o) => o.rows.length)).toEqual([20, 10]);
  });

  it('killed in the middle of a multi-batch object, publishes none of it; the re-run writes each message once', async () => {
    const { store, deps } = setup(3);
    const limits = { ...request, objectLimits: { rows: 20, textLength: Infinity } };
    // Batches 1-2 fill and commit object 0; the process dies while appending batch 4 to object 1.
    await expect(ingestMskBatches(deps, batches(6), limits)).rejects.toThrow('killed');
    expect(await store.list('bronze/kafka/')).toHaveLength(1);
    expect(await store.list('bronze/_staging/')).toHaveLength(1);
    expect((await deps.ledger.read('kafka', 'order_events'))?.watermark).toEqual({ 0: 19 });

    // The next run (another process) re-reads the topic from the committed offsets.
    const rerun = new RecordingSink(store);
    const again = await ingestMskBatches({ ...deps, sink: rerun }, batches(4, 20), {
      ...limits,
      runId: 'r2',
    });
    expect(again).toMatchObject({ rowsIn: 40, rowsOut: 40, duplicates: 0 });
    expect(await store.list('bronze/_staging/')).toEqual([]);
    expect(await store.list('bronze/kafka/')).toHaveLength(3);
    const offsets = (
      await Promise.all((await store.list('bronze/kafka/')).map((k) => store.getText(k)))
    ).flatMap((text) => (JSON.parse(text!) as unknown[][]).map((r) => r[2]));
    expect(offsets).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('a source failing mid-object gives the object up and leaves the committed offsets', async () => {
    const { store, sink, deps } = setup();
    async function* failing() {
      yield* batches(2);
      throw new Error('broker gone');
    }
    await expect(ingestMskBatches(deps, failing(), request)).rejects.toThrow('broker gone');
    expect(sink.objects[0]!.closed).toBe(false);
    expect(await store.list('bronze/')).toEqual([]);
    expect(await deps.ledger.read('kafka', 'order_events')).toBeUndefined();
  });
});

describe('the MSK handler (kafka-events)', () => {
  const config = {
    sources: {
      kafka: {
        kind: 'kafka',
        batchSize: 100,
        datasets: { order_events: { topic: 'order_events' } },
      },
    },
  } as unknown as PlatformConfig;
  const handlerOf = () => {
    const { store, sink, deps } = setup();
    const logger = { info: () => undefined, warn: () => undefined };
    const handler = createKafkaEventsHandler({ ...deps, config, logger, runId: () => 'msk-1' });
    return { store, sink, handler };
  };

  it('writes one event as one object, across its partitions', async () => {
    const { store, sink, handler } = handlerOf();
    const result = await handler(event(record(0, 0, 'a'), record(1, 0, 'b'), record(1, 1, 'c')));
    expect(result.datasets).toMatchObject([
      { dataset: 'kafka.order_events', rowsIn: 3, rowsOut: 3 },
    ]);
    expect(sink.objects.map((o) => o.rows.length)).toEqual([3]);
    expect(await store.list('bronze/kafka/')).toHaveLength(1);
  });

  it('refuses an event that is not an MSK event, naming the field', async () => {
    const { handler } = handlerOf();
    const bad = { ...event(record(0, 0, 'a')), records: { 'order_events-0': [{ topic: 'x' }] } };
    await expect(handler(bad)).rejects.toThrow(/^kafka-events: invalid input: .*partition/);
  });
});
