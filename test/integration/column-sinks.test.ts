/**
 * Both Parquet sinks' columnar writes (`openColumns`): DuckDB's (local) and the streaming one of
 * Lambda write the same batches into objects DuckDB reads back alike, refuse the same batches, and
 * leave nothing behind when a write is given up.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../lambdas/adapters/aws/s3-object-store';
import { S3ParquetSink } from '../../lambdas/adapters/aws/s3-parquet-sink';
import { DuckDbParquetSink } from '../../lambdas/adapters/duckdb/parquet-sink';
import { FsObjectStore } from '../../lambdas/adapters/local/object-store';
import type { ColumnBatch, ColumnSpec, ParquetSink } from '../../lambdas/core/ports';
import { fakeS3, s3Client } from '../unit/aws/fake-s3';

const columns: ColumnSpec[] = [
  { name: 'topic', type: 'VARCHAR' },
  { name: 'partition', type: 'INTEGER' },
  { name: 'offset', type: 'BIGINT' },
  { name: 'timestamp', type: 'TIMESTAMP' },
  { name: 'amount', type: 'DOUBLE' },
  { name: 'day', type: 'DATE' },
];
const constants = [
  { name: '_ingested_at', type: 'TIMESTAMP', value: '2026-01-02T03:00:00.000Z' },
  { name: '_run_id', type: 'VARCHAR', value: 'run-1' },
];
const key = 'bronze/_staging/kafka/order_events/ingest_date=2026-01-02/run-1-0.parquet';
const t0 = Date.parse('2026-01-01T10:00:00.123Z');

/** `rows` rows from `from` on; every 7th text NULL, so NULLs fall in every data chunk. */
function batch(from: number, rows: number): ColumnBatch {
  const index = Array.from({ length: rows }, (_, i) => from + i);
  return {
    rows,
    columns: [
      index.map((i) => (i % 7 === 3 ? null : `t${i}`)),
      Int32Array.from(index, (i) => i % 3),
      Float64Array.from(index, (i) => 2 ** 40 + i),
      Float64Array.from(index, (i) => t0 + i),
      Float64Array.from(index, (i) => i / 4),
      index.map((i) => (i % 7 === 5 ? null : `2026-01-${String((i % 28) + 1).padStart(2, '0')}`)),
    ],
  };
}

let root: string;
let duckdb: DuckDBInstance;
let connection: DuckDBConnection;
let local: DuckDbParquetSink;
let s3: ReturnType<typeof fakeS3>;
let lambda: S3ParquetSink;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'column-sinks-'));
  duckdb = await DuckDBInstance.create(':memory:');
  connection = await duckdb.connect();
  local = new DuckDbParquetSink(duckdb, new FsObjectStore(root));
  s3 = fakeS3();
  lambda = new S3ParquetSink(new S3ObjectStore(s3Client(), { bronze: 'acme-bronze' }));
});
afterAll(() => {
  connection.closeSync();
  rmSync(root, { recursive: true, force: true });
});

/** Where DuckDB reads the object a sink wrote: the local file, or the uploaded bytes saved to one. */
function written(sink: ParquetSink): string {
  if (sink === local) return path.join(root, key);
  const file = path.join(root, 'from-s3.parquet');
  writeFileSync(file, s3.objects.get(`acme-bronze/${key.slice('bronze/'.length)}`)!);
  return file;
}

const query = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson();

describe.each([
  ['DuckDB', () => local],
  ['S3', () => lambda],
] as const)('%s sink: openColumns', (_name, sinkOf) => {
  it('writes appended batches as one object of typed columns plus constants', async () => {
    const sink = sinkOf();
    const writer = await sink.openColumns(key, columns, constants);
    await writer.append(batch(0, 3000));
    await writer.append(batch(3000, 0));
    await writer.append(batch(3000, 5));
    expect(await writer.close()).toBe(3005);

    const file = written(sink);
    expect(
      (
        await query(`describe select * from read_parquet('${file}', hive_partitioning = false)`)
      ).map((c) => `${String(c.column_name)} ${String(c.column_type)}`),
    ).toEqual([
      'topic VARCHAR',
      'partition INTEGER',
      'offset BIGINT',
      'timestamp TIMESTAMP',
      'amount DOUBLE',
      'day DATE',
      '_ingested_at TIMESTAMP',
      '_run_id VARCHAR',
    ]);
    const rows = await query(
      `select topic, partition, "offset", cast(timestamp as varchar) as ts, amount, cast(day as varchar) as day, cast(_ingested_at as varchar) as at, _run_id from read_parquet('${file}', hive_partitioning = false) where "offset" - ${2 ** 40} in (0, 3, 5, 2048, 3004)`,
    );
    expect(rows).toEqual([
      row(0, 't0', 0, '10:00:00.123', 0, '2026-01-01'),
      row(3, null, 0, '10:00:00.126', 0.75, '2026-01-04'),
      row(5, 't5', 2, '10:00:00.128', 1.25, null),
      row(2048, 't2048', 2, '10:00:02.171', 512, '2026-01-05'),
      row(3004, 't3004', 1, '10:00:03.127', 751, '2026-01-09'),
    ]);
    const [totals] = await query(
      `select count(*) as n, count(distinct "offset") as offsets, count(topic) as topics from read_parquet('${file}', hive_partitioning = false)`,
    );
    expect(totals).toEqual({ n: '3005', offsets: '3005', topics: String(3005 - 429) });
  });

  it('refuses a column of the wrong kind or length, naming it', async () => {
    const writer = await sinkOf().openColumns(key, columns, constants);
    const good = batch(0, 2);
    const swap = (i: number, values: ColumnBatch['columns'][number]) => ({
      rows: 2,
      columns: good.columns.map((c, j) => (j === i ? values : c)),
    });
    await expect(writer.append(swap(2, ['1', '2']))).rejects.toThrow(
      'Column offset (BIGINT) takes a Float64Array',
    );
    await expect(writer.append(swap(0, new Float64Array(2)))).rejects.toThrow(
      'Column topic (VARCHAR) takes an array of text',
    );
    await expect(writer.append(swap(1, new Int32Array(3)))).rejects.toThrow(
      'Column partition: 3 values in a batch of 2 rows',
    );
    await expect(writer.append({ rows: 2, columns: good.columns.slice(1) })).rejects.toThrow(
      'A batch of 5 columns for an object of 6',
    );
    await writer.abort();
  });

  it('given up, writes nothing', async () => {
    const sink = sinkOf();
    rmSync(path.join(root, key), { force: true });
    s3.objects.clear();
    const writer = await sink.openColumns(key, columns, constants);
    await writer.append(batch(0, 10));
    await writer.abort();
    expect(existsSync(path.join(root, key))).toBe(false);
    expect([...s3.objects.keys()]).toEqual([]);
    expect(s3.uploads.size).toBe(0);
  });
});

function row(
  i: number,
  topic: string | null,
  partition: number,
  time: string,
  amount: number,
  day: string | null,
) {
  return {
    topic,
    partition,
    offset: String(2 ** 40 + i),
    ts: `2026-01-01 ${time}`,
    amount,
    day,
    at: '2026-01-02 03:00:00',
    _run_id: 'run-1',
  };
}
