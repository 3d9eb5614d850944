import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../adapters/aws/s3-object-store';
import { IngestLedger } from '../../core/ingest/bronze';
import { tracer } from '../lambda-handler';
import { settings } from './settings';

/**
 * The lake as functions see it: `landing/` and `bronze/` keys in their buckets, ingestion state
 * (watermarks, the commit log of bronze objects) under `state/` in the audit bucket, and the
 * audit store's objects (`audit/lineage/...`) at the root of the audit bucket.
 */
export function lake(): { store: S3ObjectStore; ledger: IngestLedger } {
  const buckets = settings().MEDALLION_BUCKETS;
  const store = new S3ObjectStore(tracer.captureAWSv3Client(new S3Client({})), {
    landing: buckets.landing,
    bronze: buckets.bronze,
    state: { bucket: buckets.audit, keepPrefix: true },
    audit: buckets.audit,
  });
  return { store, ledger: new IngestLedger(store) };
}
