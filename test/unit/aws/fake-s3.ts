import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

/** Chunks of the size the SDK's HTTP handler tends to deliver. */
function chunked(bytes: Buffer, size = 64 * 1024): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size)
    chunks.push(bytes.subarray(start, start + size));
  return chunks;
}

/**
 * A GetObject body as the SDK returns it in Node: a stream, arriving in chunks, with the
 * `transformTo*` helpers.
 */
export function sdkBody(content: string | Uint8Array): GetObjectCommandOutput['Body'] {
  const bytes = Buffer.from(content);
  return Object.assign(Readable.from(chunked(bytes)), {
    transformToByteArray: async () => new Uint8Array(bytes),
    transformToString: async () => bytes.toString('utf8'),
    transformToWebStream: () => Readable.toWeb(Readable.from([bytes])),
  }) as unknown as GetObjectCommandOutput['Body'];
}

export function s3Client(): S3Client {
  return new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

async function bytesOf(body: unknown): Promise<Buffer> {
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * A mocked S3 that keeps what is put (in one PutObject or in parts) and serves it back (whole, by
 * range, listed), so code that writes an object and reads its footer runs against real bytes.
 * Objects are keyed `bucket/key`; `uploads` holds the multipart uploads neither completed nor
 * aborted.
 */
export function fakeS3() {
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, { object: string; parts: Map<number, Buffer> }>();
  const mock = mockClient(S3Client);
  mock.on(CreateMultipartUploadCommand).callsFake(async (input) => {
    const id = `upload-${uploads.size + 1}`;
    uploads.set(id, { object: `${input.Bucket}/${input.Key}`, parts: new Map() });
    return { UploadId: id };
  });
  mock.on(UploadPartCommand).callsFake(async (input) => {
    uploads.get(input.UploadId)!.parts.set(input.PartNumber, await bytesOf(input.Body));
    return { ETag: `"part-${input.PartNumber}"` };
  });
  mock.on(CompleteMultipartUploadCommand).callsFake(async (input) => {
    const upload = uploads.get(input.UploadId)!;
    const parts = input.MultipartUpload.Parts as { PartNumber: number }[];
    objects.set(upload.object, Buffer.concat(parts.map((p) => upload.parts.get(p.PartNumber)!)));
    uploads.delete(input.UploadId);
    return { ETag: '"complete"' };
  });
  mock.on(AbortMultipartUploadCommand).callsFake(async (input) => {
    uploads.delete(input.UploadId);
    return {};
  });
  const find = (input: { Bucket: string; Key: string }) =>
    objects.get(`${input.Bucket}/${input.Key}`);
  mock.on(PutObjectCommand).callsFake(async (input) => {
    objects.set(`${input.Bucket}/${input.Key}`, await bytesOf(input.Body));
    return { ETag: '"put"' };
  });
  mock.on(HeadObjectCommand).callsFake((input) => {
    const bytes = find(input);
    if (!bytes) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return { ContentLength: bytes.length, ETag: '"etag"' };
  });
  mock.on(GetObjectCommand).callsFake((input) => {
    const bytes = find(input);
    if (!bytes)
      throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    const range = /^bytes=(\d*)-(\d*)$/.exec((input.Range as string | undefined) ?? '');
    if (!range) return { Body: sdkBody(bytes), ContentLength: bytes.length };
    const start = range[1] === '' ? Math.max(0, bytes.length - Number(range[2])) : Number(range[1]);
    const end = range[1] === '' || range[2] === '' ? bytes.length - 1 : Number(range[2]);
    const part = bytes.subarray(start, end + 1);
    return {
      Body: sdkBody(part),
      ContentLength: part.length,
      ContentRange: `bytes ${start}-${end}/${bytes.length}`,
    };
  });
  mock.on(ListObjectsV2Command).callsFake((input) => ({
    Contents: [...objects.entries()]
      .filter(([k]) => k.startsWith(`${input.Bucket}/${input.Prefix ?? ''}`))
      .map(([k, v]) => ({ Key: k.slice(`${input.Bucket}/`.length), Size: v.length })),
    IsTruncated: false,
  }));
  mock.on(DeleteObjectCommand).callsFake((input) => {
    objects.delete(`${input.Bucket}/${input.Key}`);
    return {};
  });
  return { mock, objects, uploads };
}
