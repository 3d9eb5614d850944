/**
 * Table maintenance, planned from what the catalog holds: which superseded `<table>__v<id>`
 * versions and leftover scratch tables to drop, which tables lose their old rows (retention goes
 * through the table: DELETE, then snapshot expiry, never S3 expiry under a live table), and which
 * Iceberg tables to compact and vacuum. Pure: the catalog listing comes in, tasks go out, and each
 * engine's dialect turns a task into SQL.
 */
import type { MaintenanceConfig } from '../../config/schema';
import { lakeSchemas, type LakeSchema } from './aws-names';
import { ConfigError } from './errors';

/** A table or view of the lake as the catalog lists it. */
export interface CatalogEntry {
  readonly schema: LakeSchema;
  readonly name: string;
  readonly kind: 'table' | 'view';
  /** Iceberg tables are compacted and vacuumed; other tables are the engine's to manage. */
  readonly iceberg: boolean;
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

/** One unit of work, small enough for one Task: a Map state runs them. */
export type MaintenanceTask =
  | { readonly action: 'drop'; readonly relation: string; readonly reason: string }
  | {
      readonly action: 'maintain';
      readonly relation: string;
      /** Rows whose `column` is before this instant are deleted first. */
      readonly retention?: { readonly column: string; readonly before: string };
      /** Iceberg: rewrite small files and expire snapshots older than the retention. */
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
 * Every other table is maintained: its retention (config `maintenance.retention`) and, for Iceberg
 * tables, compaction and snapshot expiry.
 */
export function planMaintenance(
  catalog: readonly CatalogEntry[],
  config: MaintenanceConfig,
  now: Date,
): MaintenancePlan {
  const notes: string[] = [];
  const tasks: MaintenanceTask[] = [];
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
    const task = maintainTask(entry, config, now);
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

  for (const key of Object.keys(config.retention)) {
    const covered = catalog.some(
      (e) => e.kind === 'table' && (`${e.schema}.${e.name}` === key || e.schema === key),
    );
    if (!covered) notes.push(`maintenance.retention.${key}: no such table yet`);
  }
  return { tasks, notes };
}

function maintainTask(
  entry: CatalogEntry,
  config: MaintenanceConfig,
  now: Date,
): MaintenanceTask | undefined {
  const relation = `${entry.schema}.${entry.name}`;
  const key = relation in config.retention ? relation : entry.schema;
  const rule = config.retention[key];
  let retention: { column: string; before: string } | undefined;
  if (rule) {
    const column = rule.column ?? defaultRetentionColumn(entry.schema, entry.name);
    if (!column) {
      throw new ConfigError('maintenance', [
        {
          path: `maintenance.retention.${key}.column`,
          expected: `the timestamp column by which ${relation} ages`,
          found: 'nothing (the key is missing)',
        },
      ]);
    }
    retention = {
      column,
      before: new Date(now.getTime() - rule.days * 86_400_000).toISOString(),
    };
  }
  if (!retention && !entry.iceberg) return undefined;
  return {
    action: 'maintain',
    relation,
    ...(retention ? { retention } : {}),
    compact: entry.iceberg,
  };
}
