/**
 * One corpus of odd landing files, read by both landing converters: DuckDB's (local) and the
 * streaming one of Lambda. A file's rows arrive with their values intact, or the whole file is
 * refused, and both runtimes do the same with the same reason.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3LandingConverter } from '../../lambdas/adapters/aws/s3-landing-converter';
import { S3ObjectStore } from '../../lambdas/adapters/aws/s3-object-store';
import { DuckDbParquetSink } from '../../lambdas/adapters/duckdb/parquet-sink';
import { FsObjectStore } from '../../lambdas/adapters/local/object-store';
import type { ConvertFileRequest, LandingConverter } from '../../lambdas/core/ports';
import { fakeS3, s3Client } from '../unit/aws/fake-s3';

const columns = [
  { name: 'id', type: 'BIGINT' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'is_deleted', type: 'BOOLEAN' },
];
const target = 'bronze/_staging/crm/accounts/ingest_date=2026-01-02/run-1-0.parquet';

interface Case {
  readonly case: string;
  readonly file: string;
  readonly content: string | Buffer;
  /** The rows written, as [id, name, is_deleted] text; or the reason the file is refused. */
  readonly expected: readonly (readonly (string | null)[])[] | string;
}

const megabyteOfDigits = '7'.repeat(1_000_000);
const corpus: Case[] = [
  {
    case: 'a JSON object for a text column is kept as its JSON text, and the other rows’ strings stay unquoted',
    file: 'mixed.jsonl',
    content:
      '{"id":1,"name":"Bob Ltd"}\n{"id":2,"name":{"x": 1, "y": [true]}}\n{"id":3,"name":"Eve"}\n',
    expected: [
      ['1', 'Bob Ltd', null],
      ['2', '{"x":1,"y":[true]}', null],
      ['3', 'Eve', null],
    ],
  },
  {
    case: 'a JSON array for a typed column is a bad value, naming its row and column',
    file: 'nested.jsonl',
    content: '{"id":1,"is_deleted":false}\n{"id":2,"is_deleted":[1]}\n',
    expected: "row 2: column is_deleted: '[1]' is not a valid BOOLEAN",
  },
  {
    case: 'a CSV row with an extra field refuses the file, naming its line',
    file: 'ragged.csv',
    content: 'id,name,is_deleted\n1,a,false\n2,b,false,extra\n3,c,true\n',
    expected: 'cannot be read as csv: line 3 has 4 fields where the header has 3',
  },
  {
    case: 'a CSV row with a field missing refuses the file, naming its line',
    file: 'short.csv',
    content: 'id,name,is_deleted\n1,"a\nb",false\n2,b\n',
    expected: 'cannot be read as csv: line 4 has 2 fields where the header has 3',
  },
  {
    case: 'a CSV header without a required column refuses the file, naming the column',
    file: 'no-id.csv',
    content: 'ident,name\n1,a\n',
    expected:
      'cannot be read as csv: the file has no column id, required by the contract (its columns: ident, name)',
  },
  {
    case: 'a CSV header naming a column twice refuses the file',
    file: 'twice.csv',
    content: 'id,name,NAME\n1,a,b\n',
    expected: "cannot be read as csv: line 1: the header names column 'NAME' twice",
  },
  {
    case: 'a CSV column without a name is read past, as any column not in the contract',
    file: 'unnamed.csv',
    content: 'id,,name\n1,x,a\n',
    expected: [['1', 'a', null]],
  },
  {
    case: 'an empty CSV file is refused',
    file: 'empty.csv',
    content: '',
    expected: 'cannot be read as csv: the file is empty: a CSV file starts with its header',
  },
  {
    case: 'a quoted CSV field left open is refused, naming the line it opens on',
    file: 'open.csv',
    content: 'id,name\n1,a\n2,"b\n3,c\n',
    expected:
      'cannot be read as csv: line 3: a quoted field is not closed before the end of the file',
  },
  {
    case: 'text after a closing quote refuses the file, naming line and field',
    file: 'closing.csv',
    content: 'id,name\n1,"a"b\n',
    expected:
      'cannot be read as csv: line 2: field 2 goes on after its closing quote (a quote inside a quoted field is doubled: "")',
  },
  {
    case: 'a quote inside a field that is not quoted refuses the file, naming line and field',
    file: 'opening.csv',
    content: 'id,name\n1,a"b\n',
    expected:
      'cannot be read as csv: line 2: field 2 holds a quote but is not quoted (quote the field and double the quote: "a""b")',
  },
  {
    case: 'a number on a JSON line refuses the file, naming the line',
    file: 'scalar.jsonl',
    content: '{"id":1}\n42\n',
    expected:
      "cannot be read as jsonl: line 2 is not a JSON object (it starts with '4'): each line must be one object",
  },
  {
    case: 'an array on a JSON line refuses the file, naming the line',
    file: 'array.jsonl',
    content: '{"id":1}\n\n  [1,2]\n',
    expected:
      "cannot be read as jsonl: line 3 is not a JSON object (it starts with '['): each line must be one object",
  },
  {
    case: 'a NUL byte refuses the file, naming its line and byte (no column is dropped)',
    file: 'nul.csv',
    content: 'id,name,is_deleted\n1,a\0,true\n2,b,true\n',
    expected:
      'cannot be read as csv: line 2 (byte 22) holds a NUL byte: the file is binary, UTF-16 or corrupt, not csv text',
  },
  {
    case: 'a latin-1 file is refused as not UTF-8, naming line and byte and how to re-encode it',
    file: 'latin1.csv',
    content: Buffer.from('id,name,is_deleted\n1,Caf\xe9,false\n', 'latin1'),
    expected:
      'cannot be read as csv: line 2 (byte 24) is not UTF-8: landing files must be UTF-8 text; re-encode it (e.g. `iconv -f latin1 -t utf-8`) and drop it again',
  },
  {
    case: 'a UTF-8 character cut off at the end of the file is not UTF-8',
    file: 'cut.jsonl',
    content: Buffer.concat([Buffer.from('{"id":1,"name":"'), Buffer.from('é').subarray(0, 1)]),
    expected:
      'cannot be read as jsonl: line 1 (byte 16) is not UTF-8: landing files must be UTF-8 text; re-encode it (e.g. `iconv -f latin1 -t utf-8`) and drop it again',
  },
  {
    case: 'a gzipped CSV is read',
    file: 'a.csv.gz',
    content: gzipSync('\ufeffid,name,is_deleted\r\n1,"Acme, ""Inc.""",true\r\n2,Café,\r\n'),
    expected: [
      ['1', 'Acme, "Inc."', 'true'],
      ['2', 'Café', null],
    ],
  },
  {
    case: 'gzipped JSON lines are read',
    file: 'a.jsonl.gz',
    content: gzipSync('{"id":1,"name":"a","is_deleted":true}\n'),
    expected: [['1', 'a', 'true']],
  },
  {
    case: 'a gzipped JSON document is read',
    file: 'a.json.gz',
    content: gzipSync('[{"id":1,"name":"a"},{"id":2,"is_deleted":false}]'),
    expected: [
      ['1', 'a', null],
      ['2', null, 'false'],
    ],
  },
  {
    case: 'a .gz file that is not gzip is refused',
    file: 'fake.csv.gz',
    content: 'id\n1\n',
    expected: 'cannot be read as csv: the file is not valid gzip: incorrect header check',
  },
  {
    case: 'a gzipped file with a fault is refused for the fault',
    file: 'ragged.csv.gz',
    content: gzipSync('id,name\n1\n'),
    expected: 'cannot be read as csv: line 2 has 1 field where the header has 2',
  },
  {
    case: 'a Parquet file without a required column is refused, naming the column',
    file: 'no-id.parquet',
    content: Buffer.from(
      parquetWriteBuffer({ columnData: [{ name: 'ident', data: [1n], type: 'INT64' }] }),
    ),
    expected:
      'cannot be read as parquet: the file has no column id, required by the contract (its columns: ident)',
  },
  {
    case: 'a megabyte value is quoted in the reason cut to 200 characters',
    file: 'long.csv',
    content: `id,name\n${megabyteOfDigits}x,a\n`,
    expected: `row 1 (line 2): column id: '${'7'.repeat(200)}… (999801 more characters)' is not a valid BIGINT`,
  },
];

function request(file: string): ConvertFileRequest {
  const gzip = file.endsWith('.gz');
  const extension = file.replace(/\.gz$/, '').split('.').pop()!;
  return {
    sourceKey: `landing/crm/accounts/${file}`,
    format: extension as ConvertFileRequest['format'],
    targetKey: target,
    columns,
    constants: [{ name: '_run_id', type: 'VARCHAR', value: 'run-1' }],
    gzip,
    requiredColumns: ['id'],
  };
}

/** A converter with a place to drop a landing file and a way to read back what it wrote. */
interface Runtime {
  readonly converter: LandingConverter;
  drop(file: string, content: string | Buffer): void;
  written(): Promise<Record<string, unknown>[]>;
}

const text = (value: unknown) => (value === null || value === undefined ? null : String(value));

describe.each([
  {
    runtime: 'local (DuckDB)',
    open: async (): Promise<Runtime & { close(): void }> => {
      const root = mkdtempSync(path.join(tmpdir(), 'landing-'));
      const instance = await DuckDBInstance.create(':memory:');
      const store = new FsObjectStore(root);
      return {
        converter: new DuckDbParquetSink(instance, store),
        drop(file, content) {
          const where = store.path(`landing/crm/accounts/${file}`);
          mkdirSync(path.dirname(where), { recursive: true });
          writeFileSync(where, content);
        },
        async written() {
          const connection = await instance.connect();
          const result = await connection.runAndReadAll(
            `select * from read_parquet('${store.path(target)}') order by _source_row`,
          );
          connection.closeSync();
          return result.getRowObjectsJS();
        },
        close() {
          instance.closeSync();
          rmSync(root, { recursive: true, force: true });
        },
      };
    },
  },
  {
    runtime: 'AWS (streaming)',
    open: async (): Promise<Runtime & { close(): void }> => {
      const s3 = fakeS3();
      const store = new S3ObjectStore(s3Client(), {
        landing: 'acme-landing',
        bronze: 'acme-bronze',
      });
      return {
        converter: new S3LandingConverter(store),
        drop: (file, content) =>
          s3.objects.set(`acme-landing/crm/accounts/${file}`, Buffer.from(content)),
        async written() {
          const bytes = s3.objects.get(`acme-bronze/${target.slice('bronze/'.length)}`)!;
          return parquetReadObjects({ file: new Uint8Array(bytes).buffer });
        },
        close: () => s3.mock.restore(),
      };
    },
  },
])('the $runtime landing converter', ({ open }) => {
  let runtime: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    runtime = await open();
  });
  afterAll(() => runtime.close());

  it.each(corpus)('$case', async ({ file, content, expected }) => {
    runtime.drop(file, content);
    const result = await runtime.converter.convertFile(request(file));
    if (typeof expected === 'string') {
      expect(result).toEqual({ ok: false, reason: expected });
      return;
    }
    expect(result).toMatchObject({ ok: true, read: expected.length, rows: expected.length });
    const rows = await runtime.written();
    expect(rows.map((r) => [text(r.id), text(r.name), text(r.is_deleted)])).toEqual(expected);
  });
});
