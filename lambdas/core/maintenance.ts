/**
 * Table maintenance, planned from what the catalog holds: which superseded `<table>__v<id>`
 * versions and leftover scratch tables to drop, which tables lose their old rows (retention goes
 * through the table: DELETE, then snapshot expiry, never S3 expiry under a live table), and which
 * merge-on-read tables to compact (and, on Iceberg, vacuum). Pure: the catalog listing comes in,
 * tasks go out, and each engine's dialect turns a task into SQL.
 */
import type { MaintenanceConfig } from '../../config/schema';
import { lakeSchemas, type LakeSchema } from './aws-names';
import type { Contract } from './contracts/contract';
import type { DefinitionProblem } from './definition-check';
import { ConfigError } from './errors';
import type { Model } from './models/project';
import { bronzePartitionColumn } from './ingest/bronze';

/** A table or view of the lake as the catalog lists it. */
export interface CatalogEntry {
  readonly schema: LakeSchema;
  readonly name: string;
  readonly kind: 'table' | 'view';
  /**
   * A table that keeps its deletes beside its rows until maintenance compacts it: Iceberg's delete
   * files on AWS; locally, DuckDB's delete marks, since the lakehouse runs without DuckDB's
   * vacuum (see `DuckDbLakehouse`). Other tables are the engine's to manage.
   */
  readonly mergeOnRead: boolean;
  /** A view's SQL; undefined when the catalog cannot tell, and then nothing it may read is dropped. */
  readonly viewText?: string;
}

/** Lists the lake's tables and views: Glue on AWS, the DuckDB catalog locally. */
export interface TableInventory {
  list(schemas: readonly LakeSchema[]): Promise<CatalogEntry[]>;
}

/** Schemas maintenance looks at; bronze is append-only Parquet that the platform never rewrites. */
export const maintainedSchemas = lakeSchemas.filter(
  (schema): schema is Exclude<LakeSchema, 'bronze'> => schema !== 'bronze',
);

/**
 * Bronze objects as retention sees them. Bronze is append-only Parquet partitioned by ingestion
 * day, so it ages out a whole `ingest_date=` partition at a time, through the object store.
 */
export interface BronzeObjects {
  /** Every key under the prefix, recursively, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * Deletes every object under the prefix for good: on a versioned bucket every older version and
   * delete marker too, since a version is a full copy of the rows. Returns the keys deleted.
   */
  purge(prefix: string): Promise<number>;
}

/** How long a table keeps its rows, and who said so. */
export interface RetentionRule {
  readonly days: number;
  /** The timestamp column rows age by; undefined leaves it to the table's default. */
  readonly column?: string;
  /** `maintenance.retention.<key>` or the contract file that declares it. */
  readonly declaredBy: string;
}

/**
 * Retention by key (a layer such as `quarantine`, or a relation such as `bronze.kafka_order_events`):
 * the contracts' `slaProperties` retention, overridden by config `maintenance.retention`. A table
 * nothing names keeps its rows.
 */
export function retentionRules(
  config: MaintenanceConfig,
  contracts: readonly Contract[],
): Readonly<Record<string, RetentionRule>> {
  const rules: Record<string, RetentionRule> = {};
  for (const contract of contracts) {
    const retention = contract.retention;
    if (retention) rules[contract.relation] = { ...retention, declaredBy: contract.file };
  }
  // An override without a column keeps the one the contract names.
  for (const [key, rule] of Object.entries(config.retention))
    rules[key] = { ...rules[key], ...rule, declaredBy: `maintenance.retention.${key}` };
  return rules;
}

/**
 * Retention that a run would undo or that would break a table: a silver or gold table ages out
 * only when its model merges (`incremental`), since a `table` model is rebuilt in full from its
 * inputs on every run (the deleted rows come back; it follows its inputs' retention instead) and
 * an `scd2` history would lose the versions its validity chains rely on.
 */
export function retentionProblems(
  rules: Readonly<Record<string, RetentionRule>>,
  models: readonly Model[],
): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const [key, rule] of Object.entries(rules)) {
    const [layer] = key.split('.');
    if (layer !== 'silver' && layer !== 'gold') continue;
    const model = models.find((m) => m.name === key);
    const where = rule.declaredBy.startsWith('maintenance.')
      ? { file: 'config', message: `${rule.declaredBy}: ` }
      : { file: rule.declaredBy, message: 'slaProperties retention: ' };
    const materialization = model?.config.materialization;
    if (materialization === 'incremental') continue;
    problems.push({
      file: where.file,
      message: `${where.message}${key} keeps ${rule.days} days, but ${
        !model
          ? 'no model builds it'
          : materialization === 'table'
            ? `${model.sqlPath} rebuilds it in full on every run (materialization: table), so deleted rows come back; it follows its inputs' retention`
            : `${model.sqlPath} keeps an scd2 history, whose validity chains need every version`
      }. Only an incremental model's table may age out.`,
    });
  }
  return problems;
}

/** Where a bronze dataset's objects live: `bronze/<source>/<dataset>/`. */
export function bronzePrefix(contract: Contract): string {
  const [source, ...dataset] = contract.id.split('.');
  return `bronze/${source}/${dataset.join('.')}/`;
}

/**
 * The `ingest_date=` partitions under a bronze dataset's prefix wholly older than `before`
 * (a `YYYY-MM-DD` day): every row in them was ingested before that day began.
 */
export function expiredPartitions(
  keys: readonly string[],
  prefix: string,
  before: string,
): { partition: string; objects: number }[] {
  const partitions = new Map<string, number>();
  const marker = `${bronzePartitionColumn}=`;
  for (const key of keys) {
    const folder = key.slice(prefix.length).split('/')[0] ?? '';
    if (!key.startsWith(prefix) || !folder.startsWith(marker)) continue;
    const day = folder.slice(marker.length);
    if (/^\d{4}-\d{2}-\d{2}$/.test(day) && day < before) {
      const partition = `${prefix}${folder}/`;
      partitions.set(partition, (partitions.get(partition) ?? 0) + 1);
    }
  }
  return [...partitions].sort().map(([partition, objects]) => ({ partition, objects }));
}

/** One unit of work, small enough for one Task: a Map state runs them. */
export type MaintenanceTask =
  | { readonly action: 'drop'; readonly relation: string; readonly reason: string }
  | {
      /** Delete a bronze dataset's partitions ingested before `before` (`YYYY-MM-DD`). */
      readonly action: 'expire';
      readonly relation: string;
      readonly prefix: string;
      readonly before: string;
    }
  | {
      readonly action: 'maintain';
      readonly relation: string;
      /** Rows whose `column` is before this instant are deleted first. */
      readonly retention?: { readonly column: string; readonly before: string };
      /** Rewrite the table without its deleted rows (Iceberg: also expire old snapshots). */
      readonly compact: boolean;
    };

export interface MaintenancePlan {
  readonly tasks: readonly MaintenanceTask[];
  /** What was kept that a person might expect to be dropped, and why. */
  readonly notes: readonly string[];
}

/** `20260102030000123_3fa9c1d2`: the UTC creation time to the millisecond, then randomness. */
const tableId = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})_[0-9a-f]{8}$/;
const versionName = /^(.+)__v(\d{17}_[0-9a-f]{8})$/;
const scratchName = /^(.+)__(\d{17}_[0-9a-f]{8})$/;

/** When a table named with a fresh id was created, or undefined for any other name. */
export function createdAt(id: string): Date | undefined {
  const m = tableId.exec(id);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
}

/** The time column retention reads when config names none. */
function defaultRetentionColumn(schema: LakeSchema, table: string): string | undefined {
  if (schema === 'quarantine') return '_quarantined_at';
  const audit: Record<string, string> = {
    runs: 'started_at',
    dq_results: 'checked_at',
    dq_scores: 'checked_at',
    dq_profiles: 'profiled_at',
  };
  return schema === 'audit' ? audit[table] : undefined;
}

/**
 * Plans one maintenance run at `now`.
 *
 * Drops, each only once nothing can still read it:
 * - a version `<table>__v<id>` that no view names, once the version that superseded it (the next
 *   newer one; itself, for an unpublished newest) is older than `dropAfterHours`: a query that
 *   started before the switch has ended by then. The published version is always named by its view.
 * - a scratch table older than `dropAfterHours`: longer than any run, so its run has ended.
 * Views whose text the catalog does not give protect every version of their schema.
 *
 * Every other table is maintained: its retention ({@link retentionRules}) and, for merge-on-read
 * tables, compaction (on Iceberg, with snapshot expiry). Bronze datasets with a retention expire
 * whole ingestion-day partitions (the catalog lists no bronze: its tables come from the
 * contracts).
 */
export function planMaintenance(
  catalog: readonly CatalogEntry[],
  config: MaintenanceConfig,
  now: Date,
  contracts: readonly Contract[],
): MaintenancePlan {
  const notes: string[] = [];
  const tasks: MaintenanceTask[] = [];
  const rules = retentionRules(config, contracts);
  const bronze = contracts.filter((c) => c.layer === 'bronze');
  for (const contract of bronze) {
    const rule = rules[contract.relation] ?? rules.bronze;
    if (!rule) continue;
    tasks.push({
      action: 'expire',
      relation: contract.relation,
      prefix: bronzePrefix(contract),
      before: cutOff(now, rule.days).slice(0, 10),
    });
  }
  const dropBefore = now.getTime() - config.dropAfterHours * 3_600_000;
  const viewTexts = catalog.filter((e) => e.kind === 'view').map((e) => e.viewText);
  const unreadableViews = new Set(
    catalog.filter((e) => e.kind === 'view' && e.viewText === undefined).map((e) => e.schema),
  );
  const readByView = (name: string) =>
    viewTexts.some((text) => text?.toLowerCase().includes(name.toLowerCase()));

  const versions = new Map<string, { entry: CatalogEntry; id: string }[]>();
  for (const entry of catalog.filter((e) => e.kind === 'table')) {
    const relation = `${entry.schema}.${entry.name}`;
    if (entry.schema === 'scratch') {
      const created = createdAt(scratchName.exec(entry.name)?.[2] ?? '');
      if (!created) notes.push(`${relation}: kept, its name carries no creation time`);
      else if (created.getTime() < dropBefore)
        tasks.push({ action: 'drop', relation, reason: 'scratch table of an ended run' });
      continue;
    }
    const version = versionName.exec(entry.name);
    if (version && createdAt(version[2]!)) {
      const key = `${entry.schema}.${version[1]}`;
      versions.set(key, [...(versions.get(key) ?? []), { entry, id: version[2]! }]);
      continue;
    }
    const task = maintainTask(entry, rules, now);
    if (task) tasks.push(task);
  }

  for (const [published, list] of versions) {
    const ordered = list.sort((a, b) => a.id.localeCompare(b.id));
    ordered.forEach(({ entry, id }, i) => {
      const relation = `${entry.schema}.${entry.name}`;
      if (readByView(entry.name)) return;
      if (unreadableViews.has(entry.schema)) {
        notes.push(`${relation}: kept, a view of ${entry.schema} could not be read`);
        return;
      }
      const superseded = createdAt(ordered[i + 1]?.id ?? id)!;
      if (superseded.getTime() < dropBefore) {
        tasks.push({
          action: 'drop',
          relation,
          reason: ordered[i + 1]
            ? `superseded version of ${published}`
            : `unpublished version of ${published}`,
        });
      }
    });
  }

  for (const [key, rule] of Object.entries(rules)) {
    const covered =
      bronze.some((c) => c.relation === key || key === 'bronze') ||
      catalog.some(
        (e) => e.kind === 'table' && (`${e.schema}.${e.name}` === key || e.schema === key),
      );
    if (!covered) notes.push(`${rule.declaredBy}: no such table yet`);
  }
  return { tasks, notes };
}

/** The instant `days` before `now`, as ISO text. */
function cutOff(now: Date, days: number): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}

function maintainTask(
  entry: CatalogEntry,
  rules: Readonly<Record<string, RetentionRule>>,
  now: Date,
): MaintenanceTask | undefined {
  const relation = `${entry.schema}.${entry.name}`;
  const key = relation in rules ? relation : entry.schema;
  const rule = rules[key];
  let retention: { column: string; before: string } | undefined;
  if (rule) {
    const column = rule.column ?? defaultRetentionColumn(entry.schema, entry.name);
    if (!column) {
      // A contract's retention names its column (parseRetention): only config can leave it out.
      throw new ConfigError('maintenance', [
        {
          path: `maintenance.retention.${key}.column`,
          expected: `the timestamp column by which ${relation} ages`,
          found: 'nothing (the key is missing)',
        },
      ]);
    }
    retention = { column, before: cutOff(now, rule.days) };
  }
  if (!retention && !entry.mergeOnRead) return undefined;
  return {
    action: 'maintain',
    relation,
    ...(retention ? { retention } : {}),
    compact: entry.mergeOnRead,
  };
}
