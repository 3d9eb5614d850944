import { parquetMetadata } from 'hyparquet';
import { PipelineError } from '../../core/errors';
import type { S3ObjectStore } from './s3-object-store';

/** Enough of the object's end to hold the footer of any bronze object: one GET, usually. */
const footerProbeBytes = 64 * 1024;

/**
 * Rows in a Parquet object, from its footer: a suffix-range GET of the last 64 KiB (a second
 * ranged GET only when the footer is larger), never the whole object, which for a warehouse
 * export can be hundreds of MB.
 */
export async function parquetRowCount(store: S3ObjectStore, key: string): Promise<number> {
  const { bytes, size } = await store.getTail(key, footerProbeBytes);
  if (bytes.length < 12 || bytes.toString('latin1', bytes.length - 4) !== 'PAR1') {
    throw new PipelineError(`${store.uri(key)} is not a Parquet object: it has no PAR1 footer`);
  }
  const footerLength = bytes.readUInt32LE(bytes.length - 8) + 8;
  if (footerLength > size) {
    throw new PipelineError(
      `${store.uri(key)} is not a valid Parquet object: its footer claims ${footerLength} of ${size} bytes`,
    );
  }
  const footer =
    footerLength <= bytes.length ? bytes : await store.getRange(key, size - footerLength, size - 1);
  try {
    return Number(parquetMetadata(footer).num_rows);
  } catch (error) {
    throw new PipelineError(
      `Cannot read the Parquet footer of ${store.uri(key)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Marks a value that does not cast to a column's type. */
/**
 * What a warehouse export (UNLOAD, COPY INTO) wrote under `<keyPrefix>-`: its Parquet keys and the
 * rows their footers hold. An export of no rows keeps no objects, whatever the warehouse left.
 */
export async function readBackExport(
  store: S3ObjectStore,
  keyPrefix: string,
  selected: number,
): Promise<{ keys: string[]; rows: number }> {
  const objects = await store.listObjects(`${keyPrefix}-`);
  if (selected === 0) {
    await Promise.all(objects.map((o) => store.delete(o.key)));
    return { keys: [], rows: 0 };
  }
  const keys = objects.map((o) => o.key).filter((k) => k.endsWith('.parquet'));
  const counts = await Promise.all(keys.map((k) => parquetRowCount(store, k)));
  return { keys, rows: counts.reduce((a, b) => a + b, 0) };
}
