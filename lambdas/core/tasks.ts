/**
 * The task catalogue: every Lambda function of the platform, declared once. The state machines
 * name a task by its placeholder (`${TransformFunctionArn}`), the pipeline stack builds one
 * function per entry (bundle, size, timeout) and grants it what its entry in
 * `lib/constructs/task-grants.ts` says, and the local runtime answers each state-machine task with
 * the same handler in-process. Nothing else spells a task's name.
 */
import type { AuditTableName } from './audit';
import type { Model } from './models/project';

export interface TaskSpec {
  /** The Lambda entry `lambdas/functions/<entry>.ts`. */
  readonly entry: string;
  readonly description: string;
  /**
   * The declarative definitions the handler loads at cold start, copied into the bundle: `sources`
   * is config and contracts, `project` adds the SQL models and seeds.
   */
  readonly definitions: 'none' | 'sources' | 'project';
  /** Who invokes it: a Task state of the state machines, or an AWS event (MSK, EventBridge). */
  readonly invokedBy: 'state machine' | 'event';
  readonly memoryMb: number;
  /** The Lambda timeout. A Task state calling it waits longer (see {@link taskTimeoutSeconds}). */
  readonly timeoutSeconds: number;
  /**
   * Only on AWS: its state machine is started by a person, and the local runtime does the same
   * work with its own command (`medallion dsr erase`), so it has no local handler. @default false
   */
  readonly awsOnly?: boolean;
  /** At most this many concurrent invocations. @default unreserved */
  readonly reservedConcurrency?: number;
  /**
   * The audit tables (`core/audit.ts`) the task writes. On AWS it owns them: it creates a missing
   * one and adds missing columns (see `adapters/aws/audit-tables.ts`). @default none
   */
  readonly auditTables?: readonly AuditTableName[];
}

export const tasks = {
  RunLock: {
    entry: 'run-lock',
    description: "Takes and gives back the lake's run lock: one run at a time.",
    definitions: 'none',
    invokedBy: 'state machine',
    // Two DynamoDB calls.
    memoryMb: 256,
    timeoutSeconds: 30,
  },
  IngestWarehouse: {
    entry: 'ingest-warehouse',
    description: 'Incremental extraction from Snowflake and Redshift into bronze.',
    definitions: 'sources',
    invokedBy: 'state machine',
    // Converts extracted files to Parquet in memory, a dataset at a time.
    memoryMb: 1024,
    timeoutSeconds: 900,
  },
  IngestRest: {
    entry: 'ingest-rest',
    description: 'Paginated extraction from the CRM and FX APIs into bronze.',
    definitions: 'sources',
    invokedBy: 'state machine',
    memoryMb: 1024,
    timeoutSeconds: 900,
  },
  KafkaDrain: {
    entry: 'kafka-drain',
    description: 'Drains Kafka topics from committed offsets into bronze in MSK-shaped batches.',
    definitions: 'sources',
    invokedBy: 'state machine',
    memoryMb: 1024,
    timeoutSeconds: 900,
  },
  IngestLanding: {
    entry: 'ingest-landing',
    description: 'Ingests files dropped into the landing bucket, once each.',
    definitions: 'sources',
    invokedBy: 'state machine',
    memoryMb: 1024,
    timeoutSeconds: 900,
  },
  Transform: {
    entry: 'transform',
    description:
      'Builds a silver or gold model with Athena: validate, quarantine, deduplicate, merge.',
    definitions: 'project',
    invokedBy: 'state machine',
    // Sends statements to Athena and waits: the work happens in Athena, not in the function.
    memoryMb: 512,
    timeoutSeconds: 900,
    auditTables: ['model_state'],
  },
  DataQuality: {
    entry: 'data-quality',
    description: 'Profiles and checks silver or gold against the contracts: the quality gate.',
    definitions: 'sources',
    invokedBy: 'state machine',
    memoryMb: 512,
    timeoutSeconds: 900,
    auditTables: ['dq_results', 'dq_scores', 'dq_profiles'],
  },
  CatalogSync: {
    entry: 'catalog-sync',
    description: "Writes each dataset's latest run figures into its Glue table's Parameters.",
    definitions: 'sources',
    invokedBy: 'state machine',
    memoryMb: 256,
    // A first access sync defines every persona view (one Athena statement each).
    timeoutSeconds: 900,
  },
  NotifyFailure: {
    entry: 'notify-failure',
    description: 'Publishes a failed run to the failure topic.',
    definitions: 'none',
    invokedBy: 'state machine',
    memoryMb: 128,
    timeoutSeconds: 30,
  },
  Maintenance: {
    entry: 'maintenance',
    description:
      'Drops superseded table versions and scratch tables, ages out rows, compacts and vacuums Iceberg tables.',
    definitions: 'sources',
    invokedBy: 'state machine',
    // One table per invocation, the work in Athena.
    memoryMb: 256,
    timeoutSeconds: 900,
  },
  DsrErase: {
    entry: 'dsr-erase',
    description:
      'Erases a data subject on request: Athena DELETE, bronze objects rewritten, Iceberg maintenance.',
    definitions: 'sources',
    invokedBy: 'state machine',
    awsOnly: true,
    // One table per invocation; a bronze object (one batch, at most ~50k rows) is rewritten in memory.
    memoryMb: 1024,
    timeoutSeconds: 900,
  },
  KafkaEvents: {
    entry: 'kafka-events',
    description: 'Target of the MSK event source mapping: writes each batch to bronze.',
    definitions: 'sources',
    invokedBy: 'event',
    memoryMb: 1024,
    timeoutSeconds: 300,
  },
  StartLanding: {
    entry: 'start-landing',
    description: 'Starts one landing_to_bronze run per batch of landing-file events.',
    definitions: 'none',
    invokedBy: 'event',
    memoryMb: 256,
    timeoutSeconds: 30,
  },
  RecordRun: {
    entry: 'record-run',
    description: "Records each run's start, end and dataset steps in the audit tables.",
    definitions: 'sources',
    invokedBy: 'event',
    memoryMb: 256,
    timeoutSeconds: 300,
    // One at a time: concurrent MERGEs into the same Iceberg table would conflict on commit.
    reservedConcurrency: 1,
    auditTables: ['runs', 'run_datasets', 'contract_versions'],
  },
  CostReport: {
    entry: 'cost-report',
    description:
      'The weekly cost report from Cost Explorer and the run history: HTML, CSV and JSON to the reports bucket, a summary to the cost topic.',
    definitions: 'sources',
    invokedBy: 'event',
    // A few dozen Cost Explorer pages and one Athena query; renders a page of HTML.
    memoryMb: 256,
    timeoutSeconds: 300,
  },
  FreshnessProbe: {
    entry: 'freshness-probe',
    description:
      "Publishes each gold table's minutes since its last publish, which the freshness alarms watch.",
    definitions: 'sources',
    invokedBy: 'event',
    // One Glue GetTables and one PutMetricData, every few minutes.
    memoryMb: 256,
    timeoutSeconds: 60,
  },
  CostOptimizer: {
    entry: 'cost-optimizer',
    description:
      "Records the platform buckets' S3 storage metrics and lifecycle rules and its functions' and state machines' activity for the weekly cost report.",
    definitions: 'none',
    invokedBy: 'event',
    // One GetMetricData request of a few hundred series (a few pages) and one call per bucket.
    memoryMb: 256,
    timeoutSeconds: 120,
  },
} as const satisfies Record<string, TaskSpec>;

export type TaskName = keyof typeof tasks;
/** The tasks Task states call that the local runtime must answer: all but the AWS-only ones. */
export type StateMachineTask = {
  [T in TaskName]: (typeof tasks)[T] extends { readonly awsOnly: true }
    ? never
    : (typeof tasks)[T]['invokedBy'] extends 'state machine'
      ? T
      : never;
}[TaskName];

export const taskNames = Object.keys(tasks) as TaskName[];

/** `Transform` → `TransformFunctionArn`: the placeholder Task states use as their `Resource`. */
export function placeholderOf(task: TaskName): string {
  return `${task}FunctionArn`;
}

/** The task a placeholder stands for, or undefined when no task has that placeholder. */
export function taskOfPlaceholder(placeholder: string): TaskName | undefined {
  return taskNames.find((task) => placeholderOf(task) === placeholder);
}

/**
 * How long a Task state waits for its function: longer than the function's own timeout, so Step
 * Functions never retries a task whose first invocation is still running.
 */
export function taskTimeoutSeconds(task: TaskName): number {
  return tasks[task].timeoutSeconds + 60;
}

/** The run-history step of an ingestion: `crm_to_bronze`, whichever task ingested the source. */
export function ingestStep(source: string): string {
  return `${source}_to_bronze`;
}

/** The run-history step of a layer's models. */
export function buildStep(layer: Model['layer']): string {
  return layer === 'silver' ? 'bronze_to_silver' : 'silver_to_gold';
}
