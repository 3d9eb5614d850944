import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { PipelineError } from '../../core/errors';
import type { WarehouseClient, WarehouseExport, WarehouseExportResult } from '../../core/ports';
import type { FsObjectStore } from '../local/object-store';
import { duckdbDialect as d } from './dialect';
import { countParquet } from './parquet-sink';

/** Parquet objects a single export may write before DuckDB starts the next one. */
const objectSize = '256MB';

/**
 * The local stand-in for Snowflake and Redshift: a DuckDB file, attached read-only, queried with
 * the same incremental SQL, and exported with `COPY ... TO` the way the real connectors use
 * `COPY INTO @stage` and `UNLOAD`.
 */
export class DuckDbWarehouseClient implements WarehouseClient {
  /** DuckDB's physical row id: unique per row of the table, and free. */
  readonly rowNumberExpression = 'rowid';

  columnType(portableType: string): string {
    return portableType;
  }

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly databaseFile: string,
    private readonly store: FsObjectStore,
  ) {}

  async exportQuery(request: WarehouseExport): Promise<WarehouseExportResult> {
    if (!existsSync(this.databaseFile)) {
      throw new PipelineError(
        `The warehouse stand-in ${this.databaseFile} does not exist: run \`medallion generate\` first.`,
      );
    }
    const connection = await this.instance.connect();
    const alias = `warehouse_${path.basename(this.databaseFile, '.duckdb').replace(/\W/g, '_')}`;
    try {
      await connection.run(
        `attach if not exists ${d.string(this.databaseFile)} as ${alias} (read_only); use ${alias};`,
      );
      const prefix = this.store.path(request.keyPrefix);
      const folder = path.dirname(prefix);
      const base = path.basename(prefix);
      await mkdir(folder, { recursive: true });
      const copied = await connection.run(
        `copy (${request.sql})
         to ${d.string(folder)} (format parquet, filename_pattern ${d.string(`${base}-{i}`)}, file_size_bytes ${d.string(objectSize)}, overwrite_or_ignore true)`,
      );
      const selected = Number(copied.rowsChanged);
      const files = (await readdir(folder))
        .filter((f) => f.startsWith(`${base}-`) && f.endsWith('.parquet'))
        .map((f) => path.join(folder, f));
      if (selected === 0) {
        await Promise.all(files.map((f) => rm(f, { force: true })));
        return { keys: [], selected, rows: 0, maxWatermark: null };
      }
      const rows = await countParquet(connection, files);
      const watermark = await connection.runAndReadAll(
        `select cast(max(${d.quote(request.watermarkColumn)}) as varchar) from read_parquet([${files.map((f) => d.string(f)).join(', ')}])`,
      );
      const keys = files.map(
        (f) =>
          `${request.keyPrefix.slice(0, request.keyPrefix.length - base.length)}${path.basename(f)}`,
      );
      return {
        keys: keys.sort(),
        selected,
        rows,
        maxWatermark: (watermark.getRows()[0]![0] as string | null) ?? null,
      };
    } catch (error) {
      if (error instanceof PipelineError) throw error;
      throw new PipelineError(
        `Export from ${path.basename(this.databaseFile)} failed: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      connection.closeSync();
    }
  }
}
