import { ArnFormat, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { PlatformConfig } from '../../config/schema';
import {
  glueDatabaseName,
  lakeSchemas,
  schemaLocations,
  stateMachineName,
  workgroupName,
  type BucketRole,
  type LakeSchema,
} from '../../lambdas/core/aws-names';
import { parseRedshiftConnection, parseSnowflakeConnection } from '../../lambdas/core/connections';
import { jobs } from '../../lambdas/core/orchestration';
import type { TaskName } from '../../lambdas/core/tasks';
import { pascal } from '../names';
import { acknowledgeWildcard } from './acknowledge';
import { grantObjects } from './grants';

/** What a task's grants may name: the stack's resources and the lake's. */
export interface GrantContext {
  readonly stack: Stack;
  readonly config: PlatformConfig;
  readonly key: kms.IKey;
  readonly buckets: Record<BucketRole, s3.IBucket>;
  readonly failureTopic: sns.ITopic;
}

/**
 * Each task's permissions, next to nothing else: only the buckets, prefixes, actions and APIs its
 * handler touches. A task of the catalogue without an entry here does not compile.
 */
export const taskGrants: Record<TaskName, (fn: lambda.IFunction, ctx: GrantContext) => void> = {
  IngestWarehouse: (fn, ctx) => {
    grantIngestion(fn, ctx);
    grantSourceSecrets(fn, ctx, 'warehouse');
    grantRedshift(fn, ctx);
  },
  IngestRest: (fn, ctx) => {
    grantIngestion(fn, ctx);
    grantSourceSecrets(fn, ctx, 'rest');
  },
  KafkaDrain: grantIngestion,
  KafkaEvents: grantIngestion,
  IngestLanding: (fn, ctx) => {
    grantIngestion(fn, ctx);
    grantObjects(fn, ctx.buckets.landing, ctx.key, { read: true, write: true, delete: true });
  },
  Transform: grantTransform,
  DataQuality: grantDataQuality,
  CatalogSync: grantCatalogSync,
  NotifyFailure: (fn, { failureTopic, key }) => {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [failureTopic.topicArn] }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
      }),
    );
  },
  RecordRun: grantRecordRun,
};

/**
 * Every ingestion writes bronze and its ledger (watermarks, commit log) under `state/`, and its
 * OpenLineage events under `lineage/`.
 */
function grantIngestion(fn: lambda.IFunction, { buckets, key }: GrantContext): void {
  grantObjects(fn, buckets.bronze, key, { read: true, write: true, delete: true });
  grantObjects(fn, buckets.audit, key, { read: true, write: true, prefix: 'state/' });
  grantLineage(fn, buckets, key);
}

/** Where every task writes its OpenLineage events. */
function grantLineage(
  fn: lambda.IFunction,
  buckets: Record<BucketRole, s3.IBucket>,
  key: kms.IKey,
): void {
  grantObjects(fn, buckets.audit, key, { write: true, prefix: 'lineage/' });
}

/** Each secret named in config is readable by the functions of its source kind only. */
function grantSourceSecrets(
  fn: lambda.IFunction,
  { stack, config }: GrantContext,
  kind: 'rest' | 'warehouse',
): void {
  for (const [name, source] of Object.entries(config.sources)) {
    // A warehouse connection missing a key fails the synth here, naming it, not a run later.
    if (source.kind === 'warehouse' && source.engine === 'snowflake')
      parseSnowflakeConnection(name, source.connection);
    if (source.kind !== kind) continue;
    const secretName = source.kind === 'rest' ? source.secret : source.connection.secret;
    if (!secretName) continue;
    const secret = secretsmanager.Secret.fromSecretNameV2(
      stack,
      `${pascal(name)}Secret`,
      secretName,
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretArn],
      }),
    );
  }
}

/** Redshift Data API calls, and the cluster's UNLOAD role writing bronze's staging prefix. */
function grantRedshift(fn: lambda.IFunction, { stack, config, buckets, key }: GrantContext): void {
  for (const [name, source] of Object.entries(config.sources)) {
    if (source.kind !== 'warehouse' || source.engine !== 'redshift') continue;
    const { workgroup, clusterIdentifier, iamRole } = parseRedshiftConnection(
      name,
      source.connection,
    );
    const target = workgroup
      ? stack.formatArn({
          service: 'redshift-serverless',
          resource: 'workgroup',
          resourceName: '*',
        })
      : stack.formatArn({
          service: 'redshift',
          resource: 'cluster',
          resourceName: clusterIdentifier ?? '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['redshift-data:ExecuteStatement'],
        resources: [target],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'redshift-data:DescribeStatement',
          'redshift-data:GetStatementResult',
          'redshift-data:CancelStatement',
        ],
        resources: ['*'],
        conditions: {
          StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' },
        },
      }),
    );
    if (workgroup) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['redshift-serverless:GetCredentials'],
          resources: [target],
        }),
      );
      acknowledgeWildcard(
        fn,
        target,
        'A Redshift Serverless workgroup ARN carries the workgroup id, which config does not know (it names the workgroup).',
      );
    }
    // UNLOAD writes as the cluster's role: it may put objects under bronze's Redshift staging prefix.
    buckets.bronze.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ArnPrincipal(iamRole)],
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [buckets.bronze.arnForObjects('_staging/redshift/*')],
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ArnPrincipal(iamRole)],
        actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
        resources: ['*'],
      }),
    );
  }
}

/** Athena queries in the engineering workgroup over the lake's Glue databases and buckets. */
function grantTransform(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config, buckets, key } = ctx;
  const databases = lakeSchemas.map((s) => glueDatabaseName(config.project, config.env, s));
  const tables = lakeSchemas.flatMap((schema) => glueTables(ctx, schema));
  grantAthena(fn, ctx, {
    actions: [
      'glue:GetDatabase',
      'glue:GetTable',
      'glue:GetTables',
      'glue:GetPartitions',
      'glue:CreateTable',
      'glue:UpdateTable',
      'glue:DeleteTable',
    ],
    databases,
    tables,
  });
  for (const table of tables) {
    acknowledgeWildcard(
      fn,
      table,
      'Materializations create versioned and scratch tables with run-time names, only inside the project’s own Glue databases.',
    );
  }
  grantObjects(fn, buckets.bronze, key, { read: true });
  for (const role of ['silver', 'gold', 'quarantine', 'audit', 'athenaResults'] as const) {
    grantObjects(fn, buckets[role], key, { read: true, write: true, delete: true });
  }
  grantLineage(fn, buckets, key);
}

/**
 * Run recording: Athena writes to the run and contract-version tables of the audit database (an
 * Iceberg commit updates the Glue table), and the history of this stack's executions. It also
 * reads the lineage events, to close with ABORT the task runs a pipeline run left open.
 */
function grantRecordRun(fn: lambda.IFunction, ctx: GrantContext): void {
  const { stack, config, buckets, key } = ctx;
  grantAthena(fn, ctx, {
    actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:UpdateTable'],
    databases: [glueDatabaseName(config.project, config.env, 'audit')],
    tables: glueTables(ctx, 'audit', ['runs', 'run_datasets', 'contract_versions']),
  });
  const where = schemaLocations.audit;
  grantObjects(fn, buckets[where.bucket], key, {
    read: true,
    write: true,
    delete: true,
    prefix: where.prefix,
  });
  grantObjects(fn, buckets.audit, key, { read: true, write: true, prefix: 'lineage/' });
  grantQueryResults(fn, buckets, key);
  const executions = jobs.map((job) =>
    stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName(config.project, config.env, job)}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['states:GetExecutionHistory'], resources: executions }),
  );
  for (const execution of executions) {
    acknowledgeWildcard(
      fn,
      execution,
      'Execution names are run ids chosen at start time; access is limited to the executions of this stack’s state machines.',
    );
  }
}

/**
 * The quality gate reads silver and gold (and what they reference) and writes its evidence to
 * the three data-quality tables of the audit database.
 */
function grantDataQuality(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config, buckets, key } = ctx;
  const read = ['silver', 'gold', 'seeds'] as const;
  const readTables = read.flatMap((schema) => glueTables(ctx, schema));
  const evidence = glueTables(ctx, 'audit', ['dq_results', 'dq_scores', 'dq_profiles']);
  grantAthena(fn, ctx, {
    actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
    databases: [...read, 'audit' as const].map((schema) =>
      glueDatabaseName(config.project, config.env, schema),
    ),
    tables: [...readTables, ...evidence],
  });
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['glue:UpdateTable'], resources: evidence }),
  );
  for (const table of readTables) {
    acknowledgeWildcard(
      fn,
      table,
      'Checks read every silver and gold table, including versions published under run-time names; read actions only.',
    );
  }
  grantObjects(fn, buckets.silver, key, { read: true });
  grantObjects(fn, buckets.gold, key, { read: true });
  grantObjects(fn, buckets[schemaLocations.audit.bucket], key, {
    read: true,
    write: true,
    delete: true,
    prefix: schemaLocations.audit.prefix,
  });
  grantLineage(fn, buckets, key);
  grantQueryResults(fn, buckets, key);
}

/**
 * Reads run history and scores from the audit tables with Athena, and updates the Glue
 * definition of every lake table (bronze, silver, gold): Parameters and column comments.
 */
function grantCatalogSync(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config, buckets, key } = ctx;
  const lake = ['bronze', 'silver', 'gold'] as const;
  const lakeTables = lake.flatMap((schema) => glueTables(ctx, schema));
  grantAthena(fn, ctx, {
    actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables'],
    databases: [...lake, 'audit' as const].map((schema) =>
      glueDatabaseName(config.project, config.env, schema),
    ),
    tables: [...lakeTables, ...glueTables(ctx, 'audit', ['runs', 'run_datasets', 'dq_scores'])],
  });
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['glue:UpdateTable'], resources: lakeTables }),
  );
  for (const table of lakeTables) {
    acknowledgeWildcard(
      fn,
      table,
      'The catalog sync updates the Parameters and column comments of every lake table, whose names come from the contracts.',
    );
  }
  grantObjects(fn, buckets[schemaLocations.audit.bucket], key, {
    read: true,
    prefix: schemaLocations.audit.prefix,
  });
  grantQueryResults(fn, buckets, key);
}

/** ARNs of the named tables of a schema's Glue database, or of all of them. */
function glueTables(
  { stack, config }: GrantContext,
  schema: LakeSchema,
  tables: readonly string[] = ['*'],
): string[] {
  const database = glueDatabaseName(config.project, config.env, schema);
  return tables.map((table) =>
    stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${database}/${table}` }),
  );
}

/** Queries in the engineering workgroup, with the given Glue access. */
function grantAthena(
  fn: lambda.IFunction,
  { stack, config }: GrantContext,
  glue: { actions: string[]; databases: string[]; tables: string[] },
): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
        'athena:GetWorkGroup',
      ],
      resources: [
        stack.formatArn({
          service: 'athena',
          resource: 'workgroup',
          resourceName: workgroupName(config.project, config.env, 'engineering'),
        }),
      ],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: glue.actions,
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        ...glue.databases.map((d) =>
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: d }),
        ),
        ...glue.tables,
      ],
    }),
  );
}

/** Where queries in the engineering workgroup write their results. */
function grantQueryResults(
  fn: lambda.IFunction,
  buckets: Record<BucketRole, s3.IBucket>,
  key: kms.IKey,
): void {
  grantObjects(fn, buckets.athenaResults, key, { read: true, write: true, prefix: 'engineering/' });
}
