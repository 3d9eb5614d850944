import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PipelineError, TransientError } from '../../core/errors';
import type { ObjectStore } from '../../core/ports';

/**
 * Where one layer of the lake (a key's first segment) lives: a bucket name, or a bucket plus
 * `keepPrefix` for layers that share a bucket under their own folder (`state/` in the audit
 * bucket). Without `keepPrefix` the segment is dropped, so `bronze/crm/x.parquet` is
 * `s3://<bronze bucket>/crm/x.parquet`, where the Glue tables expect it. At most one layer per
 * bucket may drop its segment.
 */
export type BucketTarget = string | { readonly bucket: string; readonly keepPrefix?: boolean };

/** Lake layer (`landing`, `bronze`, `state`...) → bucket. */
export type BucketMapping = Readonly<Record<string, BucketTarget>>;

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export interface S3ObjectStoreOptions {
  /**
   * Part size of multipart uploads; smaller bodies go up in one PutObject.
   * @default 16 MiB
   */
  readonly uploadPartSizeBytes?: number;
  /**
   * Parts uploaded or copied at once; memory use of an upload is about this times the part size.
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * Part size of multipart copies (objects over 5 GiB, the CopyObject limit).
   * @default 512 MiB
   */
  readonly copyPartSizeBytes?: number;
  /**
   * Where downloads land: Lambda's only writable disk.
   * @default os.tmpdir()
   */
  readonly tempDir?: string;
}

/** CopyObject copies at most 5 GiB; larger objects are copied in parts (UploadPartCopy). */
const copyObjectLimitBytes = 5 * 1024 ** 3;
const mib = 1024 ** 2;

/** The lake on S3: the same keys as the local `.lake/` folder, spread over the platform's buckets. */
export class S3ObjectStore implements ObjectStore {
  private readonly uploadPartSize: number;
  private readonly concurrency: number;
  private readonly copyPartSize: number;
  private readonly tempDir: string;

  constructor(
    private readonly client: S3Client,
    private readonly buckets: BucketMapping,
    options: S3ObjectStoreOptions = {},
  ) {
    this.uploadPartSize = options.uploadPartSizeBytes ?? 16 * mib;
    this.concurrency = options.concurrency ?? 4;
    this.copyPartSize = options.copyPartSizeBytes ?? 512 * mib;
    this.tempDir = options.tempDir ?? tmpdir();
    const unprefixed = Object.entries(buckets).filter(
      ([, t]) => typeof t === 'string' || !t.keepPrefix,
    );
    const aliased = unprefixed.filter(([layer, t]) =>
      unprefixed.some(([other, o]) => other !== layer && bucketOf(o) === bucketOf(t)),
    );
    if (aliased.length > 0) {
      throw new PipelineError(
        `S3ObjectStore: ${aliased.map(([layer]) => layer).join(', ')} share a bucket without keepPrefix, so their keys would collide; give all but one keepPrefix`,
      );
    }
    if (this.copyPartSize < 5 * mib || this.copyPartSize > copyObjectLimitBytes) {
      throw new PipelineError(
        `S3ObjectStore: copyPartSizeBytes must be between 5 MiB and 5 GiB, got ${this.copyPartSize}`,
      );
    }
  }

  /** Bucket and S3 key of a lake key; throws naming the key when its layer has no bucket. */
  locate(lakeKey: string): S3Location {
    const { bucket, key } = this.resolve(lakeKey);
    return { bucket, key };
  }

  /** {@link locate} plus what to put back in front of an S3 key to make it a lake key again. */
  private resolve(lakeKey: string): S3Location & { lakePrefix: string } {
    const slash = lakeKey.indexOf('/');
    const layer = slash < 0 ? lakeKey : lakeKey.slice(0, slash);
    const target = this.buckets[layer];
    if (target === undefined) {
      throw new PipelineError(
        `No bucket is mapped for '${layer}/' (key ${lakeKey}); mapped: ${Object.keys(this.buckets).join(', ')}`,
      );
    }
    const { bucket, keepPrefix = false } = typeof target === 'string' ? { bucket: target } : target;
    return keepPrefix
      ? { bucket, key: lakeKey, lakePrefix: '' }
      : { bucket, key: lakeKey.slice(layer.length + 1), lakePrefix: `${layer}/` };
  }

  /** `s3://bucket/key` of a lake key, for statements that address S3 themselves (UNLOAD). */
  uri(lakeKey: string): string {
    const { bucket, key } = this.locate(lakeKey);
    return `s3://${bucket}/${key}`;
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.listObjects(prefix)).map((o) => o.key);
  }

  /** Lake keys and sizes under a prefix, sorted; folder markers (`x/`) are left out. */
  async listObjects(prefix: string): Promise<{ key: string; size: number }[]> {
    const where = this.resolve(prefix);
    const objects: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', where, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: where.bucket,
            Prefix: where.key,
            ContinuationToken: token,
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || object.Key.endsWith('/')) continue;
        objects.push({ key: `${where.lakePrefix}${object.Key}`, size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async getText(key: string): Promise<string | undefined> {
    const where = this.locate(key);
    const object = await this.call('GetObject', where, async () => {
      try {
        return await this.client.send(
          new GetObjectCommand({ Bucket: where.bucket, Key: where.key }),
        );
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
    return object?.Body?.transformToString('utf-8');
  }

  /** One PutObject: S3 makes it visible whole or not at all. */
  async putText(key: string, text: string): Promise<void> {
    const where = this.locate(key);
    await this.call('PutObject', where, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: where.bucket,
          Key: where.key,
          Body: text,
          ContentType: contentType(key),
        }),
      ),
    );
  }

  /** S3 has no rename: copy (in parts above 5 GiB), then delete the source. */
  async move(fromKey: string, toKey: string): Promise<void> {
    const from = this.locate(fromKey);
    const to = this.locate(toKey);
    const source = await this.head(fromKey);
    if (source === undefined) {
      throw new PipelineError(
        `Cannot move s3://${from.bucket}/${from.key}: there is no such object`,
      );
    }
    if (source.size > copyObjectLimitBytes) {
      await this.copyInParts(from, to, source);
    } else {
      await this.call('CopyObject', to, () =>
        this.client.send(
          new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: copySource(from) }),
        ),
      );
    }
    await this.call('DeleteObject', from, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: from.bucket, Key: from.key })),
    );
  }

  async delete(key: string): Promise<void> {
    const where = this.locate(key);
    await this.call('DeleteObject', where, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: where.bucket, Key: where.key })),
    );
  }

  /** The ETag: S3 computes it on write, so recognising a file dropped twice costs one HEAD. */
  async hash(key: string): Promise<string> {
    const object = await this.head(key);
    if (object === undefined) {
      const where = this.locate(key);
      throw new PipelineError(
        `Cannot hash s3://${where.bucket}/${where.key}: there is no such object`,
      );
    }
    return object.etag;
  }

  /** Size, ETag and content type of an object, or undefined when there is none. */
  async head(
    key: string,
  ): Promise<{ size: number; etag: string; contentType: string | undefined } | undefined> {
    const where = this.locate(key);
    const head = await this.call('HeadObject', where, async () => {
      try {
        return await this.client.send(
          new HeadObjectCommand({ Bucket: where.bucket, Key: where.key }),
        );
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
    if (head === undefined) return undefined;
    return {
      size: head.ContentLength ?? 0,
      etag: (head.ETag ?? '').replaceAll('"', ''),
      contentType: head.ContentType,
    };
  }

  /**
   * Uploads a body of any size: lib-storage sends one PutObject below the part size and a
   * multipart upload (parts in parallel, aborted on failure) above it.
   */
  async upload(key: string, body: Buffer | Readable, type = contentType(key)): Promise<void> {
    const where = this.locate(key);
    await this.call('Upload', where, () =>
      new Upload({
        client: this.client,
        params: { Bucket: where.bucket, Key: where.key, Body: body, ContentType: type },
        partSize: this.uploadPartSize,
        queueSize: this.concurrency,
        leavePartsOnError: false,
      }).done(),
    );
  }

  /** The whole object in memory; for objects a Lambda can hold (landing files, small results). */
  async getBytes(key: string): Promise<Buffer> {
    const where = this.locate(key);
    const object = await this.call('GetObject', where, () =>
      this.client.send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key })),
    );
    return Buffer.from(await requireBody(object.Body, where).transformToByteArray());
  }

  /** The object as a stream, for parsers that need not hold it whole (csv, jsonl). */
  async getStream(key: string): Promise<Readable> {
    const where = this.locate(key);
    const object = await this.call('GetObject', where, () =>
      this.client.send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key })),
    );
    return requireBody(object.Body, where) as unknown as Readable;
  }

  /**
   * The last `length` bytes (S3 suffix range) and the object's size: one GET reads a Parquet
   * footer without knowing the size first.
   */
  async getTail(key: string, length: number): Promise<{ bytes: Buffer; size: number }> {
    const where = this.locate(key);
    const object = await this.call('GetObject', where, () =>
      this.client.send(
        new GetObjectCommand({ Bucket: where.bucket, Key: where.key, Range: `bytes=-${length}` }),
      ),
    );
    const bytes = Buffer.from(await requireBody(object.Body, where).transformToByteArray());
    const total = /\/(\d+)$/.exec(object.ContentRange ?? '')?.[1];
    return { bytes, size: total === undefined ? bytes.length : Number(total) };
  }

  /** Bytes `start` to `end` inclusive (an HTTP range). */
  async getRange(key: string, start: number, end: number): Promise<Buffer> {
    const where = this.locate(key);
    const object = await this.call('GetObject', where, () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: where.bucket,
          Key: where.key,
          Range: `bytes=${start}-${end}`,
        }),
      ),
    );
    return Buffer.from(await requireBody(object.Body, where).transformToByteArray());
  }

  /**
   * Streams the object to a new file under the temp dir (`/tmp` on Lambda), for readers that
   * need random access; the caller removes it.
   */
  async downloadToFile(key: string): Promise<string> {
    const file = path.join(this.tempDir, `medallion-${randomUUID()}-${path.basename(key)}`);
    try {
      await pipeline(await this.getStream(key), createWriteStream(file));
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    return file;
  }

  private async copyInParts(
    from: S3Location,
    to: S3Location,
    source: { size: number; contentType: string | undefined },
  ): Promise<void> {
    const created = await this.call('CreateMultipartUpload', to, () =>
      this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: to.bucket,
          Key: to.key,
          ContentType: source.contentType,
        }),
      ),
    );
    const uploadId = created.UploadId!;
    const partCount = Math.ceil(source.size / this.copyPartSize);
    const parts: CompletedPart[] = [];
    try {
      let next = 1;
      const worker = async () => {
        while (next <= partCount) {
          const partNumber = next++;
          const start = (partNumber - 1) * this.copyPartSize;
          const end = Math.min(start + this.copyPartSize, source.size) - 1;
          const copied = await this.call('UploadPartCopy', to, () =>
            this.client.send(
              new UploadPartCopyCommand({
                Bucket: to.bucket,
                Key: to.key,
                UploadId: uploadId,
                PartNumber: partNumber,
                CopySource: copySource(from),
                CopySourceRange: `bytes=${start}-${end}`,
              }),
            ),
          );
          parts.push({ PartNumber: partNumber, ETag: copied.CopyPartResult?.ETag });
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, partCount) }, worker));
      await this.call('CompleteMultipartUpload', to, () =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: to.bucket,
            Key: to.key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.sort((a, b) => a.PartNumber! - b.PartNumber!) },
          }),
        ),
      );
    } catch (error) {
      await this.client
        .send(
          new AbortMultipartUploadCommand({ Bucket: to.bucket, Key: to.key, UploadId: uploadId }),
        )
        // The bucket's lifecycle rule aborts what this could not (abortIncompleteMultipartUploadDays).
        .catch(() => undefined);
      throw error;
    }
  }

  /** Runs one S3 call, turning its failure into a platform error that names the call and object. */
  private async call<T>(operation: string, where: S3Location, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof PipelineError) throw error;
      const message = `S3 ${operation} s3://${where.bucket}/${where.key} failed: ${(error as Error).message}`;
      throw isTransient(error)
        ? new TransientError(message, { cause: error })
        : new PipelineError(message, { cause: error });
    }
  }
}

interface AwsErrorShape {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function bucketOf(target: BucketTarget): string {
  return typeof target === 'string' ? target : target.bucket;
}

function isNotFound(error: unknown): boolean {
  const e = error as AwsErrorShape;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

const transientNames = new Set([
  'SlowDown',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'ServiceUnavailable',
  'InternalError',
]);

/** Throttling and server-side failures that the SDK's own retries did not outlast. */
function isTransient(error: unknown): boolean {
  const e = error as AwsErrorShape;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    transientNames.has(e.name ?? '') ||
    e.$retryable !== undefined ||
    status === 429 ||
    status >= 500
  );
}

/** `CopySource` is `bucket/key` with the key URL-encoded (slashes kept). */
function copySource(from: S3Location): string {
  return `${from.bucket}/${encodeURIComponent(from.key).replaceAll('%2F', '/')}`;
}

function requireBody<T>(body: T | undefined, where: S3Location): T {
  if (body === undefined) {
    throw new PipelineError(`S3 GetObject s3://${where.bucket}/${where.key} returned no body`);
  }
  return body;
}

const contentTypes: Record<string, string> = {
  json: 'application/json',
  jsonl: 'application/x-ndjson',
  csv: 'text/csv',
  parquet: 'application/vnd.apache.parquet',
};

function contentType(key: string): string {
  return contentTypes[key.split('.').pop()!.toLowerCase()] ?? 'text/plain; charset=utf-8';
}
