/**
 * What a {@link ColumnBatch} holds for each SQL type, checked alike by every Parquet sink so both
 * runtimes accept and refuse the same batches.
 */
import { PipelineError } from './errors';
import type { ColumnBatch, ColumnSpec } from './ports';

/** The typed array a numeric SQL type's values travel in; text for any other type. */
export function columnArray(sqlType: string): typeof Int32Array | typeof Float64Array | undefined {
  switch (sqlType) {
    case 'INTEGER':
      return Int32Array;
    case 'BIGINT':
    case 'DOUBLE':
    case 'TIMESTAMP':
      return Float64Array;
    default:
      return undefined;
  }
}

/** Throws, naming the column, unless the batch has one column of `rows` values of its kind per spec. */
export function checkColumnBatch(columns: readonly ColumnSpec[], batch: ColumnBatch): void {
  if (batch.columns.length !== columns.length) {
    throw new PipelineError(
      `A batch of ${batch.columns.length} columns for an object of ${columns.length}`,
    );
  }
  columns.forEach((column, i) => {
    const values = batch.columns[i]!;
    if (values.length !== batch.rows) {
      throw new PipelineError(
        `Column ${column.name}: ${values.length} values in a batch of ${batch.rows} rows`,
      );
    }
    const array = columnArray(column.type);
    if (array ? !(values instanceof array) : !Array.isArray(values)) {
      throw new PipelineError(
        `Column ${column.name} (${column.type}) takes ${array === Int32Array ? 'an Int32Array' : array ? 'a Float64Array' : 'an array of text'}`,
      );
    }
  });
}
