import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../lambdas/adapters/aws/s3-object-store';
import { parquetRowCount } from '../../../lambdas/adapters/aws/parquet-footer';
import { S3LandingConverter } from '../../../lambdas/adapters/aws/s3-landing-converter';
import { S3ParquetSink } from '../../../lambdas/adapters/aws/s3-parquet-sink';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import type { ConvertFileRequest } from '../../../lambdas/core/ports';
import { fakeS3, s3Client } from './fake-s3';
import { s3ObjectStoreIam } from '../../../lambdas/adapters/aws/iam-calls';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

let s3: ReturnType<typeof fakeS3>;
let store: S3ObjectStore;
let sink: S3ParquetSink;
let converter: S3LandingConverter;
expectDeclaredCommands(
  'S3ParquetSink and S3LandingConverter',
  () => s3.mock,
  s3ObjectStoreIam.actions,
);

beforeEach(() => {
  s3 = fakeS3();
  store = new S3ObjectStore(s3Client(), { landing: 'acme-landing', bronze: 'acme-bronze' });
  sink = new S3ParquetSink(store);
  converter = new S3LandingConverter(store);
});

/** The bytes PutObject received for an object, read back with hyparquet. */
async function readBack(bucketKey: string) {
  const bytes = s3.objects.get(bucketKey);
  if (!bytes) throw new Error(`nothing was put at ${bucketKey}`);
  const file = new Uint8Array(bytes).buffer;
  const metadata = parquetMetadata(file);
  return {
    metadata,
    schema: Object.fromEntries(metadata.schema.slice(1).map((e) => [e.name, e])),
    rows: await parquetReadObjects({ file }),
  };
}

const constants = [
  { name: '_ingested_at', type: 'TIMESTAMP', value: '2026-01-02T03:00:00.000Z' },
  { name: '_run_id', type: 'VARCHAR', value: 'run-1' },
];

describe('S3ParquetSink.writeRows', () => {
  it('writes every column type as DuckDB lays it out and returns the rows read back', async () => {
    const columns = [
      { name: 'name', type: 'VARCHAR' },
      { name: 'id', type: 'BIGINT' },
      { name: 'partition', type: 'INTEGER' },
      { name: 'score', type: 'DOUBLE' },
      { name: 'active', type: 'BOOLEAN' },
      { name: 'birthday', type: 'DATE' },
      { name: 'seen_at', type: 'TIMESTAMP' },
      { name: 'amount', type: 'DECIMAL(12,2)' },
    ];
    const rows = [
      [
        'ada',
        9007199254740993n,
        3,
        1.5,
        true,
        '2026-02-28',
        new Date('2026-01-02T10:00:00.123Z'),
        '1234.50',
      ],
      ['bob', 2, 0, -2, false, '1999-12-31', '2026-01-02T10:00:00.123456Z', 12.3],
      [null, 3, 1, null, null, null, Date.UTC(2026, 0, 2, 12), '-0.01'],
    ];
    const key = 'bronze/_staging/crm/accounts/ingest_date=2026-01-02/run-1-0.parquet';

    expect(await sink.writeRows(key, columns, rows, constants)).toBe(3);

    const put = s3.mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({
      Bucket: 'acme-bronze',
      Key: '_staging/crm/accounts/ingest_date=2026-01-02/run-1-0.parquet',
      ContentType: 'application/vnd.apache.parquet',
    });
    expect(s3.mock.commandCalls(GetObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'acme-bronze',
      Range: 'bytes=-65536',
    });

    const { schema, rows: read } = await readBack(`acme-bronze/${put.Key}`);
    expect(schema.id).toMatchObject({ type: 'INT64', converted_type: 'INT_64' });
    expect(schema.partition).toMatchObject({ type: 'INT32', converted_type: 'INT_32' });
    expect(schema.birthday).toMatchObject({ type: 'INT32', converted_type: 'DATE' });
    expect(schema.seen_at).toMatchObject({
      type: 'INT64',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' },
    });
    expect(schema.amount).toMatchObject({ type: 'INT64', precision: 12, scale: 2 });
    expect(read).toEqual([
      {
        name: 'ada',
        id: 9007199254740993n,
        partition: 3,
        score: 1.5,
        active: true,
        birthday: new Date('2026-02-28T00:00:00Z'),
        seen_at: new Date('2026-01-02T10:00:00.123Z'),
        amount: 1234.5,
        _ingested_at: new Date('2026-01-02T03:00:00.000Z'),
        _run_id: 'run-1',
      },
      {
        name: 'bob',
        id: 2n,
        partition: 0,
        score: -2,
        active: false,
        birthday: new Date('1999-12-31T00:00:00Z'),
        seen_at: new Date('2026-01-02T10:00:00.123Z'),
        amount: 12.3,
        _ingested_at: new Date('2026-01-02T03:00:00.000Z'),
        _run_id: 'run-1',
      },
      {
        name: null,
        id: 3n,
        partition: 1,
        score: null,
        active: null,
        birthday: null,
        seen_at: new Date('2026-01-02T12:00:00.000Z'),
        amount: -0.01,
        _ingested_at: new Date('2026-01-02T03:00:00.000Z'),
        _run_id: 'run-1',
      },
    ]);
  });

  it('refuses a value that does not fit its column, naming the row and column', async () => {
    await expect(
      sink.writeRows(
        'bronze/_staging/k/x-0.parquet',
        [{ name: 'offset', type: 'BIGINT' }],
        [[1], ['12a']],
      ),
    ).rejects.toThrow(
      'Cannot write bronze/_staging/k/x-0.parquet: row 2: column offset: 12a is not a valid BIGINT',
    );
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('S3ParquetSink.openColumns', () => {
  it('streams appended batches into one object, a row group of DuckDB’s size at a time', async () => {
    const key = 'bronze/_staging/kafka/order_events/x-0.parquet';
    const writer = await sink.openColumns(
      key,
      [
        { name: 'offset', type: 'BIGINT' },
        { name: 'timestamp', type: 'TIMESTAMP' },
        { name: 'value', type: 'VARCHAR' },
      ],
      constants,
    );
    const rows = 130_000;
    for (let from = 0; from < rows; from += 10_000) {
      const index = Array.from({ length: 10_000 }, (_, i) => from + i);
      await writer.append({
        rows: 10_000,
        columns: [
          Float64Array.from(index),
          Float64Array.from(index, (i) => Date.parse('2026-01-01T00:00:00Z') + i),
          index.map((i) => (i % 2 === 0 ? `v${i}` : null)),
        ],
      });
    }
    expect(s3.objects.size).toBe(0);
    expect(await writer.close()).toBe(rows);
    const { metadata, rows: read } = await readBack(`acme-bronze/${key.slice(7)}`);
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([122_880, 7_120]);
    expect(read.at(-2)).toEqual({
      offset: 129_998n,
      timestamp: new Date(Date.parse('2026-01-01T00:00:00Z') + 129_998),
      value: 'v129998',
      _ingested_at: new Date('2026-01-02T03:00:00.000Z'),
      _run_id: 'run-1',
    });
    expect(read.at(-1)).toMatchObject({ offset: 129_999n, value: null });
  });

  it('refuses an offset that is not an integer, naming the row of the object', async () => {
    const writer = await sink.openColumns('bronze/_staging/k/x-0.parquet', [
      { name: 'offset', type: 'BIGINT' },
    ]);
    await writer.append({ rows: 2, columns: [new Float64Array([1, 2])] });
    await expect(writer.append({ rows: 1, columns: [new Float64Array([2.5])] })).rejects.toThrow(
      'Cannot write bronze/_staging/k/x-0.parquet: row 3: column offset: 2.5 is not a valid BIGINT',
    );
    await writer.abort();
    expect(s3.objects.size).toBe(0);
  });
});

describe('parquetRowCount', () => {
  it('reads a footer larger than the first 64 KiB with a second ranged GET', async () => {
    const columnData = Array.from({ length: 600 }, (_, i) => ({
      name: `a_rather_long_column_name_to_make_the_footer_large_${i}`,
      data: [1, 2],
      type: 'INT32' as const,
    }));
    const bytes = Buffer.from(parquetWriteBuffer({ columnData }));
    const footerLength = bytes.readUInt32LE(bytes.length - 8);
    expect(footerLength).toBeGreaterThan(65_536);
    s3.objects.set('acme-bronze/wide.parquet', bytes);

    expect(await parquetRowCount(store, 'bronze/wide.parquet')).toBe(2);
    const ranges = s3.mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Range);
    expect(ranges).toEqual([
      'bytes=-65536',
      `bytes=${bytes.length - footerLength - 8}-${bytes.length - 1}`,
    ]);
  });

  it('names an object that is not Parquet', async () => {
    s3.objects.set('acme-bronze/x.parquet', Buffer.from('not parquet at all'));
    await expect(parquetRowCount(store, 'bronze/x.parquet')).rejects.toThrow(
      's3://acme-bronze/x.parquet is not a Parquet object: it has no PAR1 footer',
    );
  });
});

const accountColumns = [
  { name: 'account_id', type: 'BIGINT' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'amount', type: 'DECIMAL(10,2)' },
  { name: 'created_at', type: 'TIMESTAMP' },
];

function request(format: ConvertFileRequest['format'], file: string): ConvertFileRequest {
  return {
    sourceKey: `landing/crm/accounts/${file}`,
    format,
    targetKey: 'bronze/_staging/crm/accounts/ingest_date=2026-01-02/run-1-0.parquet',
    columns: accountColumns,
    constants: [...constants, { name: '_source_ref', type: 'VARCHAR', value: `${file}@run-1` }],
  };
}
const target = 'acme-bronze/_staging/crm/accounts/ingest_date=2026-01-02/run-1-0.parquet';

describe('S3LandingConverter.convertFile', () => {
  it('converts a CSV: columns matched by name in any case, cast, numbered; extras reported', async () => {
    s3.objects.set(
      'acme-landing/crm/accounts/a.csv',
      Buffer.from(
        '\ufeffACCOUNT_ID,Name,region,Amount,created_at\n' +
          '1,"Acme, Inc.",eu,12.50,2026-01-01 10:00:00\n' +
          '2,,us,,2026-01-01T11:00:00.5+01:00\n',
      ),
    );
    const result = await converter.convertFile(request('csv', 'a.csv'));
    expect(result).toEqual({ ok: true, read: 2, rows: 2, extraColumns: ['region'] });
    const { rows, schema } = await readBack(target);
    expect(schema._source_row).toMatchObject({ type: 'INT64' });
    expect(rows).toEqual([
      {
        account_id: 1n,
        name: 'Acme, Inc.',
        amount: 12.5,
        created_at: new Date('2026-01-01T10:00:00Z'),
        _ingested_at: new Date('2026-01-02T03:00:00.000Z'),
        _run_id: 'run-1',
        _source_ref: 'a.csv@run-1',
        _source_row: 1n,
      },
      {
        account_id: 2n,
        name: null,
        amount: null,
        created_at: new Date('2026-01-01T10:00:00.500Z'),
        _ingested_at: new Date('2026-01-02T03:00:00.000Z'),
        _run_id: 'run-1',
        _source_ref: 'a.csv@run-1',
        _source_row: 2n,
      },
    ]);
  });

  it('rejects a CSV at the first bad value, naming row, line and column, and writes nothing', async () => {
    s3.objects.set(
      'acme-landing/crm/accounts/bad.csv',
      Buffer.from(
        'account_id,name,amount,created_at\n' +
          '1,"two\nlines",1.00,2026-01-01\n' +
          '\n' +
          '2,b,12.345,2026-01-01\n' +
          '3x,c,1,2026-01-01\n',
      ),
    );
    expect(await converter.convertFile(request('csv', 'bad.csv'))).toEqual({
      ok: false,
      reason: "row 3 (line 6): column account_id: '3x' is not a valid BIGINT",
    });
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(0);

    s3.objects.set(
      'acme-landing/crm/accounts/bad2.csv',
      Buffer.from(
        'account_id,name,amount,created_at\n1,a,1.00,2026-01-01\n2,b,12.345,2026-01-01\n',
      ),
    );
    expect(await converter.convertFile(request('csv', 'bad2.csv'))).toEqual({
      ok: false,
      reason: "row 2 (line 3): column amount: '12.345' is not a valid DECIMAL(10,2)",
    });
  });

  it('names a refused value of a pii or person-identifying column by its kind, never quoting it', async () => {
    s3.objects.set(
      'acme-landing/crm/accounts/personal.csv',
      Buffer.from('account_id,name,amount,created_at\nann@example.com,a,1,2026-01-01\n'),
    );
    const personal = (classification: 'pii' | 'internal', subject?: string) => ({
      ...request('csv', 'personal.csv'),
      columns: accountColumns.map((c) =>
        c.name === 'account_id' ? { ...c, classification, ...(subject ? { subject } : {}) } : c,
      ),
    });
    expect(await converter.convertFile(personal('pii'))).toEqual({
      ok: false,
      reason: 'row 1 (line 2): column account_id: (pii value) is not a valid BIGINT',
    });
    expect(await converter.convertFile(personal('internal', 'account_id'))).toEqual({
      ok: false,
      reason: 'row 1 (line 2): column account_id: (account_id value) is not a valid BIGINT',
    });
  });

  it('rejects a file that cannot be read as its format', async () => {
    s3.objects.set('acme-landing/crm/accounts/ragged.csv', Buffer.from('a,b\n1,2\n3\n'));
    const result = await converter.convertFile(request('csv', 'ragged.csv'));
    expect(result).toEqual({
      ok: false,
      reason: 'cannot be read as csv: line 3 has 1 field where the header has 2',
    });

    s3.objects.set('acme-landing/crm/accounts/x.jsonl', Buffer.from('{"account_id": 1}\n{oops\n'));
    const jsonl = await converter.convertFile(request('jsonl', 'x.jsonl'));
    expect(jsonl.ok).toBe(false);
    expect((jsonl as { reason: string }).reason).toMatch(/^cannot be read as jsonl: line 2: /);
  });

  it('lets an S3 failure through instead of rejecting the file', async () => {
    s3.mock.on(GetObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'Access Denied',
      }),
    );
    await expect(converter.convertFile(request('csv', 'a.csv'))).rejects.toBeInstanceOf(
      PipelineError,
    );
  });

  it.each(['csv', 'jsonl'] as const)(
    'makes a %s download that breaks off a TransientError, not a rejected file',
    async (format) => {
      const broken = new Readable({
        read() {
          this.push(format === 'csv' ? 'account_id\n1\n' : '{"account_id": 1}\n');
          this.destroy(new Error('socket hang up'));
        },
      });
      s3.mock.on(GetObjectCommand).resolves({ Body: broken as never });
      const error = await converter
        .convertFile(request(format, `x.${format}`))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect((error as Error).message).toBe(
        `Reading s3://acme-landing/crm/accounts/x.${format} broke off: socket hang up`,
      );
    },
  );

  it('converts a JSON array exactly: 64-bit ids, decimal digits, nested objects as JSON text', async () => {
    s3.objects.set(
      'acme-landing/crm/accounts/a.json',
      Buffer.from(
        JSON.stringify([
          { account_id: 1, name: 'a', amount: 10, created_at: '2026-01-01T00:00:00Z' },
          { tags: ['x'], created_at: null },
        ]).replace('"account_id":1,', '"account_id":9223372036854775807,') + '\n',
      ),
    );
    const asText = {
      ...request('json', 'a.json'),
      columns: [
        { name: 'account_id', type: 'BIGINT' },
        { name: 'tags', type: 'VARCHAR' },
        { name: 'amount', type: 'DECIMAL(10,2)' },
      ],
    };
    expect(await converter.convertFile(asText)).toEqual({
      ok: true,
      read: 2,
      rows: 2,
      extraColumns: ['name', 'created_at'],
    });
    const { rows } = await readBack(target);
    expect(rows.map((r) => [r.account_id, r.tags, r.amount, r._source_row])).toEqual([
      [9223372036854775807n, null, 10, 1n],
      [null, '["x"]', null, 2n],
    ]);
  });

  it('converts JSON lines, and reports a bad value without a line (as DuckDB does)', async () => {
    s3.objects.set(
      'acme-landing/crm/accounts/a.jsonl',
      Buffer.from('{"account_id": 1, "amount": "3.10"}\n\n{"account_id": 2, "amount": 4}\n'),
    );
    expect(await converter.convertFile(request('jsonl', 'a.jsonl'))).toMatchObject({
      ok: true,
      read: 2,
    });
    const { rows } = await readBack(target);
    expect(rows.map((r) => [r.account_id, r.amount])).toEqual([
      [1n, 3.1],
      [2n, 4],
    ]);

    s3.objects.set(
      'acme-landing/crm/accounts/b.jsonl',
      Buffer.from('{"account_id": 1}\n{"account_id": 2.5}\n'),
    );
    expect(await converter.convertFile(request('jsonl', 'b.jsonl'))).toEqual({
      ok: false,
      reason: "row 2: column account_id: '2.5' is not a valid BIGINT",
    });
  });

  it('converts a Parquet landing file, downloaded to /tmp and read with hyparquet', async () => {
    s3.objects.set(
      'acme-landing/crm/accounts/a.parquet',
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'Account_Id', data: [7n, 8n], type: 'INT64' },
            {
              name: 'created_at',
              data: [new Date('2026-01-01T08:00:00Z'), null],
              type: 'TIMESTAMP',
            },
            { name: 'extra', data: ['x', 'y'], type: 'STRING' },
          ],
        }),
      ),
    );
    expect(await converter.convertFile(request('parquet', 'a.parquet'))).toEqual({
      ok: true,
      read: 2,
      rows: 2,
      extraColumns: ['extra'],
    });
    const { rows } = await readBack(target);
    expect(rows.map((r) => [r.account_id, r.created_at, r.name])).toEqual([
      [7n, new Date('2026-01-01T08:00:00Z'), null],
      [8n, null, null],
    ]);
  });

  describe('a landing file larger than a part', () => {
    const mib = 1024 ** 2;
    const rowCount = 300_000;
    /** ~13 MB of CSV whose names are random (Parquet cannot shrink them): > 2 upload parts of 5 MiB. */
    const bigCsv = (lastId = String(rowCount)) => {
      const lines = ['account_id,name'];
      for (let i = 1; i < rowCount; i++) lines.push(`${i},${randomBytes(16).toString('hex')}`);
      lines.push(`${lastId},last`);
      return Buffer.from(`${lines.join('\n')}\n`);
    };
    const smallParts = () =>
      new S3LandingConverter(
        new S3ObjectStore(
          s3Client(),
          { landing: 'acme-landing', bronze: 'acme-bronze' },
          { uploadPartSizeBytes: 5 * mib },
        ),
      );

    it('streams through: read in chunks, written a row group at a time, uploaded in parts', async () => {
      s3.objects.set('acme-landing/crm/accounts/big.csv', bigCsv());
      expect(await smallParts().convertFile(request('csv', 'big.csv'))).toEqual({
        ok: true,
        read: rowCount,
        rows: rowCount,
        extraColumns: [],
      });
      expect(s3.mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(1);
      expect(s3.mock.commandCalls(UploadPartCommand).length).toBeGreaterThanOrEqual(2);
      expect(s3.mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(1);
      expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(0);
      const { metadata, rows } = await readBack(target);
      // Row groups of DuckDB's size, each written as soon as it was full.
      expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([
        122_880,
        122_880,
        rowCount - 2 * 122_880,
      ]);
      expect(rows).toHaveLength(rowCount);
      expect(rows.at(-1)).toMatchObject({
        account_id: BigInt(rowCount),
        name: 'last',
        _run_id: 'run-1',
        _source_row: BigInt(rowCount),
      });
      expect(rows[122_880]).toMatchObject({ account_id: 122_881n, _source_row: 122_881n });
    });

    it('rejected at its last row, it aborts the upload and leaves no object', async () => {
      s3.objects.set('acme-landing/crm/accounts/big.csv', bigCsv('oops'));
      expect(await smallParts().convertFile(request('csv', 'big.csv'))).toEqual({
        ok: false,
        reason: `row ${rowCount} (line ${rowCount + 1}): column account_id: 'oops' is not a valid BIGINT`,
      });
      expect(s3.mock.commandCalls(UploadPartCommand).length).toBeGreaterThanOrEqual(1);
      expect(s3.mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
      expect(s3.mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
      expect(s3.objects.has(target)).toBe(false);
      expect(s3.uploads.size).toBe(0);
    });
  });

  it('writes an empty landing file as an empty bronze object', async () => {
    s3.objects.set('acme-landing/crm/accounts/empty.csv', Buffer.from('account_id,name\n'));
    expect(await converter.convertFile(request('csv', 'empty.csv'))).toEqual({
      ok: true,
      read: 0,
      rows: 0,
      extraColumns: [],
    });
  });
});

describe('strict casts', () => {
  const cases: [type: string, value: string, ok: boolean][] = [
    ['BIGINT', ' 42 ', true],
    ['BIGINT', '1.5', false],
    ['BIGINT', '9223372036854775808', false],
    ['INTEGER', '2147483648', false],
    ['DOUBLE', '1e3', true],
    ['DOUBLE', '1,5', false],
    ['BOOLEAN', 'yes', true],
    ['BOOLEAN', '2', false],
    ['DATE', '2026-02-29', false],
    ['DATE', '2026-1-2', true],
    ['TIMESTAMP', '2026-01-02 25:00:00', false],
    ['TIMESTAMP', '2026-01-02', true],
    ['DECIMAL(10,2)', '12.300', true],
    ['DECIMAL(10,2)', '123456789.1', false],
    ['DECIMAL(4,1)', '1e2', true],
  ];
  it.each(cases)('%s %j → %s', async (type, value, ok) => {
    s3.objects.set('acme-landing/crm/accounts/v.csv', Buffer.from(`v\n${value}\n`));
    const result = await converter.convertFile({
      ...request('csv', 'v.csv'),
      columns: [{ name: 'v', type }],
    });
    expect(result.ok).toBe(ok);
  });
});
