/**
 * Erasing a data subject from bronze on S3: the object is written again without their rows, with
 * every other value as it was, and no earlier version of the key is left to bring them back.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { beforeEach, describe, expect, it } from 'vitest';
import { s3BronzeEraserIam } from '../../../lambdas/adapters/aws/iam-calls';
import { parquetBytes, parquetType } from '../../../lambdas/adapters/aws/parquet-values';
import { parseS3Uri, S3BronzeEraser } from '../../../lambdas/adapters/aws/s3-bronze-eraser';
import { PipelineError } from '../../../lambdas/core/errors';
import { expectDeclaredCommands } from '../../helpers/declared-calls';
import { s3Client, sdkBody } from './fake-s3';

const s3 = mockClient(S3Client);
expectDeclaredCommands('S3BronzeEraser', s3, s3BronzeEraserIam.actions);
beforeEach(() => s3.reset());

const uri = 's3://acme-bronze/crm/contacts/ingest_date=2026-01-02/batch-1.parquet';
const key = 'crm/contacts/ingest_date=2026-01-02/batch-1.parquet';

/** A bronze object as the sink writes it: every type bronze uses. */
function bronzeObject(): Buffer {
  const column = (name: string, type: string, data: unknown[]) => {
    const t = parquetType(type);
    return {
      name,
      type: t,
      data: data.map((v) => (v === null ? null : t.cast(v, { epochMillis: true }))),
    };
  };
  return parquetBytes([
    column('contact_id', 'BIGINT', [1n, 2n, 3n]),
    column('email', 'VARCHAR', ['ann@example.com', 'bob@example.com', null]),
    column('score', 'DECIMAL(10,2)', ['12.50', '3.25', '0.01']),
    column('born', 'DATE', ['1990-02-03', '1985-12-31', null]),
    column('_ingested_at', 'TIMESTAMP', [
      '2026-01-02T03:04:05.123Z',
      '2026-01-02T03:04:05.456Z',
      '2026-01-02T03:04:05.789Z',
    ]),
    column('active', 'BOOLEAN', [true, false, true]),
  ]);
}

const isAnn = (row: Readonly<Record<string, unknown>>) => row.email === 'ann@example.com';

async function putRows(): Promise<Record<string, unknown>[]> {
  const body = s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as Uint8Array;
  const file = new Uint8Array(body).buffer;
  return parquetReadObjects({ file, metadata: parquetMetadata(file) });
}

describe('S3BronzeEraser', () => {
  it('writes the object again without the rows, then deletes every old version of its key, page by page', async () => {
    s3.on(GetObjectCommand).resolves({ Body: sdkBody(bronzeObject()) });
    s3.on(PutObjectCommand).resolves({ VersionId: 'v-new' });
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [
          { Key: key, VersionId: 'v-new', IsLatest: true },
          { Key: key, VersionId: 'v-1', IsLatest: false },
        ],
        IsTruncated: true,
        NextKeyMarker: key,
        NextVersionIdMarker: 'v-1',
      })
      .resolvesOnce({
        Versions: [
          { Key: key, VersionId: 'v-0', IsLatest: false },
          // Another object whose key starts with this one's: not this object's version.
          { Key: `${key}.bak`, VersionId: 'other', IsLatest: false },
        ],
        DeleteMarkers: [{ Key: key, VersionId: 'marker-1', IsLatest: false }],
        IsTruncated: false,
      });
    s3.on(DeleteObjectCommand).resolves({});

    const result = await new S3BronzeEraser(s3Client()).erase(uri, isAnn);

    expect(result).toEqual({ uri, rowsRemoved: 1, deleted: false, versionsRemoved: 3 });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'acme-bronze',
      Key: key,
    });
    const rows = await putRows();
    expect(rows).toEqual([
      {
        contact_id: 2n,
        email: 'bob@example.com',
        score: 3.25,
        born: new Date('1985-12-31T00:00:00Z'),
        _ingested_at: new Date('2026-01-02T03:04:05.456Z'),
        active: false,
      },
      {
        contact_id: 3n,
        email: null,
        score: 0.01,
        born: null,
        _ingested_at: new Date('2026-01-02T03:04:05.789Z'),
        active: true,
      },
    ]);
    // The kept rows keep the object's own schema: microsecond timestamps, DECIMAL, DATE.
    const body = s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as Uint8Array;
    expect(parquetMetadata(new Uint8Array(body).buffer).schema).toEqual(
      parquetMetadata(new Uint8Array(bronzeObject()).buffer).schema,
    );
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'acme-bronze', Prefix: key, KeyMarker: undefined, VersionIdMarker: undefined },
      { Bucket: 'acme-bronze', Prefix: key, KeyMarker: key, VersionIdMarker: 'v-1' },
    ]);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'acme-bronze', Key: key, VersionId: 'v-1' },
      { Bucket: 'acme-bronze', Key: key, VersionId: 'v-0' },
      { Bucket: 'acme-bronze', Key: key, VersionId: 'marker-1' },
    ]);
  });

  it('deletes an object whose every row is the subject’s, with all its versions', async () => {
    s3.on(GetObjectCommand).resolves({ Body: sdkBody(bronzeObject()) });
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: key, VersionId: 'v-1', IsLatest: true },
        { Key: key, VersionId: 'v-0', IsLatest: false },
      ],
      IsTruncated: false,
    });
    s3.on(DeleteObjectCommand).resolves({});

    const result = await new S3BronzeEraser(s3Client()).erase(uri, () => true);

    expect(result).toEqual({ uri, rowsRemoved: 3, deleted: true, versionsRemoved: 2 });
    expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.VersionId)).toEqual([
      'v-1',
      'v-0',
    ]);
  });

  it('leaves an object without the subject untouched', async () => {
    s3.on(GetObjectCommand).resolves({ Body: sdkBody(bronzeObject()) });

    const result = await new S3BronzeEraser(s3Client()).erase(uri, () => false);

    expect(result).toEqual({ uri, rowsRemoved: 0, deleted: false, versionsRemoved: 0 });
    expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toEqual([]);
  });

  it('fails when the rewrite cannot be written, deleting no version', async () => {
    s3.on(GetObjectCommand).resolves({ Body: sdkBody(bronzeObject()) });
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'Access Denied',
      }),
    );

    await expect(new S3BronzeEraser(s3Client()).erase(uri, isAnn)).rejects.toThrow('Access Denied');
    expect(s3.commandCalls(DeleteObjectCommand)).toEqual([]);
  });

  it('reads only s3:// object URIs, as Athena’s "$path" gives them', () => {
    expect(parseS3Uri(uri)).toEqual({ bucket: 'acme-bronze', key });
    expect(() => parseS3Uri('/tmp/x.parquet')).toThrow(PipelineError);
  });
});
