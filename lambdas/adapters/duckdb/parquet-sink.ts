import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type {
  ColumnSpec,
  ConstantColumn,
  ConvertFileRequest,
  ConvertFileResult,
  LandingConverter,
  ParquetSink,
} from '../../core/ports';
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

let scratchTables = 0;

/** Bronze Parquet writer on an in-process DuckDB; one connection per write so writes can overlap. */
export class DuckDbParquetSink implements ParquetSink, LandingConverter {
  constructor(
    private readonly instance: DuckDBInstance,
    private readonly store: FsObjectStore,
  ) {}

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

  async convertFile(request: ConvertFileRequest): Promise<ConvertFileResult> {
    const source = this.store.path(request.sourceKey);
    const target = this.store.path(request.targetKey);
    const connection = await this.instance.connect();
    try {
      const reader = readerFor(request.format, source);
      let fileColumns: string[];
      try {
        const described = await connection.runAndReadAll(`describe select * from ${reader}`);
        fileColumns = described.getRowObjectsJS().map((r) => String(r.column_name));
      } catch (error) {
        return { ok: false, reason: `cannot be read as ${request.format}: ${firstLine(error)}` };
      }
      const byLowerName = new Map(fileColumns.map((c) => [c.toLowerCase(), c]));
      const wanted = new Set(request.columns.map((c) => c.name.toLowerCase()));
      const extraColumns = fileColumns.filter((c) => !wanted.has(c.toLowerCase()));
      const numbered = `(select *, row_number() over () as _source_row from ${reader})`;
      const expression = (c: ColumnSpec) => {
        const found = byLowerName.get(c.name.toLowerCase());
        return found === undefined ? `cast(null as ${c.type})` : `${d.quote(found)}`;
      };
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
            reason: `row ${row._source_row}${line}: column ${column.name}: '${row.v}' is not a valid ${column.type}`,
          };
        }
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

function constant(c: ConstantColumn): string {
  return `cast(${d.string(c.type === 'TIMESTAMP' ? c.value.replace('T', ' ').replace(/Z$/, '') : c.value)} as ${c.type}) as ${d.quote(c.name)}`;
}

function readerFor(format: ConvertFileRequest['format'], file: string): string {
  switch (format) {
    case 'csv':
      return `read_csv(${d.string(file)}, header = true, all_varchar = true)`;
    case 'json':
      return `read_json(${d.string(file)}, format = 'auto')`;
    case 'jsonl':
      return `read_json(${d.string(file)}, format = 'newline_delimited')`;
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
