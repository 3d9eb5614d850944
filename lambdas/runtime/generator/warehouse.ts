/**
 * Writes the warehouse stand-ins (`snowflake.duckdb`, `redshift.duckdb`) fast and in bounded
 * memory. Rows are appended in data chunks to staging tables whose columns are all cheap to fill
 * from JS (integers, doubles, one-byte codes; timestamps as epoch milliseconds), in a scratch
 * database file that DuckDB can spill. One `INSERT ... SELECT` per table then decodes them into
 * the documented types. Measured at 10M orders, this is several times faster than appending
 * TIMESTAMP/BIGINT/DECIMAL values one by one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  INTEGER,
  UTINYINT,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
} from '@duckdb/node-api';

export type StagedValue = number | string | boolean | null;

/** How a column is staged, and so how it is decoded into its final SQL type. */
export type ColumnEncoding =
  | { readonly kind: 'integer' }
  /** A positive id where `-1` stands for NULL (a NULL would slow the chunk's validity mask down). */
  | { readonly kind: 'optional_id' }
  | { readonly kind: 'number' }
  /** Epoch milliseconds. */
  | { readonly kind: 'timestamp' }
  /** Days since 1970-01-01. */
  | { readonly kind: 'date' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'text' }
  /** Index into `values`. */
  | { readonly kind: 'code'; readonly values: readonly string[] };

export interface ColumnSpec {
  readonly name: string;
  /** The documented type of the column in the stand-in table. */
  readonly sqlType: string;
  readonly encoding: ColumnEncoding;
}

export interface TableSpec {
  /** Attached database (file `<database>.duckdb`). */
  readonly database: string;
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
}

const CHUNK_ROWS = 2048;

function stagedType(encoding: ColumnEncoding): DuckDBType {
  switch (encoding.kind) {
    case 'integer':
    case 'optional_id':
    case 'date':
      return INTEGER;
    case 'number':
    case 'timestamp':
      return DOUBLE;
    case 'boolean':
      return BOOLEAN;
    case 'text':
      return VARCHAR;
    case 'code':
      return UTINYINT;
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function decodeExpression(column: ColumnSpec): string {
  const staged = quoteIdentifier(column.name);
  switch (column.encoding.kind) {
    case 'integer':
    case 'number':
      return `CAST(${staged} AS ${column.sqlType})`;
    case 'optional_id':
      return `CAST(NULLIF(${staged}, -1) AS ${column.sqlType})`;
    case 'timestamp':
      return `epoch_ms(CAST(${staged} AS BIGINT))`;
    case 'date':
      return `CAST(DATE '1970-01-01' + ${staged} AS DATE)`;
    case 'boolean':
    case 'text':
      return staged;
    case 'code':
      return `[${column.encoding.values.map(quoteLiteral).join(', ')}][${staged} + 1]`;
  }
}

/** Rows of one table, buffered per column and appended a data chunk at a time. */
export class StagedTable {
  private readonly buffers: StagedValue[][];
  private readonly types: DuckDBType[];
  /** Reused for every full chunk: native chunk memory is only released when GC finalizes a chunk. */
  private readonly fullChunk: DuckDBDataChunk;
  private buffered = 0;
  /** Rows appended so far. */
  rows = 0;

  constructor(
    readonly spec: TableSpec,
    private readonly appender: DuckDBAppender,
  ) {
    this.types = spec.columns.map((column) => stagedType(column.encoding));
    this.buffers = spec.columns.map(() => new Array<StagedValue>(CHUNK_ROWS).fill(null));
    this.fullChunk = DuckDBDataChunk.create(this.types, CHUNK_ROWS);
  }

  /** Appends one row; `values` follow `spec.columns` and may be reused by the caller. */
  appendRow(values: readonly StagedValue[]): void {
    for (let column = 0; column < values.length; column++) {
      this.buffers[column]![this.buffered] = values[column]!;
    }
    this.buffered++;
    this.rows++;
    if (this.buffered === CHUNK_ROWS) this.flush();
  }

  flush(): void {
    if (this.buffered === 0) return;
    const count = this.buffered;
    let chunk: DuckDBDataChunk;
    if (count === CHUNK_ROWS) {
      chunk = this.fullChunk;
      chunk.reset();
      chunk.rowCount = CHUNK_ROWS;
      chunk.setColumns(this.buffers);
    } else {
      chunk = DuckDBDataChunk.create(this.types, count);
      chunk.setColumns(this.buffers.map((buffer) => buffer.slice(0, count)));
    }
    this.appender.appendDataChunk(chunk);
    this.buffered = 0;
  }

  close(): void {
    this.flush();
    this.appender.closeSync();
  }
}

const STAGING_DATABASE = 'staging';

/** The warehouse files being written, plus the scratch database their rows are staged in. */
export class WarehouseWriter {
  private readonly tables: StagedTable[] = [];
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly databases: readonly string[],
    private readonly stagingFile: string,
  ) {}

  /** Opens `<directory>/<database>.duckdb` for each database (all created fresh). */
  static async open(directory: string, databases: readonly string[]): Promise<WarehouseWriter> {
    const instance = await DuckDBInstance.create(':memory:', {
      threads: '2',
      autoinstall_known_extensions: 'false',
      memory_limit: '1GB',
    });
    const stagingFile = path.join(directory, `.${STAGING_DATABASE}.duckdb`);
    try {
      const connection = await instance.connect();
      for (const database of databases) {
        const file = path.join(directory, `${database}.duckdb`);
        await connection.run(`ATTACH ${quoteLiteral(file)} AS ${quoteIdentifier(database)}`);
      }
      await connection.run(`ATTACH ${quoteLiteral(stagingFile)} AS ${STAGING_DATABASE}`);
      return new WarehouseWriter(instance, connection, databases, stagingFile);
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }

  async createTable(spec: TableSpec): Promise<StagedTable> {
    const stagedColumns = spec.columns.map(
      (column) => `${quoteIdentifier(column.name)} ${stagedType(column.encoding).toString()}`,
    );
    await this.connection.run(
      `CREATE TABLE ${STAGING_DATABASE}.${this.stagingName(spec)} (${stagedColumns.join(', ')})`,
    );
    const appender = await this.connection.createAppender(
      stagingTableName(spec),
      'main',
      STAGING_DATABASE,
    );
    const table = new StagedTable(spec, appender);
    this.tables.push(table);
    return table;
  }

  /** Decodes every staged table into its final table, then closes all files. */
  async finish(): Promise<void> {
    try {
      for (const table of this.tables) {
        table.close();
        const { spec } = table;
        const target = `${quoteIdentifier(spec.database)}.main.${quoteIdentifier(spec.name)}`;
        const definitions = spec.columns.map(
          (column) => `${quoteIdentifier(column.name)} ${column.sqlType}`,
        );
        const decoded = spec.columns.map(
          (column) => `${decodeExpression(column)} AS ${quoteIdentifier(column.name)}`,
        );
        await this.connection.run(`CREATE TABLE ${target} (${definitions.join(', ')})`);
        await this.connection.run(
          `INSERT INTO ${target} SELECT ${decoded.join(', ')} FROM ${STAGING_DATABASE}.${this.stagingName(spec)}`,
        );
        await this.connection.run(`DROP TABLE ${STAGING_DATABASE}.${this.stagingName(spec)}`);
      }
      for (const database of this.databases)
        await this.connection.run(`DETACH ${quoteIdentifier(database)}`);
      await this.connection.run(`DETACH ${STAGING_DATABASE}`);
    } finally {
      this.close();
    }
    fs.rmSync(this.stagingFile, { force: true });
    fs.rmSync(`${this.stagingFile}.wal`, { force: true });
  }

  /** Releases DuckDB without finishing (the caller discards the directory). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private stagingName(spec: TableSpec): string {
    return quoteIdentifier(stagingTableName(spec));
  }
}

function stagingTableName(spec: TableSpec): string {
  return `${spec.database}__${spec.name}`;
}
