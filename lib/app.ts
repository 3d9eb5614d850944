import { CfnOutput, Tags, Validations, type Environment, type Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { PlatformConfig } from '../config/schema';
import type { ContractRegistry } from '../lambdas/core/contracts/contract';
import { buildLineageGraph } from '../lambdas/core/lineage/graph';
import type { ModelProject } from '../lambdas/core/models/project';
import { pascal } from './names';
import { acknowledgeFindings } from './nag';
import { CatalogStack } from './stacks/catalog-stack';
import { PipelineStack } from './stacks/pipeline-stack';
import { StorageStack } from './stacks/storage-stack';
import { AccessStack } from './stacks/access-stack';
import { BackupStack } from './stacks/backup-stack';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { persona, personaNames, type AccessPolicy } from '../lambdas/core/access/policy';
import type { TaskName } from '../lambdas/core/tasks';
import { personaDatabases } from '../lambdas/core/access/persona-views';
import { personaDatabaseName } from '../lambdas/core/aws-names';

export interface AppDefinitions {
  readonly config: PlatformConfig;
  /** `config/access.yaml`: without it there is no Access stack. */
  readonly access?: AccessPolicy;
  readonly contracts: ContractRegistry;
  readonly models: ModelProject;
}

export interface MedallionStacks {
  readonly storage: StorageStack;
  readonly catalog: CatalogStack;
  readonly pipeline: PipelineStack;
  readonly access?: AccessStack;
  /** AWS Backup of the lake: only with `backup:` in config. */
  readonly backup?: BackupStack;
}

/**
 * The whole platform for one environment, used by `bin/app.ts`, by the delivery pipeline's stages
 * (`scope` is then a `Stage`) and by the tests. Stacks are split by lifecycle: storage (retained
 * data) apart from the catalog and from compute, so redeploying compute never touches data. Stack
 * names are the ids in either scope, so the pipeline deploys the very stacks `cdk deploy` does.
 * cdk-nag's AWS Solutions and NIST 800-53 R5 checks run on every synth. With `-c commit=<sha>`
 * each stack outputs `Version`, the commit it was synthesized from (one output, not a tag on every
 * resource, which would update them all on every deploy).
 */
export function createApp(scope: Construct, definitions: AppDefinitions): MedallionStacks {
  const { config } = definitions;
  const env: Environment | undefined =
    config.aws.account || config.aws.region
      ? { account: config.aws.account, region: config.aws.region }
      : undefined;
  const prefix = `${pascal(config.project)}-${pascal(config.env)}`;
  const common = { env, terminationProtection: config.env === 'prod' };

  const storage = new StorageStack(scope, `${prefix}-Storage`, {
    ...common,
    stackName: `${prefix}-Storage`,
    description: `${config.project} ${config.env}: KMS key and the lake's buckets (retained data).`,
    config,
  });
  const catalog = new CatalogStack(scope, `${prefix}-Catalog`, {
    ...common,
    stackName: `${prefix}-Catalog`,
    description: `${config.project} ${config.env}: Glue databases and tables, Athena workgroups.`,
    config,
    contracts: definitions.contracts,
    models: definitions.models,
    key: storage.key,
    personaWorkgroups: definitions.access
      ? personaNames(definitions.access).map((p) => persona(definitions.access!, p).workgroup)
      : [],
  });
  catalog.addStackDependency(storage);
  const pipeline = new PipelineStack(scope, `${prefix}-Pipeline`, {
    ...common,
    stackName: `${prefix}-Pipeline`,
    description: `${config.project} ${config.env}: Lambda functions, state machines, schedules and alerts.`,
    config,
    key: storage.key,
    columnLineage: buildLineageGraph(definitions).columnLineage(),
    contracts: definitions.contracts,
    personaDatabases: definitions.access
      ? personaDatabases(definitions.access, {
          database: (persona, schema) =>
            personaDatabaseName(config.project, config.env, persona, schema),
        })
      : [],
  });
  pipeline.addStackDependency(catalog);
  const backup = config.backup
    ? new BackupStack(scope, `${prefix}-Backup`, {
        ...common,
        stackName: `${prefix}-Backup`,
        description: `${config.project} ${config.env}: AWS Backup vault, plans and restore testing of the lake's buckets.`,
        config,
        backup: config.backup,
        key: storage.key,
      })
    : undefined;
  backup?.addStackDependency(storage);

  const access = definitions.access
    ? new AccessStack(scope, `${prefix}-Access`, {
        ...common,
        stackName: `${prefix}-Access`,
        description: `${config.project} ${config.env}: Lake Formation settings, LF-tags, grants, persona roles and the access trail.`,
        config,
        contracts: definitions.contracts,
        policy: definitions.access,
        key: storage.key,
        cloudFormationTables: catalog.tables,
        pipelineRoles: Object.fromEntries(
          Object.entries(pipeline.functions).map(([task, fn]) => [task, fn.role!]),
        ) as Record<TaskName, iam.IRole>,
        ...(backup?.catalogBackup
          ? {
              catalogBackupRoles: {
                export: backup.catalogBackup.export.role,
                restore: backup.catalogBackup.restore.role,
              },
            }
          : {}),
      })
    : undefined;
  if (access) {
    access.addStackDependency(catalog);
    access.addStackDependency(pipeline);
    if (backup) access.addStackDependency(backup);
  }

  Tags.of(scope).add('project', config.project);
  Tags.of(scope).add('environment', config.env);
  const stacks = {
    storage,
    catalog,
    pipeline,
    ...(access ? { access } : {}),
    ...(backup ? { backup } : {}),
  };
  const version: unknown = scope.node.tryGetContext('commit');
  if (typeof version === 'string' && version !== '')
    for (const stack of Object.values(stacks) as Stack[])
      new CfnOutput(stack, 'Version', {
        value: version,
        description: 'The git commit this stack was synthesized from.',
      });
  acknowledgeFindings(stacks);
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope), new NIST80053R5Checks(scope));
  return stacks;
}
