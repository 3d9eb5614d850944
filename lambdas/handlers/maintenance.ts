/**
 * Task handler of the maintenance job, in three steps its state machine calls: `plan` (list the
 * catalog, decide), `apply` (one task of the plan, one Map iteration each, so that no invocation
 * compacts more than one table or expires more than one bronze dataset) and `finish` (reclaim
 * space where the engine needs it, summarize).
 */
import * as z from 'zod';
import type { MaintenanceConfig } from '../../config/schema';
import type { Contract } from '../core/contracts/contract';
import {
  expiredPartitions,
  maintainedSchemas,
  planMaintenance,
  type BronzeObjects,
  type MaintenanceTask,
  type TableInventory,
} from '../core/maintenance';
import type { Clock, Logger, SqlEngine } from '../core/ports';
import { parseTaskInput, taskInputSchema } from './task-input';

export interface MaintenanceDeps {
  readonly engine: SqlEngine;
  readonly inventory: TableInventory;
  readonly config: MaintenanceConfig;
  /** Contracts declaring retention (`slaProperties`), bronze datasets among them. */
  readonly contracts: readonly Contract[];
  readonly bronze: BronzeObjects;
  readonly clock: Clock;
  readonly logger: Logger;
}

const taskSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('drop'), relation: z.string().min(1), reason: z.string() }),
  z.object({
    action: z.literal('expire'),
    relation: z.string().min(1),
    prefix: z.string().regex(/^bronze\/[^/]+\/[^/]+\/$/, 'a bronze dataset prefix'),
    before: z.iso.date(),
  }),
  z.object({
    action: z.literal('maintain'),
    relation: z.string().min(1),
    retention: z.object({ column: z.string().min(1), before: z.iso.datetime() }).optional(),
    compact: z.boolean(),
  }),
]);

/** What one applied task did. */
export interface AppliedTask {
  readonly relation: string;
  readonly action: MaintenanceTask['action'];
  readonly rowsDeleted: number;
  /** Bronze objects deleted (every version of each). */
  readonly objectsDeleted: number;
  readonly statements: number;
}

const inputSchema = z.discriminatedUnion('step', [
  taskInputSchema.extend({ step: z.literal('plan') }),
  taskInputSchema.extend({ step: z.literal('apply'), task: taskSchema }),
  taskInputSchema.extend({
    step: z.literal('finish'),
    applied: z
      .array(
        z.object({
          relation: z.string(),
          action: z.enum(['drop', 'expire', 'maintain']),
          rowsDeleted: z.number(),
          objectsDeleted: z.number().default(0),
          statements: z.number(),
        }),
      )
      .default([]),
  }),
]);

export function createMaintenanceHandler(deps: MaintenanceDeps) {
  const { engine, logger } = deps;
  const d = engine.dialect.maintenance;
  const run = async (statements: readonly string[]) => {
    for (const sql of statements) await engine.execute(sql);
  };

  return async (event: unknown) => {
    const input = parseTaskInput(inputSchema, event, 'maintenance');
    switch (input.step) {
      case 'plan': {
        const catalog = await deps.inventory.list(maintainedSchemas);
        const plan = planMaintenance(catalog, deps.config, deps.clock.now(), deps.contracts);
        for (const note of plan.notes) logger.info(note);
        logger.info(
          `maintenance plan: ${plan.tasks.length} task(s) over ${catalog.length} relations`,
        );
        return plan;
      }
      case 'apply': {
        const { task } = input;
        if (task.action === 'drop') {
          await run([d.dropTable(task.relation)]);
          logger.info(`dropped ${task.relation}: ${task.reason}`);
          return applied(task, 0, 1);
        }
        if (task.action === 'expire') {
          const partitions = expiredPartitions(
            await deps.bronze.list(task.prefix),
            task.prefix,
            task.before,
          );
          let objects = 0;
          for (const { partition } of partitions) objects += await deps.bronze.purge(partition);
          // Locally the bronze views list their partitions; Athena projects them.
          if (objects > 0) await engine.refreshSources();
          logger.info(`expired ${task.relation} before ${task.before}`, {
            partitions: partitions.length,
            objects,
          });
          return applied(task, 0, 0, objects);
        }
        const rowsDeleted = task.retention
          ? await engine.execute(
              d.deleteBefore(task.relation, task.retention.column, task.retention.before),
            )
          : 0;
        const compaction = task.compact
          ? d.compact(task.relation, deps.config.snapshotRetentionDays * 86_400)
          : [];
        await run(compaction);
        logger.info(`maintained ${task.relation}`, { rowsDeleted, compacted: task.compact });
        return applied(task, rowsDeleted, (task.retention ? 1 : 0) + compaction.length);
      }
      case 'finish': {
        const reclaim = d.reclaimSpace();
        await run(reclaim);
        const summary = {
          step: 'maintenance',
          dropped: input.applied.filter((a) => a.action === 'drop').map((a) => a.relation),
          rowsDeleted: Object.fromEntries(
            input.applied.filter((a) => a.rowsDeleted > 0).map((a) => [a.relation, a.rowsDeleted]),
          ),
          objectsDeleted: Object.fromEntries(
            input.applied
              .filter((a) => a.objectsDeleted > 0)
              .map((a) => [a.relation, a.objectsDeleted]),
          ),
          statements: input.applied.reduce((n, a) => n + a.statements, 0) + reclaim.length,
        };
        logger.info(
          `maintenance: dropped ${summary.dropped.length} table(s), deleted ${Object.values(summary.rowsDeleted).reduce((n, r) => n + r, 0)} row(s) and ${Object.values(summary.objectsDeleted).reduce((n, r) => n + r, 0)} bronze object(s)`,
        );
        return summary;
      }
    }
  };
}

function applied(
  task: MaintenanceTask,
  rowsDeleted: number,
  statements: number,
  objectsDeleted = 0,
): AppliedTask {
  return { relation: task.relation, action: task.action, rowsDeleted, objectsDeleted, statements };
}
