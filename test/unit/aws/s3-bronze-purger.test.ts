/**
 * Bronze retention on a versioned bucket: purging a partition leaves no version of any object
 * under it (a noncurrent version is a full copy of the rows), across every page of the listing.
 */
import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { s3BronzePurgerIam } from '../../../lambdas/adapters/aws/iam-calls';
import { S3BronzePurger } from '../../../lambdas/adapters/aws/s3-bronze-purger';
import { S3ObjectStore } from '../../../lambdas/adapters/aws/s3-object-store';
import { expectDeclaredCommands } from '../../helpers/declared-calls';
import { s3Client } from './fake-s3';

const s3 = mockClient(S3Client);
expectDeclaredCommands('S3BronzePurger', s3, s3BronzePurgerIam.actions);
beforeEach(() => s3.reset());

const purger = () => {
  const client = s3Client();
  return new S3BronzePurger(client, new S3ObjectStore(client, { bronze: 'acme-bronze' }));
};
const partition = 'kafka/order_events/ingest_date=2025-01-01/';

describe('S3 bronze purger', () => {
  it('lists a dataset as lake keys', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${partition}a.parquet` }] });
    expect(await purger().list('bronze/kafka/order_events/')).toEqual([
      `bronze/${partition}a.parquet`,
    ]);
  });

  it('deletes every version and delete marker under the partition, on every page', async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [
          { Key: `${partition}a.parquet`, VersionId: 'a2', IsLatest: true },
          { Key: `${partition}a.parquet`, VersionId: 'a1' },
        ],
        IsTruncated: true,
        NextKeyMarker: `${partition}a.parquet`,
        NextVersionIdMarker: 'a1',
      })
      .resolvesOnce({
        Versions: [{ Key: `${partition}b.parquet`, VersionId: 'b1', IsLatest: true }],
        DeleteMarkers: [{ Key: `${partition}c.parquet`, VersionId: 'c-marker', IsLatest: true }],
      });
    s3.on(DeleteObjectCommand).resolves({});

    expect(await purger().purge(`bronze/${partition}`)).toBe(2);
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'acme-bronze', Prefix: partition },
      {
        Bucket: 'acme-bronze',
        Prefix: partition,
        KeyMarker: `${partition}a.parquet`,
        VersionIdMarker: 'a1',
      },
    ]);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'acme-bronze', Key: `${partition}a.parquet`, VersionId: 'a2' },
      { Bucket: 'acme-bronze', Key: `${partition}a.parquet`, VersionId: 'a1' },
      { Bucket: 'acme-bronze', Key: `${partition}b.parquet`, VersionId: 'b1' },
      { Bucket: 'acme-bronze', Key: `${partition}c.parquet`, VersionId: 'c-marker' },
    ]);
  });
});
