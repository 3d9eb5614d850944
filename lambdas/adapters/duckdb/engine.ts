import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection } from '@duckdb/node-api';
import { auditTables } from '../../core/audit';
import { lineageEventColumns } from '../../core/lineage/log';
import type { Contract } from '../../core/contracts/contract';
import { bronzeMetadataColumns } from '../../core/ingest/bronze';
import { PipelineError } from '../../core/errors';
import type { LakeSchema } from '../../core/aws-names';
import type { CatalogEntry, TableInventory } from '../../core/maintenance';
import type { ColumnSpec, Row, SqlDialect, SqlEngine } from '../../core/ports';
import { withoutKeys } from '../../core/privacy/operators';
import { duckdbDialect, freshId, versionedDuckdbDialect } from './dialect';

export interface DuckDbSettings {
  readonly threads: number;
  readonly memoryLimit: string;
}

export interface LakehouseOptions extends DuckDbSettings {
  readonly lakeRoot: string;
  /** Bronze contracts: each becomes a view over its Parquet objects. */
  readonly bronze: readonly Contract[];
  /** Open for reading only (the `query` and `status` commands). */
  readonly readOnly?: boolean;
  /**
   * Publish `table` models as Athena does, as views over versions (see `versionedDuckdbDialect`),
   * given the models MERGEd into. Without it a replaced table is replaced in place.
   */
  readonly mergeTargets?: readonly string[];
  /**
   * In-memory catalog holding the bronze views. @default 'bronze'. A persona session names it
   * otherwise, so its own `bronze` schema is not ambiguous with the catalog.
   */
  readonly bronzeCatalog?: string;
}

/**
 * Schemas of the lakehouse file and the audit tables every run writes, described as declared. A
 * lake made before a column was declared gets it added (as the AWS audit tables do).
 */
const bootstrap = [
  ...['silver', 'gold', 'quarantine', 'audit', 'changelog', 'seeds'].map(
    (schema) => `create schema if not exists ${schema};`,
  ),
  ...Object.entries(auditTables).map(
    ([name, { columns, description }]) =>
      `create table if not exists audit.${name} (${columns.map(([column, type]) => `${column} ${type}`).join(', ')});
       ${columns.map(([column, type]) => `alter table audit.${name} add column if not exists ${column} ${type};`).join('\n')}
       comment on table audit.${name} is ${duckdbDialect.string(description)};`,
  ),
].join('\n');

/** Opens an in-process DuckDB with the given settings; `temp` is where it spills. */
export async function openDuckDb(
  settings: DuckDbSettings,
  temp: string,
  preserveOrder = false,
): Promise<DuckDBInstance> {
  mkdirSync(temp, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(settings.threads),
    memory_limit: settings.memoryLimit,
    temp_directory: temp,
    autoinstall_known_extensions: 'false',
    preserve_insertion_order: String(preserveOrder),
    // Deletes stay as marks until maintenance compacts the table, as Iceberg's delete files do on
    // AWS. DuckDB's vacuum would otherwise merge row groups at whichever checkpoint finds enough
    // deleted rows: an upsert's checkpoint then rewrote most of silver.orders (0.6-0.9 s at 10M)
    // on some days and not others.
    max_vacuum_tasks: '0',
  });
  const connection = await instance.connect();
  await connection.run(`set global TimeZone = 'UTC'`);
  connection.closeSync();
  return instance;
}

/**
 * The local lakehouse: silver, gold, quarantine, audit and change feeds in one DuckDB file
 * (`<lake>/lakehouse.duckdb`), bronze as views over the Parquet objects under `<lake>/bronze/`.
 */
export class DuckDbLakehouse implements SqlEngine, TableInventory {
  readonly dialect: SqlDialect;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly options: LakehouseOptions,
  ) {
    this.dialect = options.mergeTargets
      ? versionedDuckdbDialect(options.mergeTargets)
      : duckdbDialect;
  }

  static async open(options: LakehouseOptions): Promise<DuckDbLakehouse> {
    const file = path.join(options.lakeRoot, 'lakehouse.duckdb');
    if (options.readOnly && !existsSync(file)) {
      throw new PipelineError(
        `No lakehouse at ${file} yet: run a pipeline first (npm run pipeline).`,
      );
    }
    const instance = await openDuckDb(options, path.join(options.lakeRoot, '_tmp'));
    const connection = await instance.connect();
    try {
      await connection.run(
        `attach ${duckdbDialect.string(file)} as lake ${options.readOnly ? '(read_only)' : ''}`,
      );
    } catch (error) {
      instance.closeSync();
      throw new PipelineError(`Cannot open ${file}: ${(error as Error).message}`, { cause: error });
    }
    await connection.run(`attach ':memory:' as ${options.bronzeCatalog ?? 'bronze'}; use lake;`);
    const lakehouse = new DuckDbLakehouse(instance, connection, options);
    if (!options.readOnly) await connection.run(bootstrap);
    if (!options.readOnly && options.mergeTargets)
      await lakehouse.adoptVersions(options.mergeTargets);
    await lakehouse.refreshSources();
    return lakehouse;
  }

  get bronzeCatalog(): string {
    return this.options.bronzeCatalog ?? 'bronze';
  }

  /** Every table and view a query can name (`<schema>.<table>`, bronze included), with its columns. */
  async columns(): Promise<{ relation: string; columns: string[] }[]> {
    const rows = await this.query<{ relation: string; columns: string[] }>(
      `select (case when table_catalog = 'lake' then table_schema else 'bronze' end) || '.' || table_name as relation,
          list(column_name order by ordinal_position) as columns
        from information_schema.columns
        where table_catalog = 'lake' or (table_catalog = ${duckdbDialect.string(this.bronzeCatalog)} and table_schema = 'main')
        group by all order by 1`,
    );
    return rows;
  }

  async execute(sql: string): Promise<number> {
    const result = await this.run(sql, () => this.connection.run(sql));
    return Number(result.rowsChanged);
  }

  async query<T extends Row = Row>(sql: string): Promise<T[]> {
    const reader = await this.run(sql, () => this.connection.runAndReadAll(sql));
    const types = reader.columnTypes();
    const names = reader.columnNames();
    const numeric = names.filter((_, i) => wideNumericTypes.has(types[i]!.typeId));
    return reader.getRowObjectsJson().map((row) => {
      for (const name of numeric) {
        const value = row[name];
        if (typeof value === 'string' && Number.isSafeInteger(Number(value.split('.')[0])))
          row[name] = Number(value);
      }
      return row as T;
    });
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.connection.run('begin transaction');
    try {
      const result = await work();
      await this.connection.run('commit');
      return result;
    } catch (error) {
      await this.connection.run('rollback');
      throw error;
    }
  }

  async relationExists(relation: string): Promise<boolean> {
    const [schema, name] = relation.split('.') as [string, string];
    const [database, schemaName] =
      schema === 'bronze' ? [this.bronzeCatalog, 'main'] : ['lake', schema];
    const [row] = await this.query<{ n: number }>(
      `select count(*) as n from (
        select table_name as name from duckdb_tables() where database_name = '${database}' and schema_name = '${schemaName}'
        union all select view_name from duckdb_views() where database_name = '${database}' and schema_name = '${schemaName}'
      ) r where name = ${duckdbDialect.string(name)}`,
    );
    return row!.n > 0;
  }

  /**
   * A lakehouse written before `table` models were versioned holds them as plain tables, which a
   * view cannot replace: each becomes its first version, behind a view of its name.
   */
  private async adoptVersions(mergeTargets: readonly string[]): Promise<void> {
    const plain = (await this.entries(['silver', 'gold', 'seeds'])).filter(
      (e) =>
        e.kind === 'table' &&
        !/__v\d{17}_[0-9a-f]{8}$/.test(e.name) &&
        !mergeTargets.includes(`${e.schema}.${e.name}`),
    );
    for (const { schema, name } of plain) {
      const id = freshId();
      await this.transaction(async () => {
        await this.execute(`alter table "${schema}"."${name}" rename to "${name}__v${id}"`);
        await this.execute(
          `create view "${schema}"."${name}" as select * from "${schema}"."${name}__v${id}"`,
        );
      });
    }
  }

  /**
   * The lakehouse file's tables and views (scratch tables are temporary). A table holding delete
   * marks (more rows stored than live: the lakehouse runs without DuckDB's vacuum) is merge-on-read:
   * maintenance compacts it.
   */
  async list(schemas: readonly LakeSchema[]): Promise<CatalogEntry[]> {
    const entries = await this.entries(schemas);
    const tables = entries.filter((e) => e.kind === 'table');
    const marked = new Set<string>();
    if (tables.length > 0) {
      const counts = await this.query<{ relation: string; stored: number; live: number }>(
        tables
          .map(
            (t) =>
              `select ${duckdbDialect.string(`${t.schema}.${t.name}`)} as relation, ${t.stored} as stored, count(*) as live from ${duckdbDialect.relation(`${t.schema}.${t.name}`)}`,
          )
          .join(' union all '),
      );
      for (const c of counts) if (c.stored > c.live) marked.add(c.relation);
    }
    return entries.map(({ stored: _, ...e }) => ({
      ...e,
      mergeOnRead: marked.has(`${e.schema}.${e.name}`),
    }));
  }

  /** The tables and views of `schemas`, with the rows each table stores, deleted ones included. */
  private async entries(
    schemas: readonly LakeSchema[],
  ): Promise<(Omit<CatalogEntry, 'mergeOnRead'> & { stored?: number })[]> {
    if (schemas.length === 0) return [];
    const rows = await this.query<{
      schema: LakeSchema;
      name: string;
      kind: 'table' | 'view';
      sql: string | null;
      stored: number | null;
    }>(
      `select schema_name as schema, table_name as name, 'table' as kind, null as sql, estimated_size as stored
        from duckdb_tables() where database_name = 'lake' and not temporary
      union all select schema_name, view_name, 'view', sql, null from duckdb_views()
        where database_name = 'lake' and not internal and not temporary
      order by 1, 2`,
    );
    return rows
      .filter((r) => schemas.includes(r.schema))
      .map((r) => ({
        schema: r.schema,
        name: r.name,
        kind: r.kind,
        ...(r.stored === null ? {} : { stored: r.stored }),
        ...(r.sql === null ? {} : { viewText: r.sql }),
      }));
  }

  async describe(select: string): Promise<ColumnSpec[]> {
    const rows = await this.query<{ column_name: string; column_type: string }>(
      `describe ${select}`,
    );
    return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
  }

  /** Points each bronze view at its Parquet objects (see {@link bronzeViews}). */
  async refreshSources(): Promise<void> {
    const statements = bronzeViews(this.options.lakeRoot, this.options.bronze, this.bronzeCatalog);
    if (statements.length > 0) await this.connection.run(statements.join('\n'));
    if (!this.options.readOnly) await this.connection.run(this.lineageView());
  }

  /**
   * `audit.lineage_events`: the OpenLineage events under `<lake>/audit/lineage/`, one row each,
   * with the columns of the Glue table over the same objects on AWS. Kept in the lakehouse file,
   * so read-only sessions see it too.
   */
  private lineageView(): string {
    const folder = path.join(this.options.lakeRoot, 'audit', 'lineage');
    const hasEvents =
      existsSync(folder) &&
      readdirSync(folder, { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.json'));
    const columns = lineageEventColumns.map(([name, , key]) => `${key} as ${name}`).join(', ');
    const body = hasEvents
      ? `select ${columns}, dt from read_json(${duckdbDialect.string(`${folder}/*/*/*.json`)}, format = 'newline_delimited', hive_partitioning = true, columns = {${lineageEventColumns.map(([, type, key]) => `${key}: '${type}'`).join(', ')}})`
      : `select ${lineageEventColumns.map(([name, type]) => `cast(null as ${type}) as ${name}`).join(', ')}, cast(null as varchar) as dt where false`;
    return `create or replace view audit.lineage_events as ${body};`;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async run<R>(sql: string, statement: () => Promise<R>): Promise<R> {
    try {
      return await statement();
    } catch (error) {
      // DuckDB's message may quote the statement too; neither may carry the pseudonym key.
      throw new PipelineError(
        withoutKeys(
          `DuckDB: ${(error as Error).message}\n--- while running:\n${sql.trim().slice(0, 2_000)}`,
        ),
        { cause: error },
      );
    }
  }
}

/**
 * The statements pointing each bronze view of `catalog` at its Parquet objects under
 * `<lakeRoot>/bronze/`. A dataset with no objects yet gets a typed, empty view, so models and
 * queries work before the first ingestion.
 */
export function bronzeViews(
  lakeRoot: string,
  bronze: readonly Contract[],
  catalog: string,
): string[] {
  return bronze.map((contract) => {
    const name = contract.relation.split('.')[1]!;
    const [source, ...dataset] = contract.id.split('.');
    const folder = path.join(lakeRoot, 'bronze', source!, dataset.join('.'));
    const hasObjects =
      existsSync(folder) &&
      readdirSync(folder, { withFileTypes: true }).some(
        (d) =>
          d.isDirectory() &&
          readdirSync(path.join(folder, d.name)).some((f) => f.endsWith('.parquet')),
      );
    const body = hasObjects
      ? `select * from read_parquet(${duckdbDialect.string(`${folder}/*/*.parquet`)}, hive_partitioning = true, union_by_name = true)`
      : `select ${[
          ...contract.columns,
          ...bronzeMetadataColumns,
          { name: 'ingest_date', type: 'DATE' },
        ]
          .map((c) => `cast(null as ${c.type}) as ${duckdbDialect.quote(c.name)}`)
          .join(', ')} where false`;
    return `create or replace view ${catalog}.main.${duckdbDialect.quote(name)} as ${body};`;
  });
}

const wideNumericTypes = new Set<number>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.DECIMAL,
]);
