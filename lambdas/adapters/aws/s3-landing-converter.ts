import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline, Readable } from 'node:stream';
import { brotliDecompressSync, createGunzip, gunzipSync, zstdDecompressSync } from 'node:zlib';
import { CsvError, parse as parseCsv } from 'csv-parse';
import {
  asyncBufferFromFile,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
  type Compressors,
} from 'hyparquet';
import { DataError, PipelineError, TransientError } from '../../core/errors';
import {
  LandingTextCheck,
  landingTextProblem,
  missingRequired,
  quoteValue,
  refusedValue,
  type TextFormat,
} from '../../core/ingest/landing-text';
import type { ConvertFileRequest, ConvertFileResult, LandingConverter } from '../../core/ports';
import { parquetRowCount } from './parquet-footer';
import {
  constantColumn,
  display,
  invalid,
  json,
  lowerNameIndex,
  parquetType,
  parseJson,
  rowGroupRows,
} from './parquet-values';
import { ParquetStream } from './parquet-stream';
import type { S3ObjectStore } from './s3-object-store';

/**
 * Landing files (csv, json, jsonl, parquet) into bronze Parquet on Lambda: read from S3, cast
 * strictly to the contract's types (the first value that does not fit rejects the file, naming
 * its row, line and column, as the local converter does), written back with the bronze writer's
 * physical types.
 *
 * Text files are checked as their bytes arrive ({@link LandingTextCheck}, gunzipped first when
 * `.gz`), the check the local converter makes, so both refuse the same files for the same reason.
 *
 * Files stream through: records are read as the download arrives (a Parquet file from /tmp, one
 * row group at a time), written out a row group at a time, and uploaded in parts as the output
 * grows. A Lambda holds one row group and the parts in flight, so a landing file may be far larger
 * than its memory. Only a `.json` document is parsed whole (JSON lines stream).
 */
export class S3LandingConverter implements LandingConverter {
  constructor(private readonly store: S3ObjectStore) {}

  async convertFile(request: ConvertFileRequest): Promise<ConvertFileResult> {
    const plan = request.columns.map((column) => ({ column, type: parquetType(column.type) }));
    const sourceRow = { name: '_source_row', type: parquetType('BIGINT') };
    const output = new ParquetStream([
      ...plan.map(({ column, type }) => ({ name: column.name, type })),
      ...request.constants.map((c) => ({ name: c.name, type: parquetType(c.type) })),
      sourceRow,
    ]);
    const uploaded = this.store.upload(request.targetKey, output.body);
    // When S3 gives up, writing stops too, rather than waiting on a stream nobody reads.
    uploaded.catch((error: Error) => output.abort(error));

    let group: unknown[][] = plan.map(() => []);
    let groupStart = 0;
    const failures: ({ row: number; line?: number; value: unknown } | undefined)[] = plan.map(
      () => undefined,
    );
    let rejected = false;
    let fileColumns: readonly string[] = [];
    let byLowerName = new Map<string, number>();
    let read = 0;
    const writeGroup = async () => {
      const rows = read - groupStart;
      await output.writeRowGroup([
        ...plan.map(({ column, type }, c) => ({ name: column.name, type, data: group[c]! })),
        ...request.constants.map((c) => constantColumn(c, rows)),
        { ...sourceRow, data: Array.from({ length: rows }, (_, i) => BigInt(groupStart + i + 1)) },
      ]);
      group = plan.map(() => []);
      groupStart = read;
    };
    try {
      const landing = await readLanding(this.store, request);
      for await (const record of landing.records) {
        read++;
        if (record.columns !== fileColumns) {
          fileColumns = record.columns;
          byLowerName = lowerNameIndex(fileColumns);
        }
        plan.forEach(({ column, type }, c) => {
          const index = byLowerName.get(column.name.toLowerCase());
          const value = index === undefined ? null : record.values[index];
          if (value === null || value === undefined) {
            if (!rejected) group[c]!.push(null);
            return;
          }
          if (failures[c] !== undefined) return;
          const cast = type.cast(value, { epochMillis: false });
          if (cast === invalid) {
            failures[c] = { row: read, line: record.line, value };
            rejected = true;
          } else if (!rejected) group[c]!.push(cast);
        });
        if (rejected) group = [];
        else if (read - groupStart === rowGroupRows) await writeGroup();
      }
      if (!rejected) {
        await writeGroup();
        await output.end();
      }
    } catch (error) {
      output.abort(error as Error);
      await uploaded.catch(() => undefined);
      if (error instanceof DataError) {
        return {
          ok: false,
          reason: `cannot be read as ${request.format}: ${quoteValue(error.message)}`,
        };
      }
      throw error;
    }

    // Like DuckDB's check: the first column (in contract order) with a bad value, at its first bad row.
    const failed = failures.findIndex((f) => f !== undefined);
    if (failed >= 0) {
      output.abort(new DataError(`${request.sourceKey} is rejected`));
      await uploaded.catch(() => undefined);
      const { row, line, value } = failures[failed]!;
      const { column } = plan[failed]!;
      return {
        ok: false,
        reason: `row ${row}${line === undefined ? '' : ` (line ${line})`}: column ${column.name}: ${refusedValue(column, display(value))} is not a valid ${column.type}`,
      };
    }
    await uploaded;
    const wanted = new Set(request.columns.map((c) => c.name.toLowerCase()));
    return {
      ok: true,
      read,
      rows: await parquetRowCount(this.store, request.targetKey),
      extraColumns: fileColumns.filter((c) => !wanted.has(c.toLowerCase())),
    };
  }
}

interface LandingRecord {
  readonly columns: readonly string[];
  readonly values: readonly unknown[];
  /** CSV only: the line the record starts on. */
  readonly line?: number;
}

/**
 * Reads a landing file record by record. Anything that makes the file unreadable as its format
 * is a {@link DataError} (the file is rejected); S3 failures stay what they are (the run retries).
 */
async function readLanding(
  store: S3ObjectStore,
  request: ConvertFileRequest,
): Promise<{ records: AsyncIterable<LandingRecord> }> {
  const { sourceKey: key, format, gzip = false } = request;
  const required = request.requiredColumns ?? [];
  const text = async (textFormat: TextFormat) =>
    Readable.from(checked(await store.getStream(key), textFormat, gzip));
  switch (format) {
    case 'csv':
      return {
        records: unlessStreamBreaks(store, key, csvRecords(await text('csv'), required)),
      };
    case 'jsonl':
      return { records: unlessStreamBreaks(store, key, jsonLinesRecords(await text('jsonl'))) };
    case 'json':
      return { records: jsonRecords(await store.getBytes(key), gzip) };
    case 'parquet':
      return { records: parquetRecords(store, key, required) };
  }
}

/**
 * A text file's bytes, gunzipped when compressed, each chunk checked before a reader sees it: a
 * fault of the file is a {@link DataError}; the download's own failures pass as they are.
 */
async function* checked(
  body: NodeJS.ReadableStream,
  format: TextFormat,
  gzip: boolean,
): AsyncGenerator<Uint8Array> {
  const check = new LandingTextCheck(format);
  const bytes = gzip ? pipeline(body, createGunzip(), () => undefined) : body;
  try {
    for await (const chunk of bytes as AsyncIterable<Uint8Array>) {
      check.push(chunk);
      yield chunk;
    }
    check.end();
  } catch (error) {
    const problem = landingTextProblem(error);
    if (problem === undefined) throw error;
    throw new DataError(problem, { cause: error });
  }
}

/** A download that breaks off mid-stream is S3's failure, not the file's: the run retries it. */
async function* unlessStreamBreaks(
  store: S3ObjectStore,
  key: string,
  records: AsyncGenerator<LandingRecord>,
): AsyncGenerator<LandingRecord> {
  try {
    yield* records;
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    throw new TransientError(`Reading ${store.uri(key)} broke off: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Empty fields are NULL (as DuckDB reads CSV); `line` counts quoted line breaks and blank lines. */
async function* csvRecords(
  body: NodeJS.ReadableStream,
  required: readonly string[],
): AsyncGenerator<LandingRecord> {
  const parser = parseCsv({ bom: true, skip_empty_lines: true, info: true });
  body.on('error', (error) => parser.destroy(error));
  body.pipe(parser);
  let header: string[] | undefined;
  let linesSoFar = 0;
  let emptyLinesSoFar = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number; empty_lines: number };
    }>) {
      const line = linesSoFar + (info.empty_lines - emptyLinesSoFar) + 1;
      linesSoFar = info.lines;
      emptyLinesSoFar = info.empty_lines;
      if (header === undefined) {
        header = record;
        const missing = missingRequired(header, required);
        if (missing) throw new DataError(missing);
      } else yield { columns: header, values: record.map((v) => (v === '' ? null : v)), line };
    }
  } catch (error) {
    if (error instanceof CsvError) {
      throw new DataError((error as Error).message, { cause: error });
    }
    throw error;
  }
}

/** Keys of JSON objects become columns in order of first appearance. */
function objectRecords(): (value: unknown, where: string) => LandingRecord {
  const columns: string[] = [];
  const positions = new Map<string, number>();
  let snapshot: readonly string[] = [];
  return (value, where) => {
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      json.isRawJSON(value)
    ) {
      throw new DataError(`${where} is not a JSON object`);
    }
    const values: unknown[] = [];
    for (const [name, field] of Object.entries(value)) {
      let position = positions.get(name);
      if (position === undefined) {
        position = columns.push(name) - 1;
        positions.set(name, position);
        snapshot = [...columns];
      }
      values[position] = field;
    }
    return { columns: snapshot, values };
  };
}

async function* jsonRecords(bytes: Buffer, gzip: boolean): AsyncGenerator<LandingRecord> {
  let document: unknown;
  try {
    const text = gzip ? gunzipSync(bytes) : bytes;
    const check = new LandingTextCheck('json');
    check.push(text);
    check.end();
    document = parseJson(text.toString('utf8'));
  } catch (error) {
    throw new DataError(landingTextProblem(error) ?? (error as Error).message, { cause: error });
  }
  const toRecord = objectRecords();
  const items = Array.isArray(document) ? document : [document];
  for (const [i, item] of items.entries()) yield toRecord(item, `element ${i + 1}`);
}

async function* jsonLinesRecords(body: NodeJS.ReadableStream): AsyncGenerator<LandingRecord> {
  const toRecord = objectRecords();
  let lineNumber = 0;
  for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
    lineNumber++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = parseJson(line);
    } catch (error) {
      throw new DataError(`line ${lineNumber}: ${(error as Error).message}`, { cause: error });
    }
    yield toRecord(value, `line ${lineNumber}`);
  }
}

/** Codecs beyond hyparquet's built-in Snappy, from node:zlib (no extra dependency). */
const decompressors: Compressors = {
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
  ZSTD: (input) => zstdDecompressSync(input),
};

/**
 * Parquet needs random access: the object is downloaded to /tmp and read from there, one row
 * group at a time.
 */
async function* parquetRecords(
  store: S3ObjectStore,
  key: string,
  required: readonly string[],
): AsyncGenerator<LandingRecord> {
  const file = await store.downloadToFile(key);
  try {
    const buffer = await asyncBufferFromFile(file).catch(unreadable);
    const metadata = await parquetMetadataAsync(buffer).catch(unreadable);
    const columns = parquetSchema(metadata).children.map((child) => child.element.name);
    const missing = missingRequired(columns, required);
    if (missing) throw new DataError(missing);
    let rowStart = 0;
    for (const rowGroup of metadata.row_groups) {
      const rowEnd = rowStart + Number(rowGroup.num_rows);
      const rows = await parquetReadObjects({
        file: buffer,
        metadata,
        rowStart,
        rowEnd,
        compressors: decompressors,
      }).catch(unreadable);
      for (const row of rows) yield { columns, values: columns.map((c) => row[c]) };
      rowStart = rowEnd;
    }
  } finally {
    await rm(file, { force: true });
  }
}

function unreadable(error: unknown): never {
  throw new DataError((error as Error).message, { cause: error });
}
