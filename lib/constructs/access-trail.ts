import type { RemovalPolicy } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { trailName, type BucketRole } from '../../lambdas/core/aws-names';

/** Where the trail delivers in the audit bucket: `cloudtrail/AWSLogs/<account>/...`. */
export const trailPrefix = 'cloudtrail';

/**
 * Object prefixes of the audit bucket whose reads and writes are recorded: its tables, change
 * feeds and lineage, not the trail's own deliveries under `cloudtrail/` (a trail logging the
 * bucket it delivers to records its own deliveries without end).
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html
 */
const auditPrefixes = ['tables/', 'changelog/', 'lineage/'];

export interface AccessTrailProps {
  readonly project: string;
  readonly env: string;
  readonly buckets: Record<BucketRole, s3.IBucket>;
  readonly key: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Who read what: a trail with the S3 data events of the gold, quarantine and audit buckets and
 * the account's management events (Lake Formation's GetDataAccess, grants and Glue calls among
 * them), delivered KMS-encrypted into the audit bucket with digest files for validation, and to
 * CloudWatch Logs for alarms. The audit bucket's and the key's policies let CloudTrail write
 * (`StorageStack`).
 */
export class AccessTrail extends Construct {
  readonly trail: cloudtrail.Trail;

  constructor(scope: Construct, id: string, props: AccessTrailProps) {
    super(scope, id);
    const { buckets } = props;
    this.trail = new cloudtrail.Trail(this, 'Trail', {
      trailName: trailName(props.project, props.env),
      bucket: buckets.audit,
      s3KeyPrefix: trailPrefix,
      encryptionKey: props.key,
      enableFileValidation: true,
      includeGlobalServiceEvents: true,
      isMultiRegionTrail: false,
      managementEvents: cloudtrail.ReadWriteType.ALL,
      sendToCloudWatchLogs: true,
      cloudWatchLogGroup: new logs.LogGroup(this, 'Logs', {
        retention: props.logRetention,
        encryptionKey: props.key,
        removalPolicy: props.removalPolicy,
      }),
    });
    this.trail.addS3EventSelector(
      [
        { bucket: buckets.gold },
        { bucket: buckets.quarantine },
        ...auditPrefixes.map((objectPrefix) => ({ bucket: buckets.audit, objectPrefix })),
      ],
      { readWriteType: cloudtrail.ReadWriteType.ALL, includeManagementEvents: true },
    );
  }
}
