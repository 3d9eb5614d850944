import { checkColumnBatch } from '../../core/column-batch';
import { PipelineError } from '../../core/errors';
import type {
  ColumnBatch,
  ColumnSpec,
  ColumnWriter,
  ConstantColumn,
  ParquetSink,
} from '../../core/ports';
import { parquetRowCount } from './parquet-footer';
import { ParquetStream } from './parquet-stream';
import {
  constantColumn,
  display,
  invalid,
  parquetBytes,
  parquetType,
  rowGroupRows,
  type ParquetType,
} from './parquet-values';
import type { S3ObjectStore } from './s3-object-store';

/**
 * Bronze Parquet writer for Lambda, with hyparquet-writer: `writeRows` builds an object in memory
 * (REST batches are at most 50k rows); `openColumns` streams one a row group at a time into an
 * upload, so an object of many batches never sits whole in memory. Physical types match what
 * DuckDB writes locally, so bronze objects read the same whichever runtime wrote them.
 */
export class S3ParquetSink implements ParquetSink {
  constructor(private readonly store: S3ObjectStore) {}

  async openColumns(
    key: string,
    columns: readonly ColumnSpec[],
    constants: readonly ConstantColumn[] = [],
  ): Promise<ColumnWriter> {
    const types = columns.map((c) => parquetType(c.type));
    const output = new ParquetStream([
      ...columns.map((c, i) => ({ name: c.name, type: types[i]! })),
      ...constants.map((c) => ({ name: c.name, type: parquetType(c.type) })),
    ]);
    const uploaded = this.store.upload(key, output.body);
    // When S3 gives up, writing stops too, rather than waiting on a stream nobody reads.
    uploaded.catch((error: Error) => output.abort(error));
    return new S3ColumnWriter(key, columns, types, constants, output, uploaded, () =>
      parquetRowCount(this.store, key),
    );
  }

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

/** Casts appended batches into row groups of DuckDB's size and writes each as soon as it is full. */
class S3ColumnWriter implements ColumnWriter {
  private group: unknown[][];
  private rows = 0;

  constructor(
    private readonly key: string,
    private readonly columns: readonly ColumnSpec[],
    private readonly types: readonly ParquetType[],
    private readonly constants: readonly ConstantColumn[],
    private readonly output: ParquetStream,
    private readonly uploaded: Promise<void>,
    private readonly count: () => Promise<number>,
  ) {
    this.group = columns.map(() => []);
  }

  async append(batch: ColumnBatch): Promise<void> {
    checkColumnBatch(this.columns, batch);
    for (let row = 0; row < batch.rows; row++) {
      for (let c = 0; c < this.columns.length; c++) {
        const value = batch.columns[c]![row];
        if (value === null || value === undefined) {
          this.group[c]!.push(null);
          continue;
        }
        const cast = this.types[c]!.cast(value, { epochMillis: true });
        if (cast === invalid) {
          const column = this.columns[c]!;
          throw new PipelineError(
            `Cannot write ${this.key}: row ${this.rows + 1}: column ${column.name}: ${display(value)} is not a valid ${column.type}`,
          );
        }
        this.group[c]!.push(cast);
      }
      this.rows++;
      if (this.group[0]!.length === rowGroupRows) await this.writeGroup();
    }
  }

  async close(): Promise<number> {
    await this.writeGroup();
    await this.output.end();
    await this.uploaded;
    return this.count();
  }

  async abort(): Promise<void> {
    this.output.abort(new PipelineError(`The write of ${this.key} was given up`));
    await this.uploaded.catch(() => undefined);
  }

  private async writeGroup(): Promise<void> {
    const rows = this.group[0]?.length ?? 0;
    await this.output.writeRowGroup([
      ...this.columns.map((c, i) => ({ name: c.name, type: this.types[i]!, data: this.group[i]! })),
      ...this.constants.map((c) => constantColumn(c, rows)),
    ]);
    this.group = this.columns.map(() => []);
  }
}
