/**
 * What each function's code asks of AWS, composed from the declarations of the adapters it wires
 * (`adapters/aws/iam-calls.ts`), keyed by the function's entry under `lambdas/functions/`. Plain
 * data: the permission tests simulate every call against the synthesized roles and policies, so a
 * grant that is missing, too narrow or addressed to the wrong ARN fails a test, not a run. A new
 * function adds its entry here; a new adapter call adds its declaration next to the adapter.
 */
import { parseRedshiftConnection, parseSnowflakeConnection } from '../../core/connections';
import type { PlatformConfig } from '../../../config/schema';
import {
  athenaEngineIam,
  cloudWatchMetricSinkIam,
  costExplorerIam,
  costOptimizationHubIam,
  cloudWatchMetricsIam,
  s3LifecycleIam,
  logsInsightsIam,
  athenaSubjectTablesIam,
  auditTablesIam,
  dynamoDbRunLeaseStoreIam,
  sfnRunStarterIam,
  glueInventoryIam,
  gluePublishTimesIam,
  glueCatalogWriterIam,
  lakeFormationPermissionsIam,
  executionResultsIam,
  redshiftClientIam,
  s3ObjectStoreIam,
  s3BronzeEraserIam,
  s3BronzePurgerIam,
  s3LandingEraserIam,
  s3ParquetSinkIam,
  secretsReaderIam,
  snsNotifierIam,
  type EncryptedScope,
  type GlueTable,
  type IamCall,
  type S3Prefix,
} from '../../adapters/aws/iam-calls';
import {
  glueDatabaseName,
  lakeSchemas,
  schemaLocations,
  stateMachineName,
  type BucketRole,
  type LakeSchema,
} from '../../core/aws-names';
import { maintainedSchemas } from '../../core/maintenance';
import { dsrErasedSchemas } from '../../core/privacy/erasure';
import { jobsOf } from '../../core/orchestration';
import { tasks, type TaskName, type TaskSpec } from '../../core/tasks';

/** What a function knows at run time: its environment (see `settings.ts`) and its config. */
export interface FunctionScope extends EncryptedScope {
  readonly config: PlatformConfig;
  /** MEDALLION_BUCKETS */
  readonly buckets: Readonly<Record<BucketRole, string>>;
  /** MEDALLION_WORKGROUP */
  readonly workgroup: string;
  /** MEDALLION_FAILURE_TOPIC_ARN */
  readonly failureTopicArn: string;
  /** The full ARN of a secret named in config (Secrets Manager appends `-` and six characters). */
  readonly secretArn: (name: string) => string;
  /** The function's role. */
  readonly roleArn: string;
  /** The function's role session user id (`AROA...:<function>`), which owns its Redshift statements. */
  readonly userId: string;
  /** MEDALLION_RUN_LOCK_TABLE */
  readonly runLockTable: string;
  /** The access policy's persona databases (`personaDatabases`), where the catalog sync defines views. */
  readonly personaDatabases: readonly string[];
  /** MEDALLION_LANDING_STATE_MACHINE_ARN: the landing starter's only. */
  readonly landingStateMachineArn?: string;
  /** MEDALLION_COST_TOPIC_ARN: the cost report's only. */
  readonly costTopicArn?: string;
  /** MEDALLION_FUNCTION_LOG_GROUPS: the cost report's only. */
  readonly functionLogGroups?: readonly string[];
}

/** One day's cost recording folder in the reports bucket (`reports/cost/<day>/recording/`). */
const costRecording = 'cost/2026-11-23/recording/';

const bucketOf = (s: FunctionScope, role: BucketRole, prefix = ''): S3Prefix => ({
  bucket: s.buckets[role],
  prefix,
});

/** The layers `platform/lake.ts` maps: bronze, ingestion state, lineage events, landing. */
const lake = {
  bronze: (s: FunctionScope) => bucketOf(s, 'bronze'),
  state: (s: FunctionScope) => bucketOf(s, 'audit', 'state/'),
  lineage: (s: FunctionScope) => bucketOf(s, 'audit', 'lineage/'),
  landing: (s: FunctionScope) => bucketOf(s, 'landing'),
};

/** Every task writes its OpenLineage events (`platform/lineage.ts`). */
const lineageEvents = (s: FunctionScope) => s3ObjectStoreIam.write(s, lake.lineage(s));

/**
 * Ingestion state and its commit (`IngestLedger`): watermarks under `state/`; staged objects
 * listed, moved into bronze (copy, then delete) or, after a crash, deleted.
 */
const ledger = (s: FunctionScope) => {
  const staging = bucketOf(s, 'bronze', '_staging/');
  return [
    ...s3ObjectStoreIam.read(s, lake.state(s)),
    ...s3ObjectStoreIam.write(s, lake.state(s)),
    ...s3ObjectStoreIam.read(s, staging),
    ...s3ObjectStoreIam.delete(s, staging),
    ...s3ObjectStoreIam.write(s, lake.bronze(s)),
  ];
};

/** A table of a lake schema, where Athena finds its files. */
function table(s: FunctionScope, schema: LakeSchema, name: string): GlueTable {
  const where = schemaLocations[schema];
  return {
    database: glueDatabaseName(s.config.project, s.config.env, schema),
    table: name,
    location: bucketOf(s, where.bucket, `${where.prefix}${name}/`),
  };
}

/** Queries in the function's workgroup, results under its prefix of the results bucket. */
const queries = (s: FunctionScope) =>
  athenaEngineIam.queries(s, s.workgroup, bucketOf(s, 'athenaResults', 'engineering/'));

function secretNames(config: PlatformConfig, kind: 'rest' | 'snowflake'): string[] {
  return Object.entries(config.sources).flatMap(([name, source]) => {
    if (kind === 'rest' && source.kind === 'rest' && source.secret) return [source.secret];
    if (kind === 'snowflake' && source.kind === 'warehouse' && source.engine === 'snowflake')
      return [parseSnowflakeConnection(name, source.connection).secret];
    return [];
  });
}

/** The Redshift sources' Data API calls (`platform/warehouses.ts`). */
function redshiftStatements(s: FunctionScope): IamCall[] {
  return Object.entries(s.config.sources).flatMap(([name, source]) => {
    if (source.kind !== 'warehouse' || source.engine !== 'redshift') return [];
    const c = parseRedshiftConnection(name, source.connection);
    const target = c.workgroup
      ? `arn:${s.partition}:redshift-serverless:${s.region}:${s.account}:workgroup/00000000-0000-4000-8000-000000000000`
      : `arn:${s.partition}:redshift:${s.region}:${s.account}:cluster:${c.clusterIdentifier}`;
    return redshiftClientIam.statements(
      target,
      s.userId,
      c.secretArn === undefined ? undefined : s.secretArn(c.secretArn),
    );
  });
}

const ingestion = (s: FunctionScope): IamCall[] => [
  ...s3ParquetSinkIam.write(s, lake.bronze(s)),
  ...ledger(s),
  ...lineageEvents(s),
];

/** The audit tables a task writes, which it creates or evolves when they fall behind (`platform/athena.ts`). */
const ownedAuditTables = (s: FunctionScope, task: TaskName): IamCall[] => {
  const spec: TaskSpec = tasks[task];
  return (spec.auditTables ?? []).flatMap((t) => auditTablesIam.ensures(s, table(s, 'audit', t)));
};

/** Every function's calls, by entry. */
export const functionCalls: Readonly<Record<string, (s: FunctionScope) => IamCall[]>> = {
  'ingest-warehouse': (s) => [
    // Exports land under bronze's staging prefix, where the ledger reads and moves them.
    ...ingestion(s),
    ...secretNames(s.config, 'snowflake').flatMap((n) => secretsReaderIam.reads(s.secretArn(n))),
    ...redshiftStatements(s),
  ],
  'ingest-rest': (s) => [
    ...ingestion(s),
    ...secretNames(s.config, 'rest').flatMap((n) => secretsReaderIam.reads(s.secretArn(n))),
  ],
  'kafka-drain': (s) => ingestion(s),
  'kafka-events': (s) => ingestion(s),
  'ingest-landing': (s) => [
    ...ingestion(s),
    // Landing files are read, then moved to processed/ or rejected/.
    ...s3ObjectStoreIam.read(s, lake.landing(s)),
    ...s3ObjectStoreIam.write(s, lake.landing(s)),
    ...s3ObjectStoreIam.delete(s, lake.landing(s)),
  ],
  transform: (s) => [
    ...queries(s),
    ...ownedAuditTables(s, 'Transform'),
    ...athenaEngineIam.reads(s, table(s, 'bronze', 'snowflake_orders')),
    ...(['silver', 'gold', 'quarantine', 'changelog', 'seeds', 'scratch'] as const).flatMap(
      (schema) => athenaEngineIam.creates(s, table(s, schema, 'example')),
    ),
    // The models' watermarks (`materialize.ts`); the other audit tables are not the transform's.
    ...athenaEngineIam.writes(s, table(s, 'audit', 'model_state')),
    ...lineageEvents(s),
    // The privacy key, for models that pseudonymize.
    ...(s.config.privacy ? secretsReaderIam.reads(s.secretArn(s.config.privacy.keySecret)) : []),
  ],
  'data-quality': (s) => [
    ...queries(s),
    ...ownedAuditTables(s, 'DataQuality'),
    ...(['silver', 'gold', 'seeds'] as const).flatMap((schema) =>
      athenaEngineIam.reads(s, table(s, schema, 'example')),
    ),
    ...['dq_results', 'dq_scores', 'dq_profiles'].flatMap((t) =>
      athenaEngineIam.writes(s, table(s, 'audit', t)),
    ),
    ...lineageEvents(s),
  ],
  'catalog-sync': (s) => [
    ...queries(s),
    ...['runs', 'run_datasets', 'dq_scores'].flatMap((t) =>
      athenaEngineIam.reads(s, table(s, 'audit', t)),
    ),
    ...(['bronze', 'silver', 'gold'] as const).flatMap((schema) =>
      glueCatalogWriterIam.updates(
        s,
        glueDatabaseName(s.config.project, s.config.env, schema),
        'example',
      ),
    ),
    ...lakeFormationPermissionsIam.syncs(
      s,
      lakeSchemas
        .filter((schema) => schema !== 'scratch')
        .map((schema) => glueDatabaseName(s.config.project, s.config.env, schema)),
      s.personaDatabases,
      s.roleArn,
    ),
  ],
  'record-run': (s) => [
    ...queries(s),
    ...ownedAuditTables(s, 'RecordRun'),
    ...dynamoDbRunLeaseStoreIam.releases(s, s.runLockTable),
    ...['runs', 'run_datasets', 'contract_versions'].flatMap((t) =>
      athenaEngineIam.writes(s, table(s, 'audit', t)),
    ),
    ...jobsOf(s.config.sources).flatMap((job) =>
      executionResultsIam.reads(
        `arn:${s.partition}:states:${s.region}:${s.account}:execution:${stateMachineName(s.config.project, s.config.env, job)}:run-id`,
      ),
    ),
    // Closes with ABORT the task runs a pipeline run left open: reads the run's lineage folder.
    ...s3ObjectStoreIam.read(s, lake.lineage(s)),
    ...lineageEvents(s),
  ],
  'notify-failure': (s) => snsNotifierIam.publishes(s, s.failureTopicArn),
  'run-lock': (s) => dynamoDbRunLeaseStoreIam.leases(s, s.runLockTable),
  'start-landing': (s) =>
    s.landingStateMachineArn === undefined ? [] : sfnRunStarterIam.starts(s.landingStateMachineArn),
  maintenance: (s) => [
    ...queries(s),
    ...maintainedSchemas.flatMap((schema) => {
      const t = table(s, schema, 'example__v20260101000000000_00000000');
      return [...glueInventoryIam.lists(s, t.database), ...athenaEngineIam.maintains(s, t)];
    }),
    // Bronze partitions past their retention go whole, with every version.
    ...s3BronzePurgerIam.purges(s, lake.bronze(s)),
  ],
  'freshness-probe': (s) => [
    ...gluePublishTimesIam.reads(s, glueDatabaseName(s.config.project, s.config.env, 'gold')),
    ...cloudWatchMetricSinkIam.puts(`${s.config.project}-${s.config.env}`),
  ],
  'cost-report': (s) => [
    ...queries(s),
    ...['runs', 'run_datasets'].flatMap((t) => athenaEngineIam.reads(s, table(s, 'audit', t))),
    ...costExplorerIam.reads(),
    ...logsInsightsIam.queries(s, s.functionLogGroups ?? []),
    ...costOptimizationHubIam.reads(),
    // The report, the recording it was computed from (`reports/cost/<day>/`), and its summary.
    ...s3ObjectStoreIam.write(s, bucketOf(s, 'reports', 'cost/')),
    // The cost optimizer's recording of the same day.
    ...s3ObjectStoreIam.read(s, bucketOf(s, 'reports', costRecording)),
    ...(s.costTopicArn === undefined ? [] : snsNotifierIam.publishes(s, s.costTopicArn)),
  ],
  'cost-optimizer': (s) => [
    ...cloudWatchMetricsIam.reads(),
    ...s3LifecycleIam.reads(s, Object.values(s.buckets)),
    ...s3ObjectStoreIam.write(s, bucketOf(s, 'reports', costRecording)),
  ],
  'dsr-erase': (s) => {
    const privacy = bucketOf(s, 'audit', 'privacy/');
    return [
      ...queries(s),
      ...athenaSubjectTablesIam.lists(
        s,
        (['bronze', ...dsrErasedSchemas] as const).map((schema) =>
          glueDatabaseName(s.config.project, s.config.env, schema),
        ),
      ),
      ...athenaEngineIam.reads(s, table(s, 'bronze', 'crm_contacts')),
      ...dsrErasedSchemas.flatMap((schema) =>
        athenaEngineIam.writes(s, table(s, schema, 'example__v20260101000000000_00000000')),
      ),
      ...s3BronzeEraserIam.rewrites(s, lake.bronze(s)),
      ...s3LandingEraserIam.rewrites(s, bucketOf(s, 'landing', 'crm/contacts/')),
      // The request log and the pending identifiers.
      ...s3ObjectStoreIam.read(s, privacy),
      ...s3ObjectStoreIam.write(s, privacy),
      ...s3ObjectStoreIam.delete(s, privacy),
      ...(s.config.privacy ? secretsReaderIam.reads(s.secretArn(s.config.privacy.keySecret)) : []),
    ];
  },
};
