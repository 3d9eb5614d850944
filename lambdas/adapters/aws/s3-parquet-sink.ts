import { PipelineError } from '../../core/errors';
import type { ColumnSpec, ConstantColumn, ParquetSink } from '../../core/ports';
import { parquetRowCount } from './parquet-footer';
import { constantColumn, display, invalid, parquetBytes, parquetType } from './parquet-values';
import type { S3ObjectStore } from './s3-object-store';

/**
 * Bronze Parquet writer for Lambda: builds each object in memory with hyparquet-writer (bronze
 * batches are at most ~50k rows) and uploads it through the object store. Physical types match
 * what DuckDB writes locally, so bronze objects read the same whichever runtime wrote them.
 */
export class S3ParquetSink implements ParquetSink {
  constructor(private readonly store: S3ObjectStore) {}

  async writeRows(
    key: string,
    columns: readonly ColumnSpec[],
    rows: readonly (readonly unknown[])[],
    constants: readonly ConstantColumn[] = [],
  ): Promise<number> {
    const written = columns.map((column, i) => {
      const type = parquetType(column.type);
      const data = rows.map((row, r) => {
        const value = row[i];
        if (value === null || value === undefined) return null;
        const cast = type.cast(value, { epochMillis: true });
        if (cast === invalid) {
          throw new PipelineError(
            `Cannot write ${key}: row ${r + 1}: column ${column.name}: ${display(value)} is not a valid ${column.type}`,
          );
        }
        return cast;
      });
      return { name: column.name, type, data };
    });
    const body = parquetBytes([
      ...written,
      ...constants.map((c) => constantColumn(c, rows.length)),
    ]);
    await this.store.upload(key, body);
    return parquetRowCount(this.store, key);
  }
}
