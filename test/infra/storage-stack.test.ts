import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  bucketName,
  bucketRoles,
  lakeSchemas,
  schemaLocations,
} from '../../lambdas/core/aws-names';
import { synthesize } from '../helpers/cdk';

/** S3's storage class names, as CloudFormation spells them. */
const storageClass: Record<string, string> = {
  STANDARD_IA: 'STANDARD_IA',
  INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  GLACIER_IR: 'GLACIER_IR',
  GLACIER: 'GLACIER',
  DEEP_ARCHIVE: 'DEEP_ARCHIVE',
};

type BucketResource = {
  DeletionPolicy?: string;
  Properties: {
    BucketName: string;
    BucketEncryption: unknown;
    LifecycleConfiguration: { Rules: Record<string, unknown>[] };
    LoggingConfiguration?: { DestinationBucketName: unknown; LogFilePrefix: string };
    [key: string]: unknown;
  };
};

describe.each(['dev', 'prod'])('storage stack (%s)', (env) => {
  const storage = async () => {
    const { project, templates, stacks } = await synthesize(env);
    const buckets = Object.entries(
      templates.storage.findResources('AWS::S3::Bucket') as Record<string, BucketResource>,
    );
    const bucketOf = (role: (typeof bucketRoles)[number] | 'accessLogs') => {
      const name = bucketName(
        project.config.project,
        env,
        role,
        project.config.aws.account!,
        project.config.aws.region!,
      );
      const found = buckets.find(([, b]) => b.Properties.BucketName === name);
      if (!found) throw new Error(`no bucket named ${name}`);
      return found;
    };
    return { project, template: templates.storage, buckets, bucketOf, stack: stacks.storage };
  };

  it('has the eight lake buckets and the access-log bucket, named by convention', async () => {
    const { buckets, bucketOf } = await storage();
    expect(buckets).toHaveLength(bucketRoles.length + 1);
    for (const role of [...bucketRoles, 'accessLogs'] as const) bucketOf(role);
  });

  it('every lifecycle rule is the one config gives for the bucket', async () => {
    const { project, bucketOf } = await storage();
    const catalogExport = project.config.backup?.catalogExport;
    expect(catalogExport).toBeDefined();
    for (const [role, lifecycle] of Object.entries(project.config.storage.lifecycle)) {
      const [, bucket] = bucketOf(role as (typeof bucketRoles)[number]);
      const prefixes = lifecycle.expirationPrefixes ?? [];
      expect(bucket.Properties.LifecycleConfiguration.Rules, role).toEqual([
        {
          Id: 'tiering-and-expiry',
          Status: 'Enabled',
          AbortIncompleteMultipartUpload: {
            DaysAfterInitiation: lifecycle.abortIncompleteMultipartUploadDays,
          },
          NoncurrentVersionExpiration: {
            NoncurrentDays: lifecycle.noncurrentVersionExpirationDays,
          },
          ...(lifecycle.expirationDays === undefined || prefixes.length > 0
            ? {}
            : { ExpirationInDays: lifecycle.expirationDays }),
          ...(lifecycle.transitions.length === 0
            ? {}
            : {
                Transitions: lifecycle.transitions.map((t) => ({
                  StorageClass: storageClass[t.storageClass],
                  TransitionInDays: t.days,
                })),
              }),
        },
        ...prefixes.map((prefix) => ({
          Id: `expire-${prefix.slice(0, -1)}`,
          Status: 'Enabled',
          Prefix: prefix,
          ExpirationInDays: lifecycle.expirationDays,
        })),
        // The catalog exports of the Backup stack, where no table lives.
        ...(role === 'audit' && catalogExport
          ? [
              {
                Id: 'expire-catalog-exports',
                Status: 'Enabled',
                Prefix: 'dr/catalog/',
                ExpirationInDays: catalogExport.retentionDays,
              },
            ]
          : []),
      ]);
    }
  });

  it('bronze tiers only into classes Athena reads: Standard-IA at 30 days, Glacier IR at 90', async () => {
    const { bucketOf } = await storage();
    const [, bronze] = bucketOf('bronze');
    expect(bronze.Properties.LifecycleConfiguration.Rules[0]!.Transitions).toEqual([
      { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
      { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
    ]);
  });

  it('no bucket expires objects under a live table: quarantine never, Athena results only outside scratch/', async () => {
    const { bucketOf } = await storage();
    const [, quarantine] = bucketOf('quarantine');
    for (const rule of quarantine.Properties.LifecycleConfiguration.Rules)
      expect(rule.ExpirationInDays).toBeUndefined();
    const [, results] = bucketOf('athenaResults');
    const expiring = results.Properties.LifecycleConfiguration.Rules.filter(
      (r) => r.ExpirationInDays !== undefined,
    );
    expect(expiring.map((r) => [r.Prefix, r.ExpirationInDays])).toEqual([
      ['engineering/', 7],
      ['auditors/', 7],
    ]);
    // Every expiring rule of a bucket holding tables is limited to a prefix outside them.
    for (const schema of lakeSchemas) {
      const { bucket, prefix } = schemaLocations[schema];
      const [, holder] = bucketOf(bucket);
      for (const rule of holder.Properties.LifecycleConfiguration.Rules) {
        if (rule.ExpirationInDays === undefined) continue;
        const scope = (rule.Prefix as string | undefined) ?? '';
        expect(prefix.startsWith(scope) || scope.startsWith(prefix), `${schema}: ${scope}`).toBe(
          false,
        );
      }
    }
  });

  it('every bucket is versioned, owner-enforced and blocks public access', async () => {
    const { buckets } = await storage();
    for (const [id, bucket] of buckets) {
      expect(bucket.Properties, id).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
    }
  });

  it('data buckets use SSE-KMS with the rotating lake key and a bucket key, and log access', async () => {
    const { template, bucketOf, stack } = await storage();
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const keyId = stack.getLogicalId(stack.key.node.defaultChild as never);
    const [accessLogsId] = bucketOf('accessLogs');
    for (const role of bucketRoles) {
      const [, bucket] = bucketOf(role);
      expect(bucket.Properties.BucketEncryption, role).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
          },
        ],
      });
      expect(bucket.Properties.LoggingConfiguration, role).toMatchObject({
        DestinationBucketName: { Ref: accessLogsId },
      });
    }
    // S3 log delivery cannot write to an SSE-KMS bucket: the log bucket uses SSE-S3.
    const [, accessLogs] = bucketOf('accessLogs');
    expect(accessLogs.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { BucketKeyEnabled: false, ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ],
    });
  });

  it('every bucket denies requests without TLS 1.2', async () => {
    const { template, buckets } = await storage();
    for (const [id] of buckets) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    }
  });

  it('retains data in prod; destroys it only in dev, where config asks for it', async () => {
    const { project, template, buckets } = await storage();
    const policy = project.config.storage.removalPolicy === 'destroy' ? 'Delete' : 'Retain';
    expect(project.config.storage.removalPolicy).toBe(env === 'prod' ? 'retain' : 'destroy');
    for (const [id, bucket] of buckets) expect(bucket.DeletionPolicy, id).toBe(policy);
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: policy });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', env === 'dev' ? buckets.length : 0);
  });

  it('the landing bucket sends object events to EventBridge', async () => {
    const { template, bucketOf } = await storage();
    const [landingId] = bucketOf('landing');
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: landingId },
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
  });
});
