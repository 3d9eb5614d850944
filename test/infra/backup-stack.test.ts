import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { bucketName, type BucketRole } from '../../lambdas/core/aws-names';
import { protectedVaultActions, s3BackupPolicies } from '../../lib/stacks/backup-stack';
import { synthesize } from '../helpers/cdk';

/** The properties these tests read, of the resources they read them from. */
type Properties = {
  BackupVaultName?: string;
  LockConfiguration?: unknown;
  AccessPolicy?: { Statement: unknown[] };
  BackupPlan?: { BackupPlanName: string; BackupPlanRule: PlanRule[] };
  BackupSelection?: { SelectionName: string; Resources: unknown[]; IamRoleArn: unknown };
  AssumeRolePolicyDocument?: { Statement: { Principal: unknown }[] };
  ManagedPolicyArns?: unknown[];
  Roles?: unknown[];
  PolicyDocument?: { Statement: { Action: string | string[] }[] };
  EventPattern?: { 'detail-type': string[]; detail: unknown };
  Targets?: unknown;
  [key: string]: unknown;
};
type Resource = { Properties: Properties };
type PlanRule = {
  RuleName: string;
  ScheduleExpression?: string;
  EnableContinuousBackup?: boolean;
  Lifecycle: { DeleteAfterDays: number; MoveToColdStorageAfterDays?: number };
  CopyActions?: { DestinationBackupVaultArn: string; Lifecycle: Record<string, number> }[];
};

describe.each(['dev', 'prod'])('backup stack (%s)', (env) => {
  const backupStack = async () => {
    const { project, templates, stacks } = await synthesize(env);
    const { config } = project;
    const policy = config.backup!;
    const template = templates.backup;
    const only = (type: string) => {
      const found = Object.values(template.findResources(type)) as Resource[];
      expect(found, type).toHaveLength(1);
      return found[0]!.Properties;
    };
    const bucketArn = (role: BucketRole) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:s3:::${bucketName(config.project, env, role, config.aws.account!, config.aws.region!)}`,
        ],
      ],
    });
    const layers = Object.entries(policy.layers) as [
      BucketRole,
      { rebuildableFromBronze: boolean },
    ][];
    const primary = layers.filter(([, l]) => !l.rebuildableFromBronze).map(([r]) => r);
    const rebuildable = layers.filter(([, l]) => l.rebuildableFromBronze).map(([r]) => r);
    const plans = Object.fromEntries(
      (Object.values(template.findResources('AWS::Backup::BackupPlan')) as Resource[]).map((p) => [
        p.Properties.BackupPlan!.BackupPlanName,
        p.Properties.BackupPlan!.BackupPlanRule,
      ]),
    );
    return { config, policy, template, stacks, only, bucketArn, primary, rebuildable, plans };
  };

  it('keeps recovery points in one vault encrypted with the lake key, locked where config locks it', async () => {
    const { config, policy, only } = await backupStack();
    const vault = only('AWS::Backup::BackupVault');
    expect(vault.BackupVaultName).toBe(`${config.project}-${env}-lake`);
    expect(vault.EncryptionKeyArn).toEqual({
      'Fn::ImportValue': expect.stringMatching(/Storage:ExportsOutputFnGetAttLakeKey.*Arn/),
    });
    if (env === 'prod') {
      expect(policy.vaultLock).toBeDefined();
      expect(vault.LockConfiguration).toEqual({
        MinRetentionDays: policy.vaultLock!.minRetentionDays,
        MaxRetentionDays: policy.vaultLock!.maxRetentionDays,
        ChangeableForDays: policy.vaultLock!.changeableForDays,
      });
    } else expect(vault.LockConfiguration).toBeUndefined();
  });

  it('denies everyone the deletion of recovery points through the vault’s access policy', async () => {
    const { only } = await backupStack();
    expect(only('AWS::Backup::BackupVault').AccessPolicy!.Statement).toEqual([
      {
        Sid: 'DenyRecoveryPointDeletion',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: [...protectedVaultActions],
        Resource: '*',
      },
    ]);
    expect(protectedVaultActions).toContain('backup:DeleteRecoveryPoint');
  });

  it('backs up layers nothing rebuilds continuously and by every snapshot rule, with config’s retention', async () => {
    const { config, policy, plans } = await backupStack();
    const rules = plans[`${config.project}-${env}-lake`]!;
    expect(rules.map((r) => r.RuleName)).toEqual(['continuous', ...Object.keys(policy.snapshots)]);
    expect(rules[0]).toMatchObject({
      EnableContinuousBackup: true,
      Lifecycle: { DeleteAfterDays: policy.continuousRetentionDays },
    });
    for (const [name, snapshot] of Object.entries(policy.snapshots)) {
      const rule = rules.find((r) => r.RuleName === name)!;
      expect(rule.ScheduleExpression).toBe(snapshot.schedule);
      expect(rule.EnableContinuousBackup).toBeUndefined();
      expect(rule.Lifecycle).toEqual({
        DeleteAfterDays: snapshot.retentionDays,
        ...(snapshot.coldStorageAfterDays === undefined
          ? {}
          : { MoveToColdStorageAfterDays: snapshot.coldStorageAfterDays }),
      });
    }
  });

  it('snapshots layers rebuildable from bronze only by the rules that include them, without continuous backup', async () => {
    const { config, policy, plans } = await backupStack();
    const included = Object.entries(policy.snapshots).filter(([, r]) => r.includeRebuildable);
    const rules = plans[`${config.project}-${env}-lake-rebuildable`];
    if (included.length === 0) {
      expect(rules).toBeUndefined();
      return;
    }
    expect(rules!.map((r) => r.RuleName)).toEqual(included.map(([name]) => name));
    expect(rules!.some((r) => r.EnableContinuousBackup)).toBe(false);
  });

  it('selects the lake’s buckets by ARN, each in the plan its layer belongs to, with the Backup role', async () => {
    const { config, template, bucketArn, primary, rebuildable, plans } = await backupStack();
    const selections = Object.values(
      template.findResources('AWS::Backup::BackupSelection'),
    ) as Resource[];
    const selected = Object.fromEntries(
      selections.map((s) => [s.Properties.BackupSelection!.SelectionName, s.Properties]),
    );
    expect(selected[`${config.project}-${env}-lake-buckets`]!.BackupSelection!.Resources).toEqual(
      primary.map(bucketArn),
    );
    if (plans[`${config.project}-${env}-lake-rebuildable`])
      expect(
        selected[`${config.project}-${env}-lake-rebuildable-buckets`]!.BackupSelection!.Resources,
      ).toEqual(rebuildable.map(bucketArn));
    for (const s of selections)
      expect(s.Properties.BackupSelection!.IamRoleArn).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^ServiceRole/), 'Arn'],
      });
  });

  it('gives AWS Backup’s role the S3 backup and restore managed policies and the lake key, nothing else', async () => {
    const { template } = await backupStack();
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) =>
      id.startsWith('ServiceRole'),
    ) as [string, Resource][];
    expect(roles).toHaveLength(1);
    const [[, role]] = roles as [[string, Resource]];
    expect(role.Properties.AssumeRolePolicyDocument!.Statement[0]!.Principal).toEqual({
      Service: 'backup.amazonaws.com',
    });
    expect(role.Properties.ManagedPolicyArns).toEqual(
      s3BackupPolicies.map((p) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${p}`]],
      })),
    );
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roles[0]![0] }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
            Resource: { 'Fn::ImportValue': Match.stringLikeRegexp('LakeKey') },
          },
        ],
      },
    });
  });

  it('copies every snapshot to the DR vault when config names one, and only then', async () => {
    const { policy, plans } = await backupStack();
    const snapshotRules = Object.values(plans)
      .flat()
      .filter((r) => !r.EnableContinuousBackup);
    expect(snapshotRules.length).toBeGreaterThan(0);
    for (const rule of snapshotRules) {
      if (!policy.copy) {
        expect(rule.CopyActions).toBeUndefined();
        continue;
      }
      expect(rule.CopyActions).toEqual([
        {
          DestinationBackupVaultArn: policy.copy.vaultArn,
          Lifecycle: {
            DeleteAfterDays: policy.copy.retentionDays ?? rule.Lifecycle.DeleteAfterDays,
            ...(rule.Lifecycle.MoveToColdStorageAfterDays === undefined
              ? {}
              : { MoveToColdStorageAfterDays: rule.Lifecycle.MoveToColdStorageAfterDays }),
          },
        },
      ]);
    }
    expect(policy.copy !== undefined).toBe(env === 'prod');
  });

  it('restore-tests the newest snapshot of the buckets nothing rebuilds, on config’s schedule', async () => {
    const { config, policy, only, bucketArn, primary } = await backupStack();
    const testing = policy.restoreTesting!;
    expect(only('AWS::Backup::RestoreTestingPlan')).toMatchObject({
      RestoreTestingPlanName: `${config.project}_${env}_lake`,
      ScheduleExpression: testing.schedule,
      RecoveryPointSelection: {
        Algorithm: 'LATEST_WITHIN_WINDOW',
        IncludeVaults: [{ 'Fn::GetAtt': [expect.stringMatching(/^Vault/), 'BackupVaultArn'] }],
        RecoveryPointTypes: ['SNAPSHOT'],
        SelectionWindowDays: testing.selectionWindowDays,
      },
    });
    expect(only('AWS::Backup::RestoreTestingSelection')).toMatchObject({
      RestoreTestingPlanName: `${config.project}_${env}_lake`,
      ProtectedResourceType: 'S3',
      ProtectedResourceArns: primary.map(bucketArn),
      ValidationWindowHours: testing.validationWindowHours,
      IamRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^ServiceRole/), 'Arn'] },
    });
  });

  it('validates each completed restore of the plan with the restore validation function, which may list buckets and report the verdict only', async () => {
    const { template, stacks } = await backupStack();
    const fn = stacks.backup.restoreTesting!.validation;
    const fnId = stacks.backup.getLogicalId(fn.node.defaultChild as never);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.backup'],
        'detail-type': ['Restore Job State Change'],
        detail: {
          status: ['COMPLETED'],
          restoreTestingPlanArn: [
            { 'Fn::GetAtt': ['RestoreTestingPlan', 'RestoreTestingPlanArn'] },
          ],
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
    const roleId = stacks.backup.getLogicalId(fn.role!.node.defaultChild as never);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
    const statements = policies
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument!.Statement);
    expect(statements.flatMap((s) => s.Action).sort()).toEqual([
      'backup:PutRestoreValidationResult',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:ListBucket',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  /** The statements of a function's role without its logging and tracing, resources resolved to text. */
  const grantsOf = async (fn: { role: { node: { defaultChild?: unknown } } }) => {
    const { template, stacks } = await backupStack();
    const roleId = stacks.backup.getLogicalId(fn.role.node.defaultChild as never);
    const text = (value: unknown): string =>
      typeof value === 'string'
        ? value
        : JSON.stringify(value)
            .replace(/\{"Fn::Join":\["",\[(.*)\]\]\}/, '$1')
            .replaceAll('{"Ref":"AWS::Partition"}', 'aws')
            .replace(/\{"Fn::ImportValue":"[^"]*LakeKey[^"]*"\}/, 'lake-key')
            .replaceAll('"', '')
            .replaceAll(',', '');
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
    return policies
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(
        (p) =>
          p.Properties.PolicyDocument!.Statement as {
            Action: string | string[];
            Resource: unknown;
            Condition?: unknown;
          }[],
      )
      .filter((st) => ![st.Action].flat().some((a) => /^(logs|xray):/.test(a)))
      .map((st) => ({
        actions: [st.Action].flat().sort(),
        resources: [st.Resource].flat().map(text),
        ...(st.Condition ? { condition: st.Condition } : {}),
      }));
  };
  const catalogScope = async () => {
    const { config } = await backupStack();
    const { account, region } = config.aws;
    const prefix = `${config.project}_${env}_`;
    const audit = bucketName(config.project, env, 'audit', account!, region!);
    return {
      prefix,
      audit,
      glue: ['catalog', `database/${prefix}*`, `table/${prefix}*/*`].map(
        (r) => `arn:aws:glue:${region}:${account}:${r}`,
      ),
      exports: [`arn:aws:s3:::${audit}/dr/catalog/*`],
      viaS3: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
    };
  };

  it("exports the Glue Data Catalog on config's schedule, reading only the project's databases and tables and writing only under dr/catalog/ of the audit bucket", async () => {
    const { policy, template, stacks } = await backupStack();
    const { prefix, audit, glue, exports, viaS3 } = await catalogScope();
    const { export: exporter } = stacks.backup.catalogBackup!;
    const fnId = stacks.backup.getLogicalId(exporter.function.node.defaultChild as never);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: policy.catalogExport!.schedule,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
    expect(template.toJSON().Resources[fnId].Properties.Environment.Variables).toEqual({
      MEDALLION_AUDIT_BUCKET: audit,
      MEDALLION_DATABASE_PREFIX: prefix,
      POWERTOOLS_SERVICE_NAME: 'catalog-export',
    });
    expect(await grantsOf(exporter)).toEqual([
      { actions: ['glue:GetDatabases', 'glue:GetTables'], resources: glue },
      { actions: ['s3:PutObject'], resources: exports },
      { actions: ['kms:GenerateDataKey'], resources: ['lake-key'], condition: viaS3 },
    ]);
  });

  it("restores the catalog on demand only: no trigger, and only the project's databases and tables and the exports' objects", async () => {
    const { template, stacks } = await backupStack();
    const { glue, exports, viaS3 } = await catalogScope();
    const { restore } = stacks.backup.catalogBackup!;
    const fnArn = {
      'Fn::GetAtt': [
        stacks.backup.getLogicalId(restore.function.node.defaultChild as never),
        'Arn',
      ],
    };
    expect(JSON.stringify(template.findResources('AWS::Events::Rule'))).not.toContain(
      JSON.stringify(fnArn),
    );
    expect(
      template.findResources('AWS::Lambda::Permission', {
        Properties: { FunctionName: fnArn },
      }),
    ).toEqual({});
    expect(await grantsOf(restore)).toEqual([
      {
        actions: [
          'glue:CreateDatabase',
          'glue:CreateTable',
          'glue:GetDatabase',
          'glue:GetTables',
          'glue:UpdateDatabase',
          'glue:UpdateTable',
        ],
        resources: glue,
      },
      { actions: ['s3:GetObject'], resources: exports },
      { actions: ['kms:Decrypt'], resources: ['lake-key'], condition: viaS3 },
    ]);
  });

  it('expires catalog exports after backup.catalogExport.retentionDays, under dr/catalog/ of the audit bucket only', async () => {
    const { policy } = await backupStack();
    const { templates } = await synthesize(env);
    const { audit } = await catalogScope();
    const auditBucket = Object.values(
      templates.storage.findResources('AWS::S3::Bucket', {
        Properties: { BucketName: audit },
      }),
    ) as Resource[];
    expect(
      (auditBucket[0]!.Properties.LifecycleConfiguration as { Rules: { Id: string }[] }).Rules.find(
        (r) => r.Id === 'expire-catalog-exports',
      ),
    ).toEqual({
      Id: 'expire-catalog-exports',
      Status: 'Enabled',
      Prefix: 'dr/catalog/',
      ExpirationInDays: policy.catalogExport!.retentionDays,
    });
  });

  it('alerts on failed backup, copy and restore jobs and on failed or timed-out validations', async () => {
    const { config, template } = await backupStack();
    const alerts = (Object.values(template.findResources('AWS::Events::Rule')) as Resource[])
      .filter((r) => JSON.stringify(r.Properties.Targets).includes('Alerts'))
      .map((r) => ({
        detailType: r.Properties.EventPattern!['detail-type'][0],
        detail: r.Properties.EventPattern!.detail,
      }));
    expect(alerts).toEqual([
      {
        detailType: 'Backup Job State Change',
        detail: {
          state: ['FAILED', 'ABORTED', 'EXPIRED'],
          backupVaultName: [`${config.project}-${env}-lake`],
        },
      },
      { detailType: 'Copy Job State Change', detail: { state: ['FAILED', 'ABORTED'] } },
      { detailType: 'Restore Job State Change', detail: { status: ['FAILED', 'ABORTED'] } },
      {
        detailType: 'Restore Job State Change',
        detail: { validationStatus: ['FAILED', 'TIMED_OUT'] },
      },
    ]);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('LakeKey') },
    });
    // EventBridge may publish for these four rules only (and uses the lake key for this
    // account's rules only: the Storage stack's key policy, checked with the Pipeline stack).
    const [topicPolicy] = Object.values(
      template.findResources('AWS::SNS::TopicPolicy'),
    ) as Resource[];
    const publishers = (
      topicPolicy!.Properties.PolicyDocument!.Statement as {
        Principal?: { Service?: string };
        Condition?: { ArnEquals: { 'aws:SourceArn': unknown } };
      }[]
    ).filter((st) => st.Principal?.Service === 'events.amazonaws.com');
    expect(publishers.map((st) => st.Condition?.ArnEquals['aws:SourceArn'])).toEqual(
      ['BackupJobFailed', 'CopyJobFailed', 'RestoreJobFailed', 'RestoreValidationFailed'].map(
        (id) => ({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${id}`)), 'Arn'] }),
      ),
    );
    for (const email of config.notifications.emails)
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
      });
  });
});
