import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BronzeObjects } from '../../core/maintenance';
import type { S3ObjectStore } from './s3-object-store';
import { objectVersionPages } from './s3-versions';

/**
 * Bronze retention on a versioned bucket: lists through the lake's object store, and purges a
 * partition by deleting every version and delete marker under it (DeleteObject with a
 * VersionId). A plain DeleteObject would only add a delete marker and keep the rows in the
 * noncurrent version, which the bucket keeps; a lifecycle rule never expires files under a
 * live table, so this is the only way old bronze rows go.
 */
export class S3BronzePurger implements BronzeObjects {
  constructor(
    private readonly s3: S3Client,
    private readonly store: S3ObjectStore,
  ) {}

  list(prefix: string): Promise<string[]> {
    return this.store.list(prefix);
  }

  async purge(prefix: string): Promise<number> {
    const { bucket, key } = this.store.locate(prefix);
    const keys = new Set<string>();
    for await (const page of objectVersionPages(this.s3, bucket, key)) {
      for (const v of page.Versions ?? []) if (v.Key) keys.add(v.Key);
      for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (!v.Key || v.VersionId === undefined) continue;
        await this.s3.send(
          new DeleteObjectCommand({ Bucket: bucket, Key: v.Key, VersionId: v.VersionId }),
        );
      }
    }
    return keys.size;
  }
}
