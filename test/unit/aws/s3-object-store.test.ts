import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../lambdas/adapters/aws/s3-object-store';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import { s3Client, sdkBody } from './fake-s3';
import { s3ObjectStoreIam } from '../../../lambdas/adapters/aws/iam-calls';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const s3 = mockClient(S3Client);
expectDeclaredCommands('S3ObjectStore', s3, s3ObjectStoreIam.actions);
const buckets = {
  landing: 'acme-landing',
  bronze: 'acme-bronze',
  state: { bucket: 'acme-audit', keepPrefix: true },
};
const store = () => new S3ObjectStore(s3Client(), buckets);
const gib = 1024 ** 3;
const mib = 1024 ** 2;

beforeEach(() => {
  s3.reset();
});

describe('S3ObjectStore: keys to buckets', () => {
  it('drops the layer segment, keeps it where asked, and names an unmapped layer', () => {
    const s = store();
    expect(s.locate('bronze/crm/accounts/ingest_date=2026-01-02/r-0.parquet')).toEqual({
      bucket: 'acme-bronze',
      key: 'crm/accounts/ingest_date=2026-01-02/r-0.parquet',
    });
    expect(s.locate('state/ingest/crm/accounts.json')).toEqual({
      bucket: 'acme-audit',
      key: 'state/ingest/crm/accounts.json',
    });
    expect(s.uri('bronze/_staging/x')).toBe('s3://acme-bronze/_staging/x');
    expect(() => s.locate('gold/x.parquet')).toThrow(
      "No bucket is mapped for 'gold/' (key gold/x.parquet); mapped: landing, bronze, state",
    );
  });

  it('refuses two layers that would alias each other in one bucket', () => {
    expect(
      () => new S3ObjectStore(s3Client(), { audit: 'acme-audit', runs: 'acme-audit', ...buckets }),
    ).toThrow(
      'S3ObjectStore: audit, runs share a bucket without keepPrefix, so their keys would collide; give all but one keepPrefix',
    );
    expect(() => new S3ObjectStore(s3Client(), { audit: 'acme-audit', ...buckets })).not.toThrow();
  });
});

describe('S3ObjectStore: reads and writes', () => {
  it('lists every page of ListObjectsV2 as sorted lake keys, without folder markers', async () => {
    s3.on(ListObjectsV2Command, { Bucket: 'acme-landing', Prefix: 'crm/accounts/' })
      .resolvesOnce({
        Contents: [
          { Key: 'crm/accounts/b.csv', Size: 3 },
          { Key: 'crm/accounts/processed/', Size: 0 },
        ],
        IsTruncated: true,
        NextContinuationToken: 'page-2',
      })
      .resolvesOnce({ Contents: [{ Key: 'crm/accounts/a.csv', Size: 5 }], IsTruncated: false });

    expect(await store().list('landing/crm/accounts/')).toEqual([
      'landing/crm/accounts/a.csv',
      'landing/crm/accounts/b.csv',
    ]);
    const calls = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { Bucket: 'acme-landing', Prefix: 'crm/accounts/', ContinuationToken: undefined },
      { Bucket: 'acme-landing', Prefix: 'crm/accounts/', ContinuationToken: 'page-2' },
    ]);
  });

  it('lists a whole layer, and a kept-prefix layer under its own folder', async () => {
    s3.on(ListObjectsV2Command, { Bucket: 'acme-landing' }).resolves({
      Contents: [{ Key: 'crm/accounts/a.csv' }],
    });
    s3.on(ListObjectsV2Command, { Bucket: 'acme-audit' }).resolves({
      Contents: [{ Key: 'state/ingest/crm/accounts.json' }],
    });
    expect(await store().list('landing/')).toEqual(['landing/crm/accounts/a.csv']);
    expect(await store().list('state/ingest/')).toEqual(['state/ingest/crm/accounts.json']);
    expect(s3.commandCalls(ListObjectsV2Command)[1]!.args[0].input).toMatchObject({
      Bucket: 'acme-audit',
      Prefix: 'state/ingest/',
    });
  });

  it('reads text, and a missing object as undefined', async () => {
    s3.on(GetObjectCommand, { Bucket: 'acme-audit', Key: 'state/ingest/crm/accounts.json' })
      .resolvesOnce({ Body: sdkBody('{"watermark":null}') })
      .rejectsOnce(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    const s = store();
    expect(await s.getText('state/ingest/crm/accounts.json')).toBe('{"watermark":null}');
    expect(await s.getText('state/ingest/crm/accounts.json')).toBeUndefined();
  });

  it('names the object when S3 refuses, and makes throttling transient', async () => {
    s3.on(GetObjectCommand)
      .rejectsOnce(
        new S3ServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: 'Access Denied',
        }),
      )
      .rejectsOnce(
        new S3ServiceException({
          name: 'SlowDown',
          $fault: 'server',
          $metadata: { httpStatusCode: 503 },
          message: 'Please reduce your request rate.',
        }),
      );
    const refused = await store()
      .getText('landing/crm/a.csv')
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PipelineError);
    expect(refused).not.toBeInstanceOf(TransientError);
    expect((refused as Error).message).toBe(
      'S3 GetObject s3://acme-landing/crm/a.csv failed: Access Denied',
    );
    await expect(store().getText('landing/crm/a.csv')).rejects.toBeInstanceOf(TransientError);
  });

  it('writes text with one PutObject', async () => {
    s3.on(PutObjectCommand).resolves({});
    await store().putText('state/ingest/crm/accounts.json', '{}\n');
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'acme-audit',
      Key: 'state/ingest/crm/accounts.json',
      Body: '{}\n',
      ContentType: 'application/json',
    });
  });

  it('answers exists and hash with HeadObject', async () => {
    s3.on(HeadObjectCommand, { Key: 'crm/accounts/a.csv' }).resolves({
      ContentLength: 10,
      ETag: '"9b2cf535f27731c974343645a3985328"',
    });
    s3.on(HeadObjectCommand, { Key: 'crm/accounts/none.csv' }).rejects(
      new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }),
    );
    const s = store();
    expect(await s.exists('landing/crm/accounts/a.csv')).toBe(true);
    expect(await s.exists('landing/crm/accounts/none.csv')).toBe(false);
    expect(await s.hash('landing/crm/accounts/a.csv')).toBe('9b2cf535f27731c974343645a3985328');
    await expect(s.hash('landing/crm/accounts/none.csv')).rejects.toThrow(
      'Cannot hash s3://acme-landing/crm/accounts/none.csv: there is no such object',
    );
  });

  it('deletes with DeleteObject', async () => {
    s3.on(DeleteObjectCommand).resolves({});
    await store().delete('bronze/_staging/crm/accounts/x.parquet');
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'acme-bronze',
      Key: '_staging/crm/accounts/x.parquet',
    });
  });
});

describe('S3ObjectStore: move', () => {
  it('copies then deletes, with the copy source URL-encoded', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 1234, ETag: '"e"' });
    s3.on(CopyObjectCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    await store().move(
      'bronze/_staging/crm/accounts/ingest_date=2026-01-02/run 1-0.parquet',
      'bronze/crm/accounts/ingest_date=2026-01-02/run 1-0.parquet',
    );
    expect(s3.commandCalls(CopyObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'acme-bronze',
      Key: 'crm/accounts/ingest_date=2026-01-02/run 1-0.parquet',
      CopySource: 'acme-bronze/_staging/crm/accounts/ingest_date%3D2026-01-02/run%201-0.parquet',
    });
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'acme-bronze',
      Key: '_staging/crm/accounts/ingest_date=2026-01-02/run 1-0.parquet',
    });
    expect(s3.commandCalls(UploadPartCopyCommand)).toHaveLength(0);
  });

  it('copies an object over 5 GiB in 512 MiB parts (UploadPartCopy), then deletes it', async () => {
    const size = 5 * gib + 300 * mib;
    s3.on(HeadObjectCommand).resolves({ ContentLength: size, ContentType: 'text/csv' });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    s3.on(UploadPartCopyCommand).callsFake((input: { PartNumber: number }) => ({
      CopyPartResult: { ETag: `"part-${input.PartNumber}"` },
    }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});

    await store().move('landing/crm/big.csv', 'landing/crm/processed/r1/big.csv');

    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'acme-landing',
      Key: 'crm/processed/r1/big.csv',
      ContentType: 'text/csv',
    });
    const parts = s3
      .commandCalls(UploadPartCopyCommand)
      .map((c) => c.args[0].input)
      .sort((a, b) => a.PartNumber! - b.PartNumber!);
    expect(parts).toHaveLength(11);
    expect(parts[0]).toEqual({
      Bucket: 'acme-landing',
      Key: 'crm/processed/r1/big.csv',
      UploadId: 'upload-1',
      PartNumber: 1,
      CopySource: 'acme-landing/crm/big.csv',
      CopySourceRange: `bytes=0-${512 * mib - 1}`,
    });
    expect(parts[10]!.CopySourceRange).toBe(`bytes=${10 * 512 * mib}-${size - 1}`);
    expect(
      s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload,
    ).toEqual({
      Parts: Array.from({ length: 11 }, (_, i) => ({ PartNumber: i + 1, ETag: `"part-${i + 1}"` })),
    });
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'acme-landing',
      Key: 'crm/big.csv',
    });
  });

  it('aborts a failed multipart copy and keeps the source', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 6 * gib });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-2' });
    s3.on(UploadPartCopyCommand).resolves({ CopyPartResult: { ETag: '"p"' } });
    s3.on(UploadPartCopyCommand, { PartNumber: 3 }).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'Access Denied',
      }),
    );
    s3.on(AbortMultipartUploadCommand).resolves({});

    await expect(store().move('landing/crm/big.csv', 'landing/crm/done/big.csv')).rejects.toThrow(
      'S3 UploadPartCopy s3://acme-landing/crm/done/big.csv failed: Access Denied',
    );
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'acme-landing',
      Key: 'crm/done/big.csv',
      UploadId: 'upload-2',
    });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('refuses to move an object that does not exist', async () => {
    s3.on(HeadObjectCommand).rejects(
      new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }),
    );
    await expect(store().move('landing/crm/gone.csv', 'landing/crm/x.csv')).rejects.toThrow(
      'Cannot move s3://acme-landing/crm/gone.csv: there is no such object',
    );
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });
});

describe('S3ObjectStore: streaming helpers', () => {
  it('uploads a body under the part size with one PutObject', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3ObjectStore(s3Client(), buckets, { uploadPartSizeBytes: 5 * mib }).upload(
      'bronze/_staging/crm/a/r-0.parquet',
      Buffer.alloc(1024, 1),
    );
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'acme-bronze',
      Key: '_staging/crm/a/r-0.parquet',
      ContentType: 'application/vnd.apache.parquet',
    });
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it('uploads a body over the part size as a multipart upload', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-3' });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({
      ETag: `"u${input.PartNumber}"`,
    }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    await new S3ObjectStore(s3Client(), buckets, { uploadPartSizeBytes: 5 * mib }).upload(
      'bronze/_staging/crm/a/r-0.parquet',
      Buffer.alloc(11 * mib, 7),
    );
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'acme-bronze',
      Key: '_staging/crm/a/r-0.parquet',
    });
    const parts = s3.commandCalls(UploadPartCommand).map((c) => c.args[0].input);
    expect(parts.map((p) => p.PartNumber).sort()).toEqual([1, 2, 3]);
    expect(
      parts.every((p) => p.UploadId === 'up-3' && p.Key === '_staging/crm/a/r-0.parquet'),
    ).toBe(true);
    expect(
      s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload?.Parts,
    ).toHaveLength(3);
  });

  it('reads the tail of an object with a suffix range and learns its size', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: sdkBody('tail'),
      ContentRange: 'bytes 996-999/1000',
    });
    expect(await store().getTail('bronze/crm/a.parquet', 4)).toEqual({
      bytes: Buffer.from('tail'),
      size: 1000,
    });
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'acme-bronze',
      Key: 'crm/a.parquet',
      Range: 'bytes=-4',
    });
  });

  it('downloads an object to a file under the temp dir', async () => {
    const tempDir = mkdtempSync(path.join(tmpdir(), 's3-store-'));
    s3.on(GetObjectCommand).resolves({ Body: sdkBody('a,b\n1,2\n') });
    const file = await new S3ObjectStore(s3Client(), buckets, { tempDir }).downloadToFile(
      'landing/crm/accounts/file.csv',
    );
    expect(path.dirname(file)).toBe(tempDir);
    expect(path.basename(file)).toMatch(/^medallion-.+-file\.csv$/);
    expect(readFileSync(file, 'utf8')).toBe('a,b\n1,2\n');
    await rm(tempDir, { recursive: true });
    expect(existsSync(file)).toBe(false);
  });
});
