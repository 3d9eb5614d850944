import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import {
  DOUBLE,
  DuckDBDataChunk,
  INTEGER,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBType,
} from '@duckdb/node-api';
import { checkColumnBatch, columnArray } from '../../core/column-batch';
import type {
  ColumnBatch,
  ColumnSpec,
  ColumnWriter,
  ConstantColumn,
  ConvertFileRequest,
  ConvertFileResult,
  LandingConverter,
  ParquetSink,
} from '../../core/ports';
import {
  checkLandingText,
  landingTextProblem,
  missingRequired,
  quoteValue,
  refusedValue,
} from '../../core/ingest/landing-text';
import type { FsObjectStore } from '../local/object-store';
import { duckdbDialect as d } from './dialect';

type Append = (appender: DuckDBAppender, value: unknown) => void;

/** How each SQL type is appended; types without a native appender go in as text and are cast on write. */
const appenders: Record<string, { staging: string; append: Append }> = {
  VARCHAR: { staging: 'VARCHAR', append: (a, v) => a.appendVarchar(v as string) },
  INTEGER: { staging: 'INTEGER', append: (a, v) => a.appendInteger(v as number) },
  BIGINT: {
    staging: 'BIGINT',
    append: (a, v) => a.appendBigInt(typeof v === 'bigint' ? v : BigInt(v as number)),
  },
  DOUBLE: { staging: 'DOUBLE', append: (a, v) => a.appendDouble(v as number) },
  BOOLEAN: { staging: 'BOOLEAN', append: (a, v) => a.appendBoolean(v as boolean) },
};
/** Timestamps travel as epoch milliseconds: cheaper to append than text, exact to the millisecond. */
const asEpochMillis: { staging: string; append: Append } = {
  staging: 'DOUBLE',
  append: (a, v) =>
    a.appendDouble(
      v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(String(v)),
    ),
};
const asText: { staging: string; append: Append } = {
  staging: 'VARCHAR',
  append: (a, v) => a.appendVarchar(String(v)),
};

/**
 * How {@link ParquetSink.openColumns} stages each SQL type: numbers from their typed array
 * (`columnArray`), written a vector at a time and cast on write (a TIMESTAMP from epoch
 * milliseconds); any other type as text, cast on write.
 */
interface ColumnStaging {
  readonly type: DuckDBType;
  select(name: string, sqlType: string): string;
}
const columnStagings: Record<string, ColumnStaging> = {
  INTEGER: { type: INTEGER, select: (name) => name },
  BIGINT: { type: DOUBLE, select: (name) => `cast(${name} as bigint)` },
  DOUBLE: { type: DOUBLE, select: (name) => name },
  TIMESTAMP: { type: DOUBLE, select: (name) => `epoch_ms(cast(${name} as bigint))` },
};
const textStaging: ColumnStaging = {
  type: VARCHAR,
  select: (name, sqlType) => (sqlType === 'VARCHAR' ? name : `cast(${name} as ${sqlType})`),
};

/** Rows of a DuckDB data chunk (DuckDB's vector size): what one appended chunk holds at most. */
const chunkRows = 2048;

let scratchTables = 0;

/** Bronze Parquet writer on an in-process DuckDB; one connection per write so writes can overlap. */
export class DuckDbParquetSink implements ParquetSink, LandingConverter {
  constructor(
    private readonly instance: DuckDBInstance,
    private readonly store: FsObjectStore,
  ) {}

  /**
   * Batches are appended to a scratch table a data chunk at a time, and the object is written by
   * one COPY at `close`: however many batches, one Parquet file.
   */
  async openColumns(
    key: string,
    columns: readonly ColumnSpec[],
    constants: readonly ConstantColumn[] = [],
  ): Promise<ColumnWriter> {
    const target = this.store.path(key);
    await mkdir(path.dirname(target), { recursive: true });
    const table = `sink_columns_${++scratchTables}`;
    const plan = columns.map((c) => (columnArray(c.type) ? columnStagings[c.type]! : textStaging));
    const connection = await this.instance.connect();
    try {
      await connection.run(
        `create temp table ${table} (${columns.map((c, i) => `${d.quote(c.name)} ${plan[i]!.type.toString()}`).join(', ')})`,
      );
      const appender = await connection.createAppender(table);
      const select = [
        ...columns.map(
          (c, i) => `${plan[i]!.select(d.quote(c.name), c.type)} as ${d.quote(c.name)}`,
        ),
        ...constants.map((c) => constant(c)),
      ];
      const types = plan.map((p) => p.type);
      return new DuckDbColumnWriter(connection, appender, columns, types, async () => {
        await connection.run(
          `copy (select ${select.join(', ')} from ${table}) to ${d.string(target)} (format parquet)`,
        );
        await connection.run(`drop table ${table}`);
        return countParquet(connection, target);
      });
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  async writeRows(
    key: string,
    columns: readonly ColumnSpec[],
    rows: readonly (readonly unknown[])[],
    constants: readonly ConstantColumn[] = [],
  ): Promise<number> {
    const target = this.store.path(key);
    await mkdir(path.dirname(target), { recursive: true });
    const table = `sink_rows_${++scratchTables}`;
    const plan = columns.map(
      (c) => appenders[c.type] ?? (c.type === 'TIMESTAMP' ? asEpochMillis : asText),
    );
    const connection = await this.instance.connect();
    try {
      await connection.run(
        `create temp table ${table} (${columns.map((c, i) => `${d.quote(c.name)} ${plan[i]!.staging}`).join(', ')})`,
      );
      const appender = await connection.createAppender(table);
      for (const row of rows) {
        for (let i = 0; i < plan.length; i++) {
          const value = row[i];
          if (value === null || value === undefined) appender.appendNull();
          else plan[i]!.append(appender, value);
        }
        appender.endRow();
      }
      appender.closeSync();
      const select = [
        ...columns.map((c, i) => {
          const name = d.quote(c.name);
          if (plan[i] === asEpochMillis) return `epoch_ms(cast(${name} as bigint)) as ${name}`;
          return plan[i] === asText ? `cast(${name} as ${c.type}) as ${name}` : name;
        }),
        ...constants.map((c) => constant(c)),
      ];
      await connection.run(
        `copy (select ${select.join(', ')} from ${table}) to ${d.string(target)} (format parquet)`,
      );
      await connection.run(`drop table ${table}`);
      return await countParquet(connection, target);
    } finally {
      connection.closeSync();
    }
  }

  /**
   * Text files are checked first ({@link checkLandingText}), then read with the dialect fixed and
   * every column as text, so that DuckDB guesses nothing: a CSV is comma-separated with a header
   * (its names from the check), and a JSON value is read as is (a string without its quotes, an
   * object or array as its JSON text), whatever type the other rows give the same key.
   */
  async convertFile(request: ConvertFileRequest): Promise<ConvertFileResult> {
    const source = this.store.path(request.sourceKey);
    const target = this.store.path(request.targetKey);
    const refused = (problem: string): ConvertFileResult => ({
      ok: false,
      reason: `cannot be read as ${request.format}: ${problem}`,
    });
    let header: readonly string[] | undefined;
    if (request.format !== 'parquet') {
      try {
        header = (await checkLandingText(fileChunks(source, request.gzip), request.format)).header;
      } catch (error) {
        const problem = landingTextProblem(error);
        if (problem === undefined) throw error;
        return refused(problem);
      }
    }
    const connection = await this.instance.connect();
    try {
      let fileColumns: string[];
      if (header) fileColumns = [...header];
      else {
        try {
          const described = await connection.runAndReadAll(
            `describe select * from ${readerFor(request.format, source)}`,
          );
          fileColumns = described.getRowObjectsJS().map((r) => String(r.column_name));
        } catch (error) {
          return refused(quoteValue(firstLine(error)));
        }
      }
      if (request.format === 'csv' || request.format === 'parquet') {
        const missing = missingRequired(fileColumns, request.requiredColumns ?? []);
        if (missing) return refused(missing);
      }
      const byLowerName = new Map(fileColumns.map((c) => [c.toLowerCase(), c]));
      const wanted = new Set(request.columns.map((c) => c.name.toLowerCase()));
      const extraColumns = fileColumns.filter((c) => !wanted.has(c.toLowerCase()));
      // JSON keys the contract names are read even where the sample DuckDB describes lacks them;
      // a CSV column without a name (never the contract's) needs one to be read at all.
      const asRead =
        request.format === 'parquet'
          ? fileColumns
          : request.format === 'csv'
            ? fileColumns.map((c, i) => c || `_unnamed_${i + 1}`)
            : [
                ...fileColumns,
                ...request.columns
                  .map((c) => c.name)
                  .filter((c) => !byLowerName.has(c.toLowerCase())),
              ];
      const reader = readerFor(request.format, source, asRead);
      const numbered = `(select *, row_number() over () as _source_row from ${reader})`;
      const expression = (c: ColumnSpec) => {
        const found = byLowerName.get(c.name.toLowerCase());
        return found === undefined ? `cast(null as ${c.type})` : `${d.quote(found)}`;
      };
      try {
        for (const column of request.columns) {
          const value = expression(column);
          const bad = await connection.runAndReadAll(
            `select _source_row, cast(${value} as varchar) as v from ${numbered} where ${value} is not null and try_cast(${value} as ${column.type}) is null limit 1`,
          );
          const [row] = bad.getRowObjectsJson();
          if (row) {
            const line = request.format === 'csv' ? ` (line ${Number(row._source_row) + 1})` : '';
            return {
              ok: false,
              reason: `row ${row._source_row}${line}: column ${column.name}: ${refusedValue(column, String(row.v))} is not a valid ${column.type}`,
            };
          }
        }
      } catch (error) {
        // What the check leaves to the reader is the file's fault; the engine's own failures are not.
        if (!/^(Invalid Input|Conversion) Error/.test(firstLine(error))) throw error;
        return refused(quoteValue(firstLine(error)));
      }
      await mkdir(path.dirname(target), { recursive: true });
      const select = [
        ...request.columns.map((c) => `cast(${expression(c)} as ${c.type}) as ${d.quote(c.name)}`),
        ...request.constants.map((c) => constant(c)),
        '_source_row',
      ];
      const copied = await connection.run(
        `copy (select ${select.join(', ')} from ${numbered}) to ${d.string(target)} (format parquet)`,
      );
      return {
        ok: true,
        read: Number(copied.rowsChanged),
        rows: await countParquet(connection, target),
        extraColumns,
      };
    } finally {
      connection.closeSync();
    }
  }
}

/** Appends batches to the scratch table of {@link DuckDbParquetSink.openColumns}. */
class DuckDbColumnWriter implements ColumnWriter {
  /** Reused for every full chunk: native chunk memory is only released when GC finalizes a chunk. */
  private readonly fullChunk: DuckDBDataChunk;
  private readonly types: DuckDBType[];
  private done = false;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly appender: DuckDBAppender,
    private readonly columns: readonly ColumnSpec[],
    types: readonly DuckDBType[],
    private readonly write: () => Promise<number>,
  ) {
    this.types = [...types];
    this.fullChunk = DuckDBDataChunk.create(this.types, chunkRows);
  }

  async append(batch: ColumnBatch): Promise<void> {
    checkColumnBatch(this.columns, batch);
    for (let start = 0; start < batch.rows; start += chunkRows) {
      const rows = Math.min(chunkRows, batch.rows - start);
      let chunk = this.fullChunk;
      if (rows === chunkRows) {
        chunk.reset();
        chunk.rowCount = chunkRows;
      } else chunk = DuckDBDataChunk.create(this.types, rows);
      batch.columns.forEach((values, c) => {
        const vector = chunk.getColumnVector(c);
        for (let i = 0; i < rows; i++) vector.setItem(i, values[start + i] ?? null);
        vector.flush();
      });
      this.appender.appendDataChunk(chunk);
    }
  }

  async close(): Promise<number> {
    this.done = true;
    try {
      this.appender.closeSync();
      return await this.write();
    } finally {
      this.connection.closeSync();
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.connection.closeSync();
  }
}

/** A landing file's bytes as they are read, through gunzip when compressed. */
function fileChunks(file: string, gzip = false): AsyncIterable<Uint8Array> {
  const bytes = createReadStream(file);
  return gzip ? bytes.pipe(createGunzip()) : bytes;
}

function constant(c: ConstantColumn): string {
  return `cast(${d.string(c.type === 'TIMESTAMP' ? c.value.replace('T', ' ').replace(/Z$/, '') : c.value)} as ${c.type}) as ${d.quote(c.name)}`;
}

/**
 * The reader of a landing file. Given the columns to read, text is read strictly as text: a CSV
 * in RFC 4180's dialect (no sniffing), JSON as records only. Without them, it is read only to
 * learn a JSON file's keys.
 */
function readerFor(
  format: ConvertFileRequest['format'],
  file: string,
  columns?: readonly string[],
): string {
  const asText = columns
    ? `, columns = {${columns.map((c) => `${d.string(c)}: 'VARCHAR'`).join(', ')}}`
    : '';
  switch (format) {
    case 'csv':
      return `read_csv(${d.string(file)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', strict_mode = true${asText})`;
    case 'json':
      return `read_json(${d.string(file)}, format = 'auto', records = true${asText})`;
    case 'jsonl':
      return `read_json(${d.string(file)}, format = 'newline_delimited', records = true${asText})`;
    case 'parquet':
      return `read_parquet(${d.string(file)})`;
  }
}

export async function countParquet(
  connection: DuckDBConnection,
  files: string | readonly string[],
): Promise<number> {
  const list = typeof files === 'string' ? [files] : files;
  if (list.length === 0) return 0;
  const result = await connection.runAndReadAll(
    `select count(*) as n from read_parquet([${list.map((f) => d.string(f)).join(', ')}])`,
  );
  return Number(result.getRows()[0]![0]);
}

function firstLine(error: unknown): string {
  return String((error as Error).message ?? error).split('\n')[0]!;
}
