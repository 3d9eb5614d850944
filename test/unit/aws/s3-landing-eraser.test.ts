/**
 * Erasing a data subject from the landing bucket: every file of a dataset's folder, in every
 * version, loses the subject's rows (or lines, when it cannot be read as its format), and nothing
 * else changes.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type GetObjectCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { beforeEach, describe, expect, it } from 'vitest';
import { s3LandingEraserIam } from '../../../lambdas/adapters/aws/iam-calls';
import { parquetBytes, parquetType } from '../../../lambdas/adapters/aws/parquet-values';
import { S3LandingEraser } from '../../../lambdas/adapters/aws/s3-landing-eraser';
import { ContractRegistry } from '../../../lambdas/core/contracts/contract';
import { landingSubject } from '../../../lambdas/core/privacy/landing-erasure';
import { identifiersFromJson } from '../../../lambdas/core/privacy/subjects';
import { expectDeclaredCommands } from '../../helpers/declared-calls';
import { testContract } from '../../helpers/contracts';
import { s3Client, sdkBody } from './fake-s3';

const s3 = mockClient(S3Client);
expectDeclaredCommands('S3LandingEraser', s3, s3LandingEraserIam.actions);
beforeEach(() => s3.reset());

const bucket = 'acme-landing';
const prefix = 'crm/contacts/';
const contracts = new ContractRegistry([
  testContract(
    'crm.contacts',
    'bronze.crm_contacts',
    `      - { name: contact_id, logicalType: integer, physicalType: BIGINT, customProperties: [{ property: subject, value: customer_id }] }
      - { name: email, logicalType: string, physicalType: VARCHAR, customProperties: [{ property: subject, value: email }] }
      - { name: note, logicalType: string, physicalType: VARCHAR }`,
  ),
]);
const subject = landingSubject(
  'bronze.crm_contacts',
  identifiersFromJson({ email: ['ann@example.com'], customer_id: ['21'] }),
  contracts,
);

/** Files by key and version id, as GetObject returns them. */
function files(byVersion: Record<string, string | Uint8Array>) {
  s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const body = byVersion[`${input.Key}@${input.VersionId}`];
    if (body === undefined) throw new Error(`no ${input.Key}@${input.VersionId}`);
    return { Body: sdkBody(body) };
  });
  s3.on(PutObjectCommand).resolves({});
  s3.on(DeleteObjectCommand).resolves({});
}

const current = (Key: string, VersionId = 'v1') => ({ Key, VersionId, IsLatest: true });
const older = (Key: string, VersionId: string) => ({ Key, VersionId, IsLatest: false });

function put(key: string): Buffer {
  const call = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === key);
  if (!call) throw new Error(`no PutObject of ${key}`);
  expect(call.args[0].input.Bucket).toBe(bucket);
  return Buffer.from(call.args[0].input.Body as Uint8Array);
}
const deletedVersions = () =>
  s3.commandCalls(DeleteObjectCommand).map((c) => {
    expect(c.args[0].input.Bucket).toBe(bucket);
    return `${c.args[0].input.Key}@${c.args[0].input.VersionId}`;
  });

describe('S3LandingEraser', () => {
  it('rewrites a CSV file without the subject’s records, every other byte kept, and deletes the version that held them', async () => {
    const csv =
      '\ufeffcontact_id,email,note\r\n' +
      '20,bob@example.com,"says ""hi"",\r\nthen leaves"\r\n' +
      '21,someone@example.com,\r\n' +
      '\r\n' +
      '22,Ann@Example.com ,\r\n' +
      '23,cy@example.com,"wrote to ann@example.com"\r\n' +
      '24,dee@example.com,x';
    const key = `${prefix}processed/run-1/contacts.csv`;
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [current(key)], IsTruncated: false });
    files({ [`${key}@v1`]: csv });

    const result = await new S3LandingEraser(s3Client(), bucket).erase(prefix, subject);

    expect(result).toEqual({
      rowsRemoved: 3,
      rewritten: 1,
      deleted: 0,
      versionsRemoved: 1,
      unreadable: [],
    });
    expect(put(key).toString('utf8')).toBe(
      '\ufeffcontact_id,email,note\r\n' +
        '20,bob@example.com,"says ""hi"",\r\nthen leaves"\r\n' +
        '24,dee@example.com,x',
    );
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: bucket, Key: key, VersionId: 'v1' },
    ]);
    expect(deletedVersions()).toEqual([`${key}@v1`]);
  });

  it('reads gzipped text as the landing step does, and writes it back gzipped', async () => {
    const key = `${prefix}rejected/run-2/contacts.jsonl.gz`;
    const lines = [
      '{"contact_id": 20, "email": "bob@example.com"}',
      '',
      '{"contact_id": 21, "email": null}',
      '{"contact_id": 22, "email": "eve@example.com", "note": {"cc": "ann@example.com"}}',
      '{"contact_id": 12345678901234567890, "email": "fay@example.com"}',
    ];
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [current(key)], IsTruncated: false });
    files({ [`${key}@v1`]: gzipSync(lines.join('\n')) });

    const result = await new S3LandingEraser(s3Client(), bucket).erase(prefix, subject);

    expect(result.rowsRemoved).toBe(2);
    // The kept lines as they were: a number past 2^53 keeps its digits.
    expect(gunzipSync(put(key)).toString('utf8')).toBe([lines[0], '', lines[4]].join('\n'));
  });

  it('rewrites a JSON document without the subject’s objects', async () => {
    const key = `${prefix}contacts.json`;
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [current(key)], IsTruncated: false });
    files({
      [`${key}@v1`]:
        '[{"contact_id": 21, "email": "x@example.com"}, {"contact_id": 9007199254740993, "email": "bob@example.com", "note": "Ann@example.comx"}]',
    });

    const result = await new S3LandingEraser(s3Client(), bucket).erase(prefix, subject);

    expect(result.rowsRemoved).toBe(1);
    expect(put(key).toString('utf8')).toBe(
      '[{"contact_id":9007199254740993,"email":"bob@example.com","note":"Ann@example.comx"}]',
    );
  });

  it('a file that cannot be read as its format loses the lines that mention the subject', async () => {
    const key = `${prefix}rejected/run-3/broken.csv`;
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [current(key)], IsTruncated: false });
    files({
      [`${key}@v1`]:
        'contact_id,email\n20,bob@example.com\n21,ann@example.com,extra\n"22,unclosed\n',
    });

    const result = await new S3LandingEraser(s3Client(), bucket).erase(prefix, subject);

    expect(result.rowsRemoved).toBe(1);
    expect(put(key).toString('utf8')).toBe('contact_id,email\n20,bob@example.com\n"22,unclosed\n');
  });

  it('deletes a file with nothing but the subject, and every version of its key, page by page', async () => {
    const key = `${prefix}processed/run-1/ann.csv`;
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [current(key, 'v3'), older(key, 'v2')],
        IsTruncated: true,
        NextKeyMarker: key,
        NextVersionIdMarker: 'v2',
      })
      .resolvesOnce({ Versions: [older(key, 'v1')], IsTruncated: false });
    files({ [`${key}@v3`]: 'contact_id,email\n21,\n' });

    const result = await new S3LandingEraser(s3Client(), bucket).erase(prefix, subject);

    expect(result).toEqual({
      rowsRemoved: 1,
      rewritten: 0,
      deleted: 1,
      versionsRemoved: 3,
      unreadable: [],
    });
    expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
    // The older versions of a file that held the subject go unread.
    expect(s3.commandCalls(GetObjectCommand).length).toBe(1);
    expect(deletedVersions()).toEqual([`${key}@v3`, `${key}@v2`, `${key}@v1`]);
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: bucket, Prefix: prefix, KeyMarker: undefined, VersionIdMarker: undefined },
      { Bucket: bucket, Prefix: prefix, KeyMarker: key, VersionIdMarker: 'v2' },
    ]);
  });

  it('deletes the noncurrent versions a move to processed/ left under the old key, when they hold the subject', async () => {
    const moved = `${prefix}contacts.csv`;
    const other = `${prefix}others.csv`;
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [older(moved, 'm1'), older(other, 'o1')],
      DeleteMarkers: [
        { Key: moved, VersionId: 'dm', IsLatest: true },
        { Key: other, VersionId: 'do', IsLatest: true },
      ],
      IsTruncated: false,
    });
    files({
      [`${moved}@m1`]: 'contact_id,email\n21,x@example.com\n',
      [`${other}@o1`]: 'contact_id,email\n22,bob@example.com\n',
    });

    const result = await new S3LandingEraser(s3Client(), bucket).erase(prefix, subject);

    expect(result).toEqual({
      rowsRemoved: 0,
      rewritten: 0,
      deleted: 0,
      versionsRemoved: 1,
      unreadable: [],
    });
    expect(deletedVersions()).toEqual([`${moved}@m1`]);
  });

  it('skips unread what holds none of the identifiers, and what is no landing file', async () => {
    const key = `${prefix}processed/run-1/others.csv.gz`;
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [current(key), current(`${prefix}notes.md`)],
      IsTruncated: false,
    });
    // 'ann' alone is no identifier; numbers without 21 hold no customer_id of the subject.
    files({ [`${key}@v1`]: gzipSync('contact_id,email\n20,ann@example.org\n') });

    const parsed: (readonly string[])[] = [];
    const counting = {
      ...subject,
      rowTest: (columns: readonly string[]) => {
        parsed.push(columns);
        return subject.rowTest(columns);
      },
    };

    const result = await new S3LandingEraser(s3Client(), bucket).erase(prefix, counting);

    expect(parsed).toEqual([]);
    expect(result.versionsRemoved).toBe(0);
    expect(s3.commandCalls(GetObjectCommand).length).toBe(1);
    expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
  });

  it('deletes the reason beside a rejected file when it quotes the subject', async () => {
    const quoting = `${prefix}rejected/run-1/a.csv.reason.txt`;
    const plain = `${prefix}rejected/run-1/b.csv.reason.txt`;
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [current(quoting), current(plain)],
      IsTruncated: false,
    });
    files({
      [`${quoting}@v1`]:
        "row 3 (line 4): column amount: 'ann@example.com' is not a valid DECIMAL(12,2)\n",
      [`${plain}@v1`]: "row 9 (line 10): column amount: 'n/a' is not a valid DECIMAL(12,2)\n",
    });

    const result = await new S3LandingEraser(s3Client(), bucket).erase(prefix, subject);

    expect(result).toMatchObject({ rowsRemoved: 1, deleted: 1, versionsRemoved: 1 });
    expect(deletedVersions()).toEqual([`${quoting}@v1`]);
  });

  it('rewrites a Parquet file without the subject’s rows, in its own schema', async () => {
    const key = `${prefix}contacts.parquet`;
    const column = (name: string, type: string, data: unknown[]) => {
      const t = parquetType(type);
      return {
        name,
        type: t,
        data: data.map((v) => (v === null ? null : t.cast(v, { epochMillis: true }))),
      };
    };
    const file = parquetBytes([
      column('contact_id', 'BIGINT', [20n, 21n, 22n]),
      column('email', 'VARCHAR', ['bob@example.com', null, 'cy@example.com']),
    ]);
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [current(key)], IsTruncated: false });
    files({ [`${key}@v1`]: file });

    const result = await new S3LandingEraser(s3Client(), bucket).erase(prefix, subject);

    expect(result.rowsRemoved).toBe(1);
    const body = new Uint8Array(put(key)).buffer;
    expect(await parquetReadObjects({ file: body, metadata: parquetMetadata(body) })).toEqual([
      { contact_id: 20n, email: 'bob@example.com' },
      { contact_id: 22n, email: 'cy@example.com' },
    ]);
  });

  it('leaves a Parquet file it cannot read, and says which', async () => {
    const key = `${prefix}rejected/run-1/broken.parquet`;
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [current(key)], IsTruncated: false });
    files({ [`${key}@v1`]: 'not parquet at all, ann@example.com' });

    const result = await new S3LandingEraser(s3Client(), bucket).erase(prefix, subject);

    expect(result.unreadable).toEqual([expect.stringContaining(`${key} (version v1): `)]);
    expect(deletedVersions()).toEqual([]);
  });

  it('fails naming the file when a .gz is not gzip, and when S3 refuses the rewrite, deleting no version', async () => {
    const key = `${prefix}contacts.csv.gz`;
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [current(key)], IsTruncated: false });
    files({ [`${key}@v1`]: 'plain text' });
    await expect(new S3LandingEraser(s3Client(), bucket).erase(prefix, subject)).rejects.toThrow(
      `s3://${bucket}/${key} (version v1) is not gzip`,
    );

    files({ [`${key}@v1`]: gzipSync('contact_id,email\n21,\n22,\n') });
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'Access Denied',
      }),
    );
    await expect(new S3LandingEraser(s3Client(), bucket).erase(prefix, subject)).rejects.toThrow(
      'Access Denied',
    );
    expect(deletedVersions()).toEqual([]);
  });
});
