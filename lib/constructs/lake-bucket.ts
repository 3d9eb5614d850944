import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../../config/schema';
import { bucketName, bucketRoles, type BucketRole } from '../../lambdas/core/aws-names';

export type LifecycleConfig = PlatformConfig['storage']['lifecycle']['bronze'];

export interface LakeBucketProps {
  readonly bucketName: string;
  /** Data buckets are encrypted with the lake's key; only the access-log bucket is not (S3 log delivery cannot write to SSE-KMS buckets). */
  readonly encryptionKey?: kms.IKey;
  /** Where server access logs go; the access-log bucket itself has none. */
  readonly accessLogs?: s3.IBucket;
  readonly lifecycle: LifecycleConfig;
  readonly removalPolicy: RemovalPolicy;
  /** Send object events to EventBridge (the landing bucket starts ingestion this way). @default false */
  readonly eventBridgeEnabled?: boolean;
}

/**
 * A bucket of the lake with the settings every one of them needs: versioned, TLS-only, public
 * access blocked, owner-enforced, SSE-KMS with a bucket key, server access logs, and the lifecycle
 * the config gives for it.
 */
export class LakeBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey !== undefined,
      versioned: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: props.accessLogs ? `${id.toLowerCase()}/` : undefined,
      lifecycleRules: lifecycleRules(props.lifecycle),
      eventBridgeEnabled: props.eventBridgeEnabled ?? false,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.removalPolicy === RemovalPolicy.DESTROY,
    });
    if (!props.encryptionKey)
      Validations.of(this.bucket).acknowledge({
        id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
        reason:
          'The server access log bucket: AWS supports only SSE-S3 as default encryption of a server access logging target bucket, not SSE-KMS (https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-server-access-logging.html).',
      });
  }
}

/**
 * The S3 lifecycle rules for one bucket's lifecycle config: one for the whole bucket, and one
 * expiry per prefix when expiry is limited to prefixes (config validation keeps those clear of
 * live tables).
 */
export function lifecycleRules(lifecycle: LifecycleConfig): s3.LifecycleRule[] {
  const expiration =
    lifecycle.expirationDays === undefined ? undefined : Duration.days(lifecycle.expirationDays);
  const prefixes = lifecycle.expirationPrefixes;
  return [
    {
      id: 'tiering-and-expiry',
      enabled: true,
      transitions: lifecycle.transitions.map((t) => ({
        storageClass: storageClasses[t.storageClass],
        transitionAfter: Duration.days(t.days),
      })),
      expiration: prefixes ? undefined : expiration,
      noncurrentVersionExpiration: Duration.days(lifecycle.noncurrentVersionExpirationDays),
      abortIncompleteMultipartUploadAfter: Duration.days(
        lifecycle.abortIncompleteMultipartUploadDays,
      ),
    },
    ...(prefixes ?? []).map((prefix) => ({
      id: `expire-${prefix.replace(/\/$/, '').replaceAll('/', '-')}`,
      enabled: true,
      prefix,
      expiration,
    })),
  ];
}

const storageClasses: Record<
  LifecycleConfig['transitions'][number]['storageClass'],
  s3.StorageClass
> = {
  STANDARD_IA: s3.StorageClass.INFREQUENT_ACCESS,
  INTELLIGENT_TIERING: s3.StorageClass.INTELLIGENT_TIERING,
  GLACIER_IR: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
  GLACIER: s3.StorageClass.GLACIER,
  DEEP_ARCHIVE: s3.StorageClass.DEEP_ARCHIVE,
};

/**
 * The lake's buckets as seen from another stack: addressed by their conventional names, so no
 * stack exports a bucket and IAM policies name them plainly.
 */
export function lakeBuckets(
  scope: Construct,
  project: string,
  env: string,
): Record<BucketRole, s3.IBucket> {
  const stack = Stack.of(scope);
  return Object.fromEntries(
    bucketRoles.map((role) => [
      role,
      s3.Bucket.fromBucketName(
        scope,
        `${role}Bucket`,
        bucketName(project, env, role, stack.account, stack.region),
      ),
    ]),
  ) as Record<BucketRole, s3.IBucket>;
}
