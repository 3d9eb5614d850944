import { ArnFormat, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../../config/schema';
import { bucketName, trailName, type BucketRole } from '../../lambdas/core/aws-names';
import { catalogExportPrefix } from '../../lambdas/core/backup/catalog-export';
import { trailPrefix } from '../constructs/access-trail';
import {
  allowCloudTrailToUseKey,
  allowCloudWatchAlarmsToUseKey,
  allowCostAlertsToUseKey,
  allowEventBridgeToUseKey,
  allowLogGroupsToUseKey,
} from '../constructs/key-policy';
import { bucketCostTags } from '../../lambdas/core/cost/tags';
import { tagCost } from '../constructs/cost-alerts';
import { LakeBucket } from '../constructs/lake-bucket';

export interface StorageStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/**
 * The lake's retained data: the KMS key and every bucket. Kept apart from compute so that a
 * pipeline change never puts data at risk; RETAIN unless the config allows destroy (dev only).
 */
export class StorageStack extends Stack {
  readonly key: kms.Key;
  readonly buckets: Record<BucketRole, s3.Bucket>;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy =
      config.storage.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const lifecycle = config.storage.lifecycle;

    this.key = new kms.Key(this, 'LakeKey', {
      alias: `alias/${config.project}-${config.env}-lake`,
      description: `Encrypts the ${config.project} ${config.env} lake: every data bucket, query result and failure notice.`,
      enableKeyRotation: true,
      removalPolicy,
    });
    allowLogGroupsToUseKey(this.key);
    allowEventBridgeToUseKey(this.key);
    allowCostAlertsToUseKey(this.key);
    allowCloudWatchAlarmsToUseKey(this.key);
    const name = (role: BucketRole | 'accessLogs') =>
      bucketName(config.project, config.env, role, this.account, this.region);
    const accessLogs = new LakeBucket(this, 'AccessLogs', {
      bucketName: name('accessLogs'),
      lifecycle: lifecycle.accessLogs,
      removalPolicy,
    });
    tagCost(accessLogs, bucketCostTags('accessLogs'));
    this.accessLogs = accessLogs.bucket;
    const bucket = (id: string, role: BucketRole, eventBridgeEnabled = false) => {
      const created = new LakeBucket(this, id, {
        bucketName: name(role),
        encryptionKey: this.key,
        accessLogs: this.accessLogs,
        lifecycle: lifecycle[role],
        removalPolicy,
        eventBridgeEnabled,
      });
      tagCost(created, bucketCostTags(role));
      return created.bucket;
    };
    this.buckets = {
      landing: bucket('Landing', 'landing', true),
      bronze: bucket('Bronze', 'bronze'),
      silver: bucket('Silver', 'silver'),
      gold: bucket('Gold', 'gold'),
      quarantine: bucket('Quarantine', 'quarantine'),
      audit: bucket('Audit', 'audit'),
      athenaResults: bucket('AthenaResults', 'athenaResults'),
      reports: bucket('Reports', 'reports'),
    };
    this.allowAccessTrail(config.project, config.env);
    // Catalog exports (Backup stack) age out; `dr/catalog/` holds no table.
    const catalogExport = config.backup?.catalogExport;
    if (catalogExport)
      this.buckets.audit.addLifecycleRule({
        id: 'expire-catalog-exports',
        enabled: true,
        prefix: catalogExportPrefix,
        expiration: Duration.days(catalogExport.retentionDays),
      });
  }

  /**
   * The access trail (Access stack) delivers into the audit bucket under `cloudtrail/`: CloudTrail
   * checks the bucket's ACL and writes its log files there, for this trail only (its ARN as
   * `aws:SourceArn`), encrypted with the lake key.
   * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
   */
  private allowAccessTrail(project: string, env: string): void {
    const trailArn = this.formatArn({
      service: 'cloudtrail',
      resource: 'trail',
      resourceName: trailName(project, env),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    allowCloudTrailToUseKey(this.key, trailArn);
    const audit = this.buckets.audit;
    const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    const fromTrail = { 'aws:SourceArn': trailArn };
    audit.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [audit.bucketArn],
        conditions: { StringEquals: fromTrail },
      }),
    );
    audit.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudTrail],
        actions: ['s3:PutObject'],
        resources: [audit.arnForObjects(`${trailPrefix}/AWSLogs/${this.account}/*`)],
        conditions: {
          StringEquals: { ...fromTrail, 's3:x-amz-acl': 'bucket-owner-full-control' },
        },
      }),
    );
  }
}
