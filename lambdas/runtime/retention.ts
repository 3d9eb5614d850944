/**
 * `medallion retention apply` on the local lake: the retention part of the maintenance job, planned
 * by the same `planMaintenance` from `maintenance.retention` and deleted by the same dialect
 * statement, so what a dry run lists is what the weekly job (or this command) deletes.
 */
import type { MaintenanceConfig } from '../../config/schema';
import { maintainedSchemas, planMaintenance, type TableInventory } from '../core/maintenance';
import type { SqlEngine } from '../core/ports';

export interface RetentionOutcome {
  readonly relation: string;
  readonly column: string;
  /** Rows older than this instant go. */
  readonly before: string;
  /** Rows deleted, or that would be on a dry run. */
  readonly rows: number;
}

/** Deletes (or, on a dry run, counts) the rows `maintenance.retention` ages out as of `now`. */
export async function applyRetention(options: {
  readonly lakehouse: SqlEngine & TableInventory;
  readonly config: MaintenanceConfig;
  readonly now: Date;
  readonly dryRun: boolean;
}): Promise<RetentionOutcome[]> {
  const { lakehouse, config, now, dryRun } = options;
  const d = lakehouse.dialect;
  const plan = planMaintenance(await lakehouse.list(maintainedSchemas), config, now);
  const outcomes: RetentionOutcome[] = [];
  for (const task of plan.tasks) {
    if (task.action !== 'maintain' || !task.retention) continue;
    const { column, before } = task.retention;
    const rows = dryRun
      ? Number(
          (
            await lakehouse.query<{ n: number }>(
              `select count(*) as n from ${d.relation(task.relation)} where "${column}" < cast(${d.string(before.replace('T', ' ').replace(/Z$/, ''))} as timestamp)`,
            )
          )[0]!.n,
        )
      : await lakehouse.execute(d.maintenance.deleteBefore(task.relation, column, before));
    outcomes.push({ relation: task.relation, column, before, rows });
  }
  if (!dryRun) for (const sql of d.maintenance.reclaimSpace()) await lakehouse.execute(sql);
  return outcomes;
}
