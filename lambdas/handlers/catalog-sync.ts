/**
 * Task handler: the last step of every pipeline. Writes each contracted dataset's latest figures
 * (last run, rows, DQ score, contract version, when it was updated) into its catalog table's
 * Parameters and its columns' descriptions and classifications into their comments, so people
 * browsing Glue (or the local catalog) see the state the run left. Earlier runs' figures come
 * from the audit tables, this run's from the results its state carries.
 */
import {
  buildCatalog,
  columnComment,
  tableParameters,
  withCurrentRun,
  type DatasetStatuses,
} from '../core/catalog';
import { isQualityGateResult } from '../core/dq/layer';
import type { DatasetQuality } from '../core/dq/store';
import { isTaskResult, type DatasetStats } from '../core/stats';
import type { ContractRegistry } from '../core/contracts/contract';
import type { CatalogWriter, Clock, Logger } from '../core/ports';
import type { AccessPolicy } from '../core/access/policy';
import {
  syncLakeAccess,
  type AccessSyncContext,
  type AccessSyncResult,
  type LakePermissions,
} from '../core/access/sync';
import { parseTaskInput, taskInputSchema } from './task-input';

export interface CatalogSyncDeps {
  readonly contracts: ContractRegistry;
  readonly statuses: DatasetStatuses;
  readonly writer: CatalogWriter;
  readonly clock: Pick<Clock, 'now'>;
  readonly logger: Logger;
  /**
   * Lake Formation's run-time half (AWS): filters, grants and column tags on the tables runs
   * created, and the personas' views. Not wired locally, where `query --as` enforces the policy
   * itself.
   */
  readonly access?: {
    readonly policy: AccessPolicy;
    readonly permissions: LakePermissions;
    readonly context: AccessSyncContext;
  };
}

export interface CatalogSyncResult {
  readonly step: 'catalog_sync';
  readonly updated: number;
  /** Tables not created yet (a model never built), left for a later run. */
  readonly missing: readonly string[];
  /** What the access sync changed, where it runs. */
  readonly access?: AccessSyncResult;
}

export function createCatalogSyncHandler(deps: CatalogSyncDeps) {
  return async (event: unknown): Promise<CatalogSyncResult> => {
    const input = parseTaskInput(taskInputSchema, event, 'catalog-sync');
    const now = deps.clock.now();
    const { steps, scores } = resultsIn(input.request);
    const statuses = withCurrentRun(await deps.statuses.all(), {
      runId: input.runId,
      at: now.toISOString(),
      steps,
      scores,
    });
    const entries = buildCatalog(deps.contracts, statuses, now);
    const missing: string[] = [];
    for (const entry of entries) {
      const outcome = await deps.writer.updateTable({
        relation: entry.relation,
        parameters: tableParameters(entry),
        columnComments: Object.fromEntries(entry.columns.map((c) => [c.name, columnComment(c)])),
      });
      if (outcome === 'missing') missing.push(entry.relation);
    }
    if (missing.length > 0)
      deps.logger.warn(`catalog sync: ${missing.length} table(s) do not exist yet`, { missing });
    const result = {
      step: 'catalog_sync' as const,
      updated: entries.length - missing.length,
      missing,
    };
    if (!deps.access) return result;
    const { policy, permissions, context } = deps.access;
    const access = await syncLakeAccess(policy, deps.contracts, permissions, context);
    deps.logger.info(
      'access sync: Lake Formation filters, grants, column tags and persona views applied',
      {
        ...access,
      },
    );
    return { ...result, access };
  };
}

/** The task results and quality gates in the state the run carried to this step (`$.ingest`, `$.gold`...). */
function resultsIn(state: unknown): { steps: DatasetStats[]; scores: DatasetQuality[] } {
  const steps: DatasetStats[] = [];
  const scores: DatasetQuality[] = [];
  const visit = (value: unknown): void => {
    if (isTaskResult(value)) steps.push(...value.datasets);
    else if (isQualityGateResult(value)) scores.push(...value.scores);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(state);
  return { steps, scores };
}
