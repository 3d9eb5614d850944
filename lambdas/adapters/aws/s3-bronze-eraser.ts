import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { brotliDecompressSync, gunzipSync, zstdDecompressSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects, type Compressors } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { PipelineError } from '../../core/errors';
import { rowGroupRows } from './parquet-values';
import { objectVersionPages } from './s3-versions';

type WriteSchema = NonNullable<Parameters<typeof parquetWriteBuffer>[0]['schema']>;

/** A bronze object's bucket and key, from the `s3://bucket/key` Athena's `"$path"` gives. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new PipelineError(`Not an S3 object URI: ${uri}`);
  return { bucket: match[1]!, key: match[2]! };
}

/** Codecs beyond hyparquet's built-in Snappy (a landing file may use any), from node:zlib. */
const decompressors: Compressors = {
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
  ZSTD: (input) => zstdDecompressSync(input),
};

/**
 * A Parquet file without the rows `isSubject` picks: read whole, written again with its own
 * schema. Values are read raw (timestamps as their integer count, dates as day numbers, text as
 * text), so the kept rows are the same values. No body when no row is left.
 */
export async function parquetWithout(
  bytes: Uint8Array,
  isSubject: (row: Readonly<Record<string, unknown>>) => boolean,
): Promise<{ rowsRemoved: number; body?: Uint8Array }> {
  const file = new Uint8Array(bytes).buffer;
  const metadata = parquetMetadata(file);
  const rows = await parquetReadObjects({
    file,
    metadata,
    utf8: true,
    compressors: decompressors,
    parsers: {
      timestampFromMilliseconds: (v) => v,
      timestampFromMicroseconds: (v) => v,
      timestampFromNanoseconds: (v) => v,
      dateFromDays: (v) => v,
    },
  });
  const kept = rows.filter((row) => !isSubject(row));
  const rowsRemoved = rows.length - kept.length;
  if (rowsRemoved === 0 || kept.length === 0) return { rowsRemoved };
  const columns = metadata.schema.slice(1).map((e) => e.name);
  const body = parquetWriteBuffer({
    columnData: columns.map((name) => ({ name, data: kept.map((r) => r[name] ?? null) })),
    // hyparquet-writer bundles its own hyparquet, whose SchemaElement type lacks a few logical
    // types no bronze column has.
    schema: metadata.schema as WriteSchema,
    rowGroupSize: rowGroupRows,
  });
  return { rowsRemoved, body: new Uint8Array(body) };
}

/** What erasing from one bronze object did. */
export interface ObjectErasure {
  readonly uri: string;
  readonly rowsRemoved: number;
  /** The object is gone: every row of it was the subject's. */
  readonly deleted: boolean;
  /** Earlier versions (and delete markers) removed from the versioned bucket. */
  readonly versionsRemoved: number;
}

/**
 * Takes a data subject's rows out of bronze Parquet objects on a versioned bucket: each object is
 * read whole (bronze objects are one batch, at most ~50k rows), written again without the rows
 * under the same key, and every noncurrent version of the key is deleted, since a version is a
 * full copy of the old object. An object left with no rows goes with all its versions.
 */
export class S3BronzeEraser {
  constructor(private readonly s3: S3Client) {}

  async erase(
    uri: string,
    isSubject: (row: Readonly<Record<string, unknown>>) => boolean,
  ): Promise<ObjectErasure> {
    const { bucket, key } = parseS3Uri(uri);
    const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!object.Body) throw new PipelineError(`${uri}: GetObject returned no body`);
    const rewritten = await parquetWithout(await object.Body.transformToByteArray(), isSubject);
    const { rowsRemoved } = rewritten;
    if (rowsRemoved === 0) return { uri, rowsRemoved, deleted: false, versionsRemoved: 0 };
    if (rewritten.body)
      await this.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: rewritten.body,
          ContentType: 'application/vnd.apache.parquet',
        }),
      );
    const versionsRemoved = await this.deleteVersions(bucket, key, rewritten.body !== undefined);
    return { uri, rowsRemoved, deleted: rewritten.body === undefined, versionsRemoved };
  }

  /**
   * Deletes the versions of one key, every page of them: the noncurrent ones, and the current one
   * too unless `keepLatest`. Versions of other keys sharing the prefix are left alone.
   */
  private async deleteVersions(bucket: string, key: string, keepLatest: boolean): Promise<number> {
    let removed = 0;
    for await (const page of objectVersionPages(this.s3, bucket, key)) {
      const versions = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].filter(
        (v) => v.Key === key && v.VersionId !== undefined && !(keepLatest && v.IsLatest),
      );
      for (const v of versions) {
        await this.s3.send(
          new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: v.VersionId }),
        );
        removed += 1;
      }
    }
    return removed;
  }
}
