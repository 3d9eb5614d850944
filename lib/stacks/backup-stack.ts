import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { BackupConfig, PlatformConfig } from '../../config/schema';
import type { BucketRole } from '../../lambdas/core/aws-names';
import { acknowledgeWildcard } from '../constructs/acknowledge';
import { lakeBuckets } from '../constructs/lake-bucket';
import { catalogExportPrefix } from '../../lambdas/core/backup/catalog-export';
import { catalogBackupEnvironment } from '../../lambdas/core/function-environment';
import { PlatformFunction } from '../constructs/platform-function';

export interface BackupStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly backup: BackupConfig;
  /** The lake key (Storage stack): encrypts the vault, its recovery points and the alert topic. */
  readonly key: kms.IKey;
}

/** AWS's managed policies that let AWS Backup back up and restore S3 buckets. */
export const s3BackupPolicies = [
  'AWSBackupServiceRolePolicyForS3Backup',
  'AWSBackupServiceRolePolicyForS3Restore',
] as const;

/**
 * Actions the vault's access policy denies to everyone but the recovery point admins: deleting a
 * recovery point, shortening its lifecycle, or disassociating a continuous one. The policy itself
 * stays changeable: CloudFormation must be able to update it.
 */
export const protectedVaultActions = [
  'backup:DeleteRecoveryPoint',
  'backup:UpdateRecoveryPointLifecycle',
  'backup:DisassociateRecoveryPoint',
] as const;

/**
 * AWS Backup of the lake's buckets (`backup:` in config): the vault, encrypted with the lake key,
 * whose access policy refuses deletes of recovery points (and vault lock in prod); a plan for the
 * layers nothing rebuilds (continuous backup and every snapshot rule) and one for those rebuilt
 * from bronze (the rules that include them); copies to the DR vault; a scheduled restore test
 * whose restored bucket the validation function checks; alerts on failed backup, copy and
 * restore jobs and on failed validations. Its own stack: a vault with recovery points outlives
 * any redeployment of the rest.
 */
export class BackupStack extends Stack {
  readonly vault: backup.BackupVault;
  readonly role: iam.Role;
  readonly plans: backup.BackupPlan[] = [];
  readonly alerts: sns.Topic;
  /** Where snapshots are copied for disaster recovery, if anywhere. */
  readonly disasterRecoveryVaultArn?: string;
  readonly restoreTesting?: {
    readonly plan: backup.CfnRestoreTestingPlan;
    readonly selection: backup.CfnRestoreTestingSelection;
    readonly validation: lambda.IFunction;
  };
  /** The Glue Data Catalog's export (scheduled) and restore (on demand), with `backup.catalogExport`. */
  readonly catalogBackup?: {
    readonly export: PlatformFunction;
    readonly restore: PlatformFunction;
    readonly schedule: events.Rule;
  };

  constructor(scope: Construct, id: string, props: BackupStackProps) {
    super(scope, id, props);
    const { config, backup: policy, key } = props;
    const name = `${config.project}-${config.env}-lake`;
    const buckets = lakeBuckets(this, config.project, config.env);
    const layers = Object.entries(policy.layers) as [
      BucketRole,
      NonNullable<BackupConfig['layers'][keyof BackupConfig['layers']]>,
    ][];
    const primary = layers.filter(([, l]) => !l.rebuildableFromBronze).map(([b]) => buckets[b]);
    const rebuildable = layers.filter(([, l]) => l.rebuildableFromBronze).map(([b]) => buckets[b]);

    this.alerts = new sns.Topic(this, 'Alerts', {
      displayName: `${config.project} ${config.env} backup failures`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of config.notifications.emails)
      this.alerts.addSubscription(new subscriptions.EmailSubscription(email));

    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: name,
      encryptionKey: key,
      // A vault holding recovery points cannot be deleted anyway; keep it when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
      lockConfiguration: policy.vaultLock && {
        minRetention: Duration.days(policy.vaultLock.minRetentionDays),
        maxRetention: Duration.days(policy.vaultLock.maxRetentionDays),
        changeableFor: Duration.days(policy.vaultLock.changeableForDays),
      },
    });
    this.vault.addToAccessPolicy(
      new iam.PolicyStatement({
        sid: 'DenyRecoveryPointDeletion',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...protectedVaultActions],
        resources: ['*'],
        conditions: policy.recoveryPointAdmins.length
          ? { ArnNotLike: { 'aws:PrincipalArn': policy.recoveryPointAdmins } }
          : undefined,
      }),
    );

    this.role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `AWS Backup of the ${config.project} ${config.env} lake's buckets: backs up, restores and restore-tests them.`,
      managedPolicies: s3BackupPolicies.map((p) => iam.ManagedPolicy.fromAwsManagedPolicyName(p)),
    });
    // The buckets' objects and the vault's recovery points are encrypted with the lake key.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [key.keyArn],
      }),
    );

    this.disasterRecoveryVaultArn = policy.copy?.vaultArn;
    const copyTo = policy.copy
      ? backup.BackupVault.fromBackupVaultArn(this, 'DisasterRecoveryVault', policy.copy.vaultArn)
      : undefined;
    const snapshotRule = (ruleName: string, rule: BackupConfig['snapshots'][string]) =>
      new backup.BackupPlanRule({
        ruleName,
        scheduleExpression: events.Schedule.expression(rule.schedule),
        deleteAfter: Duration.days(rule.retentionDays),
        moveToColdStorageAfter:
          rule.coldStorageAfterDays === undefined
            ? undefined
            : Duration.days(rule.coldStorageAfterDays),
        copyActions: copyTo && [
          {
            destinationBackupVault: copyTo,
            deleteAfter: Duration.days(policy.copy!.retentionDays ?? rule.retentionDays),
            moveToColdStorageAfter:
              rule.coldStorageAfterDays === undefined
                ? undefined
                : Duration.days(rule.coldStorageAfterDays),
          },
        ],
      });
    const snapshots = Object.entries(policy.snapshots);
    if (primary.length > 0)
      this.plan('Lake', `${name}`, primary, [
        new backup.BackupPlanRule({
          ruleName: 'continuous',
          enableContinuousBackup: true,
          deleteAfter: Duration.days(policy.continuousRetentionDays),
        }),
        ...snapshots.map(([ruleName, rule]) => snapshotRule(ruleName, rule)),
      ]);
    const rebuildableRules = snapshots.filter(([, r]) => r.includeRebuildable);
    if (rebuildable.length > 0 && rebuildableRules.length > 0)
      this.plan(
        'Rebuildable',
        `${name}-rebuildable`,
        rebuildable,
        rebuildableRules.map(([ruleName, rule]) => snapshotRule(ruleName, rule)),
      );

    if (policy.restoreTesting && primary.length > 0)
      this.restoreTesting = this.restoreTest(config, policy, primary, key);
    if (policy.catalogExport)
      this.catalogBackup = this.catalogBackupFunctions(
        config,
        policy.catalogExport,
        key,
        buckets.audit,
      );
    this.alertOnFailures(name);
  }

  private plan(
    id: string,
    backupPlanName: string,
    buckets: readonly { bucketArn: string }[],
    rules: backup.BackupPlanRule[],
  ): void {
    const plan = new backup.BackupPlan(this, `${id}Plan`, {
      backupPlanName,
      backupVault: this.vault,
      backupPlanRules: rules,
    });
    // The L1 selection: the L2 one attaches AWSBackupServiceRolePolicyForBackup, which covers
    // every resource type AWS Backup knows, where the S3 policies are all the lake needs.
    new backup.CfnBackupSelection(this, `${id}Selection`, {
      backupPlanId: plan.backupPlanId,
      backupSelection: {
        selectionName: `${backupPlanName}-buckets`,
        iamRoleArn: this.role.roleArn,
        resources: buckets.map((b) => b.bucketArn),
      },
    });
    this.plans.push(plan);
  }

  /**
   * The scheduled restore test: AWS Backup restores the newest recovery point of each bucket nothing
   * rebuilds into a new bucket, the validation function checks it (on the restore job's
   * completion) and reports the verdict, and AWS Backup deletes the bucket after the window.
   * https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html
   */
  private restoreTest(
    config: PlatformConfig,
    policy: BackupConfig,
    buckets: readonly { bucketArn: string }[],
    key: kms.IKey,
  ) {
    const testing = policy.restoreTesting!;
    const planName = `${config.project}_${config.env}_lake`;
    const plan = new backup.CfnRestoreTestingPlan(this, 'RestoreTestingPlan', {
      restoreTestingPlanName: planName,
      scheduleExpression: testing.schedule,
      recoveryPointSelection: {
        algorithm: 'LATEST_WITHIN_WINDOW',
        includeVaults: [this.vault.backupVaultArn],
        recoveryPointTypes: Object.keys(policy.snapshots).length ? ['SNAPSHOT'] : ['CONTINUOUS'],
        selectionWindowDays: testing.selectionWindowDays,
      },
    });
    const selection = new backup.CfnRestoreTestingSelection(this, 'RestoreTestingSelection', {
      restoreTestingPlanName: planName,
      restoreTestingSelectionName: `${config.project}_${config.env}_buckets`,
      protectedResourceType: 'S3',
      protectedResourceArns: buckets.map((b) => b.bucketArn),
      iamRoleArn: this.role.roleArn,
      validationWindowHours: testing.validationWindowHours,
    });
    selection.addResourceDependency(plan);

    const fn = new PlatformFunction(this, 'RestoreValidation', {
      entry: 'restore-validation',
      description:
        'Validates a restore test: the restored bucket holds objects and every table its metadata.json; reports the verdict to AWS Backup.',
      definitions: 'none',
      environment: {},
      memorySize: 256,
      timeout: Duration.minutes(5),
      logEncryptionKey: key,
      logRetention:
        config.env === 'prod' ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const restoredBuckets = `arn:${this.partition}:s3:::*`;
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [restoredBuckets],
        conditions: { StringEquals: { 'aws:ResourceAccount': this.account } },
      }),
    );
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['backup:PutRestoreValidationResult'],
        resources: ['*'],
      }),
    );
    acknowledgeWildcard(
      fn.role,
      restoredBuckets,
      'AWS Backup names the bucket a restore test creates when it restores; the function lists only buckets of this account (aws:ResourceAccount) and reads no object.',
    );
    acknowledgeWildcard(
      fn.role,
      '*',
      'backup:PutRestoreValidationResult and X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
    );
    new events.Rule(this, 'RestoreCompleted', {
      description:
        'A restore job of the restore testing plan completed: validate what it restored.',
      eventPattern: {
        source: ['aws.backup'],
        detailType: ['Restore Job State Change'],
        detail: { status: ['COMPLETED'], restoreTestingPlanArn: [plan.attrRestoreTestingPlanArn] },
      },
      targets: [new eventTargets.LambdaFunction(fn.function, { retryAttempts: 4 })],
    });
    return { plan, selection, validation: fn.function };
  }

  /**
   * The Glue Data Catalog, which AWS Backup does not cover: an export function on config's
   * schedule writes the project's databases and tables to the audit bucket's `dr/catalog/` (which
   * AWS Backup does cover, and S3 expires after `retentionDays`: Storage stack), and a restore
   * function, invoked on demand, recreates them from an export. Each may touch only the project's
   * databases and tables (`<project>_<env>_*`) and the exports; Lake Formation grants them the
   * same (Access stack, `CatalogBackupGrants`).
   */
  private catalogBackupFunctions(
    config: PlatformConfig,
    catalogExport: NonNullable<BackupConfig['catalogExport']>,
    key: kms.IKey,
    audit: s3.IBucket,
  ) {
    const databasePrefix = `${config.project}_${config.env}_`;
    const glueArn = (resource: string) =>
      `arn:${this.partition}:glue:${this.region}:${this.account}:${resource}`;
    const catalog = glueArn('catalog');
    const databases = glueArn(`database/${databasePrefix}*`);
    const tables = glueArn(`table/${databasePrefix}*/*`);
    const exports = audit.arnForObjects(`${catalogExportPrefix}*`);
    const viaS3 = { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } };
    const fn = (id: string, entry: string, description: string) =>
      new PlatformFunction(this, id, {
        entry,
        description,
        definitions: 'none',
        environment: catalogBackupEnvironment({
          MEDALLION_AUDIT_BUCKET: audit.bucketName,
          MEDALLION_DATABASE_PREFIX: databasePrefix,
        }),
        memorySize: 512,
        timeout: Duration.minutes(10),
        logEncryptionKey: key,
        logRetention:
          config.env === 'prod' ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    const grant = (
      target: PlatformFunction,
      actions: string[],
      resources: string[],
      conditions?: Record<string, unknown>,
    ) => target.role.addToPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    const wildcards = (target: PlatformFunction) => {
      for (const resource of [databases, tables])
        acknowledgeWildcard(
          target.role,
          resource,
          `The project's Glue databases and tables (${databasePrefix}*), which the catalog sync and the pipeline create at run time under names no template knows.`,
        );
      acknowledgeWildcard(
        target.role,
        exports,
        `The catalog exports, one folder per run under ${catalogExportPrefix} of the audit bucket.`,
      );
      acknowledgeWildcard(
        target.role,
        '*',
        'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
      );
    };

    const exporter = fn(
      'CatalogExport',
      'catalog-export',
      `Exports the project's Glue databases and tables (Iceberg metadata locations included) to s3://<audit>/${catalogExportPrefix}, manifest last.`,
    );
    grant(exporter, ['glue:GetDatabases', 'glue:GetTables'], [catalog, databases, tables]);
    grant(exporter, ['s3:PutObject'], [exports]);
    grant(exporter, ['kms:GenerateDataKey'], [key.keyArn], viaS3);
    wildcards(exporter);
    const schedule = new events.Rule(this, 'CatalogExportSchedule', {
      description: `Exports the ${config.project} ${config.env} Glue Data Catalog for disaster recovery (backup.catalogExport.schedule).`,
      schedule: events.Schedule.expression(catalogExport.schedule),
      targets: [new eventTargets.LambdaFunction(exporter.function, { retryAttempts: 2 })],
    });

    const restorer = fn(
      'CatalogRestore',
      'catalog-restore',
      "Recreates the project's Glue databases and tables from a catalog export; invoked on demand (docs/recovery.md).",
    );
    grant(
      restorer,
      [
        'glue:GetDatabase',
        'glue:GetTables',
        'glue:CreateDatabase',
        'glue:UpdateDatabase',
        'glue:CreateTable',
        'glue:UpdateTable',
      ],
      [catalog, databases, tables],
    );
    grant(restorer, ['s3:GetObject'], [exports]);
    grant(restorer, ['kms:Decrypt'], [key.keyArn], viaS3);
    wildcards(restorer);
    return { export: exporter, restore: restorer, schedule };
  }

  /** Every failed backup, copy or restore job of the account's AWS Backup, and every failed or timed-out validation. */
  private alertOnFailures(name: string): void {
    // The topic as a target without CDK's SnsTopic, which grants events.amazonaws.com the lake
    // key with no condition: the topic policy names these rules, the key policy this account's
    // rules (StorageStack, allowEventBridgeToUseKey).
    const alert = (id: string, description: string, pattern: events.EventPattern) => {
      const rule = new events.Rule(this, id, {
        description,
        eventPattern: { source: ['aws.backup'], ...pattern },
      });
      rule.addTarget({ bind: () => ({ arn: this.alerts.topicArn }) });
      this.alerts.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.alerts.topicArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      );
    };
    alert('BackupJobFailed', `A backup job into ${name} failed, was aborted or expired.`, {
      detailType: ['Backup Job State Change'],
      detail: { state: ['FAILED', 'ABORTED', 'EXPIRED'], backupVaultName: [name] },
    });
    alert(
      'CopyJobFailed',
      "A copy job of the account's AWS Backup (the snapshots' copies to the disaster-recovery vault) failed or was aborted.",
      {
        detailType: ['Copy Job State Change'],
        detail: { state: ['FAILED', 'ABORTED'] },
      },
    );
    alert(
      'RestoreJobFailed',
      'A restore job (a restore test or a recovery) failed or was aborted.',
      {
        detailType: ['Restore Job State Change'],
        detail: { status: ['FAILED', 'ABORTED'] },
      },
    );
    alert(
      'RestoreValidationFailed',
      'A restore test failed its validation or timed out before one.',
      {
        detailType: ['Restore Job State Change'],
        detail: { validationStatus: ['FAILED', 'TIMED_OUT'] },
      },
    );
  }
}
