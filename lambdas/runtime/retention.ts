/**
 * `medallion retention apply` on the local lake: the retention part of the maintenance job, planned
 * by the same `planMaintenance` from the contracts' retention and `maintenance.retention`, rows
 * deleted by the same dialect statement and bronze partitions by the same `expiredPartitions`, so
 * what a dry run lists is what the weekly job (or this command) deletes.
 */
import type { MaintenanceConfig } from '../../config/schema';
import type { Contract } from '../core/contracts/contract';
import { bronzePartitionColumn } from '../core/ingest/bronze';
import {
  expiredPartitions,
  maintainedSchemas,
  planMaintenance,
  type BronzeObjects,
  type TableInventory,
} from '../core/maintenance';
import type { SqlEngine } from '../core/ports';

export interface RetentionOutcome {
  readonly relation: string;
  readonly column: string;
  /** Rows older than this instant go (bronze: ingested before this day). */
  readonly before: string;
  /** Rows deleted, or that would be on a dry run. */
  readonly rows: number;
  /** Bronze only: Parquet objects deleted, or that would be. */
  readonly files?: number;
}

/** Deletes (or, on a dry run, counts) the rows and bronze objects that age out as of `now`. */
export async function applyRetention(options: {
  readonly lakehouse: SqlEngine & TableInventory;
  readonly bronze: BronzeObjects;
  readonly config: MaintenanceConfig;
  readonly contracts: readonly Contract[];
  readonly now: Date;
  readonly dryRun: boolean;
}): Promise<RetentionOutcome[]> {
  const { lakehouse, bronze, config, contracts, now, dryRun } = options;
  const d = lakehouse.dialect;
  const count = async (relation: string, where: string) =>
    Number(
      (
        await lakehouse.query<{ n: number }>(
          `select count(*) as n from ${d.relation(relation)} where ${where}`,
        )
      )[0]!.n,
    );
  const plan = planMaintenance(await lakehouse.list(maintainedSchemas), config, now, contracts);
  const outcomes: RetentionOutcome[] = [];
  let expired = false;
  for (const task of plan.tasks) {
    if (task.action === 'expire') {
      const partitions = expiredPartitions(
        await bronze.list(task.prefix),
        task.prefix,
        task.before,
      );
      const rows = await count(
        task.relation,
        `"${bronzePartitionColumn}" < cast(${d.string(task.before)} as date)`,
      );
      let files = partitions.reduce((n, p) => n + p.objects, 0);
      if (!dryRun && partitions.length > 0) {
        files = 0;
        for (const { partition } of partitions) files += await bronze.purge(partition);
        expired = true;
      }
      outcomes.push({
        relation: task.relation,
        column: bronzePartitionColumn,
        before: task.before,
        rows,
        files,
      });
      continue;
    }
    if (task.action !== 'maintain' || !task.retention) continue;
    const { column, before } = task.retention;
    const rows = dryRun
      ? await count(
          task.relation,
          `"${column}" < cast(${d.string(before.replace('T', ' ').replace(/Z$/, ''))} as timestamp)`,
        )
      : await lakehouse.execute(d.maintenance.deleteBefore(task.relation, column, before));
    outcomes.push({ relation: task.relation, column, before, rows });
  }
  // The bronze views glob their partitions: point them at what is left.
  if (expired) await lakehouse.refreshSources();
  if (!dryRun) for (const sql of d.maintenance.reclaimSpace()) await lakehouse.execute(sql);
  return outcomes;
}
