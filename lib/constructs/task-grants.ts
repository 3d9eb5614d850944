import { ArnFormat, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
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
import { maintainedSchemas } from '../../lambdas/core/maintenance';
import { dsrErasedSchemas } from '../../lambdas/core/privacy/erasure';
import { jobsOf } from '../../lambdas/core/orchestration';
import { tasks, type TaskName, type TaskSpec } from '../../lambdas/core/tasks';
import { pascal } from '../names';
import type { RunLockTable } from './run-lock-table';
import { acknowledgeWildcard } from './acknowledge';
import { grantAthenaQueries, grantObjects, grantRedshiftUnload, grantSecretRead } from './grants';

/** What a task's grants may name: the stack's resources and the lake's. */
export interface GrantContext {
  readonly stack: Stack;
  readonly config: PlatformConfig;
  readonly key: kms.IKey;
  readonly buckets: Record<BucketRole, s3.IBucket>;
  readonly failureTopic: sns.ITopic;
  /** Where the weekly cost summary, cost anomalies and budget alerts go. */
  readonly costTopic: sns.ITopic;
  readonly runLock: RunLockTable;
  /** The persona databases (`personaDatabaseName`) the catalog sync defines views in. */
  readonly personaDatabases: readonly string[];
}

/**
 * Each task's permissions, next to nothing else: only the buckets, prefixes, actions and APIs its
 * handler touches. A task of the catalogue without an entry here does not compile.
 */
export const taskGrants: Record<TaskName, (fn: lambda.IFunction, ctx: GrantContext) => void> = {
  RunLock: (fn, { runLock, key }) => runLock.grantLeases(fn, key, 'take and give back'),
  // Its queue and the state machine it starts are wired, and granted, with them (Orchestration).
  StartLanding: () => {},
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
  RecordRun: (fn, ctx) => {
    grantRecordRun(fn, ctx);
    // Gives back the lease of a run that timed out or was aborted.
    ctx.runLock.grantLeases(fn, ctx.key, 'give back');
  },
  Maintenance: grantMaintenance,
  DsrErase: grantDsrErase,
  CostReport: grantCostReport,
  FreshnessProbe: grantFreshnessProbe,
  CostOptimizer: grantCostOptimizer,
};

/**
 * The freshness probe lists the gold tables (GetTables, authorized on every table it returns:
 * hence the database's `*`) and publishes its metric in the functions' namespace only.
 */
function grantFreshnessProbe(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config } = ctx;
  const [tables] = glueTables(ctx, 'gold');
  grantGlue(
    fn,
    ctx,
    ['glue:GetTables'],
    [glueDatabaseName(config.project, config.env, 'gold')],
    [tables!],
  );
  acknowledgeWildcard(
    fn,
    tables!,
    'GetTables lists every table of the gold database, including the table versions builds create at run time; it reads definitions, not data.',
  );
  // PutMetricData names no resource type: `*`, held to one namespace by its condition key.
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'cloudwatch:namespace': `${config.project}-${config.env}` },
      },
    }),
  );
}

/**
 * The cost report reads Cost Explorer, Cost Optimization Hub and the run history (`audit.runs`,
 * `audit.run_datasets`; the functions' logs are granted where it is scheduled, `cost-alerts.ts`),
 * writes under `cost/` of the reports bucket and publishes to the cost topic.
 */
function grantCostReport(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config, buckets, key, costTopic } = ctx;
  grantAthena(fn, ctx, {
    actions: ['glue:GetDatabase', 'glue:GetTable'],
    databases: [glueDatabaseName(config.project, config.env, 'audit')],
    tables: glueTables(ctx, 'audit', ['runs', 'run_datasets']),
  });
  for (const table of ['runs', 'run_datasets'])
    grantObjects(fn, buckets[schemaLocations.audit.bucket], key, {
      read: true,
      prefix: `${schemaLocations.audit.prefix}${table}/`,
    });
  grantObjects(fn, buckets.reports, key, { write: true, prefix: 'cost/' });
  // What the cost optimizer recorded for the same day.
  grantObjects(fn, buckets.reports, key, { read: true, prefix: costRecordings });
  // Cost Explorer's actions support no resource-level permissions: `*` is the only resource.
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscostexplorerservice.html
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['ce:GetCostAndUsage', 'ce:GetCostForecast', 'ce:GetAnomalies'],
      resources: ['*'],
    }),
  );
  // Nor does Cost Optimization Hub's ListRecommendations.
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscostoptimizationhub.html
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['cost-optimization-hub:ListRecommendations'],
      resources: ['*'],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [costTopic.topicArn] }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
    }),
  );
}

/** Where the cost report keeps its recordings, the cost optimizer's answers among them. */
const costRecordings = 'cost/*/recording/';

/**
 * The cost optimizer reads CloudWatch's metrics and the lake buckets' lifecycle rules, and writes
 * its recording beside the cost report's.
 */
function grantCostOptimizer(fn: lambda.IFunction, { buckets, key }: GrantContext): void {
  // GetMetricData names no resource type: `*` is the only resource.
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
  );
  // GetBucketLifecycleConfiguration is authorized as s3:GetLifecycleConfiguration on the bucket.
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetLifecycleConfiguration'],
      resources: Object.values(buckets).map((b) => b.bucketArn),
    }),
  );
  grantObjects(fn, buckets.reports, key, { write: true, prefix: costRecordings });
}

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
  { config }: GrantContext,
  kind: 'rest' | 'warehouse',
): void {
  for (const [name, source] of Object.entries(config.sources)) {
    // A warehouse connection missing a key fails the synth here, naming it, not a run later.
    if (source.kind === 'warehouse' && source.engine === 'snowflake')
      parseSnowflakeConnection(name, source.connection);
    if (source.kind !== kind) continue;
    const secretName = source.kind === 'rest' ? source.secret : source.connection.secret;
    if (secretName) grantSecretRead(fn, secretName);
  }
}

/** Redshift Data API calls, and the cluster's UNLOAD role writing bronze's staging prefix. */
function grantRedshift(fn: lambda.IFunction, { stack, config, buckets, key }: GrantContext): void {
  for (const [name, source] of Object.entries(config.sources)) {
    if (source.kind !== 'warehouse' || source.engine !== 'redshift') continue;
    const { workgroup, clusterIdentifier, iamRole, secretArn } = parseRedshiftConnection(
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
    // With a secret the Data API signs in with it (read through grantSourceSecrets); without one
    // it asks Redshift Serverless for temporary credentials.
    // https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-access.html
    if (workgroup && !secretArn)
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['redshift-serverless:GetCredentials'],
          resources: [target],
        }),
      );
    if (workgroup)
      acknowledgeWildcard(
        fn,
        target,
        'A Redshift Serverless workgroup ARN carries the workgroup id, which config does not know (it names the workgroup).',
      );
    // UNLOAD writes as the cluster's role (a prerequisite: docs/aws-prerequisites.md).
    grantRedshiftUnload(stack, `${pascal(name)}Unload`, iamRole, buckets.bronze, key);
  }
}

/**
 * Athena queries in the engineering workgroup: reads every lake schema, writes (creates, commits
 * to, drops) only the layers it builds and its watermarks in `audit.model_state`; bronze and the
 * run history (`audit.runs`) are read-only to it.
 */
function grantTransform(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config, buckets, key } = ctx;
  const built = ['silver', 'gold', 'quarantine', 'changelog', 'seeds', 'scratch'] as const;
  const database = (schema: LakeSchema) => glueDatabaseName(config.project, config.env, schema);
  const tables = lakeSchemas.flatMap((schema) => glueTables(ctx, schema));
  grantAthena(fn, ctx, {
    actions: ['glue:GetDatabase', 'glue:GetTable'],
    databases: lakeSchemas.map(database),
    tables,
  });
  grantGlue(
    fn,
    ctx,
    ['glue:CreateTable', 'glue:UpdateTable', 'glue:DeleteTable'],
    built.map(database),
    built.flatMap((schema) => glueTables(ctx, schema)),
  );
  for (const table of tables) {
    acknowledgeWildcard(
      fn,
      table,
      'Materializations create versioned and scratch tables with run-time names, only inside the project’s own Glue databases.',
    );
  }
  grantObjects(fn, buckets.bronze, key, { read: true });
  for (const schema of built) {
    const where = schemaLocations[schema];
    grantObjects(fn, buckets[where.bucket], key, {
      read: true,
      write: true,
      delete: true,
      ...(where.prefix ? { prefix: where.prefix } : {}),
    });
  }
  // Each layer's plan reads the run history: a date before the last completed one is refused.
  grantObjects(fn, buckets.audit, key, {
    read: true,
    prefix: `${schemaLocations.audit.prefix}runs/`,
  });
  grantLineage(fn, buckets, key);
  // The privacy key, for models that pseudonymize (`config.privacy.keySecret`).
  if (config.privacy) grantSecretRead(fn, config.privacy.keySecret);
}

/**
 * Run recording: Athena writes to the run and contract-version tables of the audit database (an
 * Iceberg commit updates the Glue table), and the history of this stack's executions. It also
 * reads the lineage events, to close with ABORT the task runs a pipeline run left open.
 */
function grantRecordRun(fn: lambda.IFunction, ctx: GrantContext): void {
  const { stack, config, buckets, key } = ctx;
  grantAthena(fn, ctx, {
    actions: ['glue:GetDatabase', 'glue:GetTable'],
    databases: [glueDatabaseName(config.project, config.env, 'audit')],
    tables: glueTables(ctx, 'audit', ['runs', 'run_datasets', 'contract_versions']),
  });
  grantObjects(fn, buckets.audit, key, { read: true, write: true, prefix: 'lineage/' });
  const executions = jobsOf(config.sources).map((job) =>
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
 * the three data-quality tables of the audit database. A scoped gate also reads this run's
 * quarantine counts and, for SQL rules local to a key, the keys the run deleted in the change
 * feeds (`core/dq/scope.ts`).
 */
function grantDataQuality(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config, buckets, key } = ctx;
  const read = ['silver', 'gold', 'seeds', 'quarantine', 'changelog'] as const;
  const readTables = read.flatMap((schema) => glueTables(ctx, schema));
  grantAthena(fn, ctx, {
    actions: ['glue:GetDatabase', 'glue:GetTable'],
    databases: [...read, 'audit' as const].map((schema) =>
      glueDatabaseName(config.project, config.env, schema),
    ),
    tables: readTables,
  });
  for (const table of readTables) {
    acknowledgeWildcard(
      fn,
      table,
      'Checks read every silver and gold table, including versions published under run-time names; read actions only.',
    );
  }
  grantObjects(fn, buckets.silver, key, { read: true });
  grantObjects(fn, buckets.gold, key, { read: true });
  for (const schema of ['quarantine', 'changelog'] as const) {
    const where = schemaLocations[schema];
    grantObjects(fn, buckets[where.bucket], key, {
      read: true,
      ...(where.prefix ? { prefix: where.prefix } : {}),
    });
  }
  grantLineage(fn, buckets, key);
}

/**
 * Reads run history and scores from the audit tables with Athena, and updates the Glue
 * definition of every lake table (bronze, silver, gold): Parameters and column comments.
 */
function grantCatalogSync(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config, buckets, key } = ctx;
  const lake = ['bronze', 'silver', 'gold'] as const;
  const lakeTables = lake.flatMap((schema) => glueTables(ctx, schema));
  const lakeDatabases = lake.map((schema) => glueDatabaseName(config.project, config.env, schema));
  grantAthena(fn, ctx, {
    actions: ['glue:GetDatabase', 'glue:GetTable'],
    databases: [...lakeDatabases, glueDatabaseName(config.project, config.env, 'audit')],
    tables: [...lakeTables, ...glueTables(ctx, 'audit', ['runs', 'run_datasets', 'dq_scores'])],
  });
  grantGlue(fn, ctx, ['glue:UpdateTable'], lakeDatabases, lakeTables);
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
  grantAccessSync(fn, ctx);
}

/**
 * The access sync (`lake-formation-permissions.ts`): lists every table of the lake but scratch,
 * and manages data cells filters, their grants and column LF-tags. Lake Formation's actions take
 * no resource ARN; its own grants to this role (Access stack) bound what they may change.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslakeformation.html
 *
 * It also defines the personas' views (`core/access/persona-views.ts`) as their definer, which
 * Lake Formation documents as: a role that Glue and Lake Formation may assume and that may pass
 * itself to them, Glue access to the views' database and the tables they read (Athena reads
 * each table's definition as the caller), and Lake Formation CREATE_TABLE there plus SELECT with
 * grant option on the tables (Access stack).
 * https://docs.aws.amazon.com/lake-formation/latest/dg/views-prereqs.html
 */
function grantAccessSync(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config, stack, personaDatabases } = ctx;
  const schemas = lakeSchemas.filter((s) => s !== 'scratch');
  const lakeTables = schemas.flatMap((schema) => glueTables(ctx, schema));
  grantGlue(
    fn,
    ctx,
    ['glue:GetTables', 'glue:GetTable'],
    schemas.map((schema) => glueDatabaseName(config.project, config.env, schema)),
    lakeTables,
  );
  for (const table of lakeTables)
    acknowledgeWildcard(
      fn,
      table,
      'The access sync lists every table of the lake to filter and tag it, and Athena reads the definitions of those a persona view selects from; the pipeline names tables at run time. Definitions only.',
    );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: [
        'lakeformation:ListDataCellsFilter',
        'lakeformation:CreateDataCellsFilter',
        'lakeformation:UpdateDataCellsFilter',
        'lakeformation:DeleteDataCellsFilter',
        'lakeformation:GrantPermissions',
        'lakeformation:AddLFTagsToResource',
      ],
      resources: ['*'],
    }),
  );
  if (personaDatabases.length === 0) return;
  const role = fn.role;
  if (!(role instanceof iam.Role))
    throw new Error(
      `${fn.node.path}: the access sync defines views as its own role, which must be created here`,
    );
  // A managed policy of its own: one persona database per persona and layer would push the
  // role's inline policy past IAM's size limit.
  const viewTables = personaDatabases.map((database) =>
    stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${database}/*` }),
  );
  const views = new iam.ManagedPolicy(role, 'PersonaViews', {
    description: 'The catalog sync defines, replaces and drops the persona views (access policy).',
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        actions: [
          'glue:GetDatabase',
          'glue:GetTables',
          'glue:GetTable',
          'glue:CreateTable',
          'glue:UpdateTable',
          'glue:DeleteTable',
        ],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          ...personaDatabases.map((d) =>
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: d }),
          ),
          ...viewTables,
        ],
      }),
    ],
  });
  for (const table of viewTables)
    acknowledgeWildcard(
      views,
      table,
      'The persona views the access sync defines and replaces, one per table the persona reads; a persona database holds nothing else.',
    );
  const services = ['glue.amazonaws.com', 'lakeformation.amazonaws.com'];
  role.assumeRolePolicy?.addStatements(
    new iam.PolicyStatement({
      principals: services.map((service) => new iam.ServicePrincipal(service)),
      actions: ['sts:AssumeRole'],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': services } },
    }),
  );
}

/**
 * Maintenance lists and drops tables (an Iceberg DROP TABLE deletes the table's files too) and
 * commits DELETE, OPTIMIZE and VACUUM to every maintained table; VACUUM succeeds without
 * deleting anything when s3:DeleteObject is missing
 * (https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html), hence delete on every
 * table location. Bronze retention lists the bronze bucket and deletes object versions in it.
 */
function grantMaintenance(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config, buckets, key } = ctx;
  const tables = maintainedSchemas.flatMap((schema) => glueTables(ctx, schema));
  grantAthena(fn, ctx, {
    actions: [
      'glue:GetDatabase',
      'glue:GetTable',
      'glue:GetTables',
      'glue:UpdateTable',
      'glue:DeleteTable',
    ],
    databases: maintainedSchemas.map((s) => glueDatabaseName(config.project, config.env, s)),
    tables,
  });
  for (const table of tables) {
    acknowledgeWildcard(
      fn,
      table,
      'Maintenance drops versions and scratch tables named at run time, only inside the project’s own Glue databases.',
    );
  }
  const locations = maintainedSchemas.map((schema) => schemaLocations[schema]);
  // A location inside another of the same bucket (silver's _seeds/) is covered by that one.
  const outermost = locations.filter(
    (l, i) =>
      !locations.some(
        (o, j) =>
          o.bucket === l.bucket &&
          l.prefix.startsWith(o.prefix) &&
          (o.prefix !== l.prefix || j < i),
      ),
  );
  for (const { bucket, prefix } of outermost) {
    grantObjects(fn, buckets[bucket], key, {
      read: true,
      write: true,
      delete: true,
      ...(prefix ? { prefix } : {}),
    });
  }
  // Bronze retention: expired ingest_date partitions go with every version of their objects.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket', 's3:ListBucketVersions'],
      resources: [buckets.bronze.bucketArn],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:DeleteObjectVersion'],
      resources: [buckets.bronze.arnForObjects('*')],
    }),
  );
  acknowledgeWildcard(
    fn,
    buckets.bronze.arnForObjects('*'),
    'Bronze retention deletes every version of the objects in the ingest_date partitions past a dataset’s retention, found at run time; only object versions, only in the bronze bucket.',
  );
}

/**
 * The data subject erase (`handlers/dsr-erase.ts`): lists the lake's tables and finds the subject
 * with Athena; commits DELETE, UPDATE, OPTIMIZE and VACUUM to the Iceberg tables of the erased
 * layers (each commit updates the Glue table; VACUUM deletes the old files, hence delete on their
 * locations); rewrites bronze objects and landing files and deletes their old versions; keeps the request log and
 * the pending identifiers under `privacy/` in the audit bucket; reads the privacy key.
 */
function grantDsrErase(fn: lambda.IFunction, ctx: GrantContext): void {
  const { config, buckets, key } = ctx;
  const searched = ['bronze', ...dsrErasedSchemas] as const;
  const tables = searched.flatMap((schema) => glueTables(ctx, schema));
  grantAthena(fn, ctx, {
    actions: ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables'],
    databases: searched.map((s) => glueDatabaseName(config.project, config.env, s)),
    tables,
  });
  const erasedTables = dsrErasedSchemas.flatMap((schema) => glueTables(ctx, schema));
  grantGlue(
    fn,
    ctx,
    ['glue:UpdateTable'],
    dsrErasedSchemas.map((s) => glueDatabaseName(config.project, config.env, s)),
    erasedTables,
  );
  for (const table of tables) {
    acknowledgeWildcard(
      fn,
      table,
      'An erase searches every table of the lake, including versions published under run-time names, only inside the project’s own Glue databases.',
    );
  }
  for (const schema of dsrErasedSchemas) {
    const { bucket, prefix } = schemaLocations[schema];
    grantObjects(fn, buckets[bucket], key, {
      read: true,
      write: true,
      delete: true,
      ...(prefix ? { prefix } : {}),
    });
  }
  grantObjects(fn, buckets.bronze, key, { read: true, write: true });
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucketVersions'],
      resources: [buckets.bronze.bucketArn],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:DeleteObjectVersion'],
      resources: [buckets.bronze.arnForObjects('*')],
    }),
  );
  // Landing files, every version of them (`adapters/aws/s3-landing-eraser.ts`): the lake key the
  // bronze grant above names encrypts them too.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucketVersions'],
      resources: [buckets.landing.bucketArn],
    }),
  );
  const landingFiles = buckets.landing.arnForObjects('*');
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObjectVersion', 's3:PutObject', 's3:DeleteObjectVersion'],
      resources: [landingFiles],
    }),
  );
  acknowledgeWildcard(
    fn,
    landingFiles,
    'An erase reads and rewrites the landing files of every dataset, under run-time run ids, only in the lake’s landing bucket, with named actions only.',
  );
  grantObjects(fn, buckets.audit, key, {
    read: true,
    write: true,
    delete: true,
    prefix: 'privacy/',
  });
  if (config.privacy) grantSecretRead(fn, config.privacy.keySecret);
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
  ctx: GrantContext,
  glue: { actions: string[]; databases: string[]; tables: string[] },
): void {
  const { config, buckets, key } = ctx;
  grantAthenaQueries(fn, {
    workgroup: workgroupName(config.project, config.env, 'engineering'),
    results: buckets.athenaResults,
    resultsPrefix: 'engineering/',
    key,
  });
  grantGlue(fn, ctx, glue.actions, glue.databases, glue.tables);
  // The lake's locations are registered with Lake Formation (Access stack): Athena asks it for
  // credentials on the caller's behalf, which IAM must allow; the action takes no resource ARN,
  // and Lake Formation's grants decide what the credentials reach.
  // https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['lakeformation:GetDataAccess'], resources: ['*'] }),
  );
}

/**
 * Glue actions on tables: Glue checks each against the catalog, the database and the table.
 * https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html
 */
function grantGlue(
  fn: lambda.IFunction,
  { stack }: GrantContext,
  actions: string[],
  databases: readonly string[],
  tables: readonly string[],
): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions,
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        ...databases.map((d) =>
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: d }),
        ),
        ...tables,
      ],
    }),
  );
}

/**
 * A task owns the audit tables it writes (`auditTables` in the catalogue): it commits to them,
 * and creates one that is missing or adds its missing columns (`adapters/aws/audit-tables.ts`).
 * An Iceberg CREATE TABLE creates the Glue table and writes its first metadata file.
 * https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-creating-tables.html
 */
function grantOwnedAuditTables(fn: lambda.IFunction, ctx: GrantContext, task: TaskName): void {
  const spec: TaskSpec = tasks[task];
  const owned = spec.auditTables ?? [];
  if (owned.length === 0) return;
  const { config, buckets, key } = ctx;
  grantGlue(
    fn,
    ctx,
    ['glue:GetDatabase', 'glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable'],
    [glueDatabaseName(config.project, config.env, 'audit')],
    glueTables(ctx, 'audit', owned),
  );
  const where = schemaLocations.audit;
  for (const table of owned)
    grantObjects(fn, buckets[where.bucket], key, {
      read: true,
      write: true,
      delete: true,
      prefix: `${where.prefix}${table}/`,
    });
}

/** Grants a task what its entry in {@link taskGrants} says, and the audit tables it owns. */
export function grantTask(task: TaskName, fn: lambda.IFunction, ctx: GrantContext): void {
  taskGrants[task](fn, ctx);
  grantOwnedAuditTables(fn, ctx, task);
}
