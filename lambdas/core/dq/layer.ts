/**
 * The quality gate of a layer: every silver (or gold) dataset is profiled (for what its checks
 * read: `gateProfile`) and checked, its evidence saved, and the layer's verdict returned for the
 * state machine's Choice state: `fail` when any check of severity `error` failed or could not
 * run, `pass` otherwise (warnings are recorded and reported, and let the run continue).
 */
import type { Contract, ContractRegistry, Layer } from '../contracts/contract';
import type { LineageEmitter, PipelineContext } from '../lineage/events';
import type { Clock, Logger, SqlEngine } from '../ports';
import { endOfDay } from '../time';
import { checksFor } from './checks';
import { gateProfile } from './profile';
import { notRun, qualityScore, runChecks, type CheckResult } from './run';
import { runScope, type GateScope } from './scope';
import { QualityStore, type DatasetQuality, type QualityEvidence } from './store';

export interface QualityGateResult {
  readonly step: string;
  readonly layer: Layer;
  readonly gate: 'pass' | 'fail';
  /** One per dataset (not `datasets`: a gate's result is not a TaskResult of rows written). */
  readonly scores: readonly DatasetQuality[];
  /** The failed error checks in words, for the failure notice (at most ten). */
  readonly summary: string;
}

export interface LayerQualityDeps {
  readonly engine: SqlEngine;
  readonly lineage: LineageEmitter;
  readonly contracts: ContractRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
}

export async function checkLayerQuality(
  deps: LayerQualityDeps,
  request: PipelineContext & {
    readonly layer: Layer;
    /** The relations a selective run built (the plan's `selected`): only they are checked. */
    readonly selected?: readonly string[] | null;
    /** The plan's `gateScope`; without it, every check reads its table whole. */
    readonly scope?: GateScope | null;
  },
): Promise<QualityGateResult> {
  const { engine, contracts, logger } = deps;
  const store = new QualityStore(engine);
  const referenceTime = new Date(endOfDay(request.runDate));
  const datasets: DatasetQuality[] = [];
  const failures: string[] = [];
  const checked = contracts
    .all()
    .filter((c) => c.layer === request.layer)
    .filter((c) => request.selected == null || request.selected.includes(c.relation));
  const evidence: QualityEvidence[] = [];
  await store.clear(
    request.runId,
    checked.map((c) => c.id),
  );
  if (request.scope)
    logger.info(
      request.scope.full === null
        ? `${request.layer} quality: checks of merged datasets read the rows this run wrote (full check: --full-checks, or quality.fullChecksEvery)`
        : `${request.layer} quality: full check (${request.scope.full}), every table read whole`,
    );
  /** Profiles and checks one dataset, keeping its evidence for the layer's save: one task run in the lineage. */
  const checkDataset = async (contract: Contract) => {
    const checks = checksFor(contract, contracts, engine.dialect);
    const exists = await engine.relationExists(contract.relation);
    const profile = exists
      ? await gateProfile(engine, contract, checks)
      : { dataset: contract.id, rows: 0, partial: true as const, columns: [] };
    const results: CheckResult[] = exists
      ? await runChecks(engine, checks, {
          referenceTime,
          profile,
          scope: runScope(request.scope, contract, request.runId, engine.dialect),
          history: (metric, column, limit) =>
            store.history(contract.id, metric, column, request.runId, limit),
        })
      : checks.map((check) =>
          notRun(check, `${contract.relation} does not exist: its model has not been built`),
        );
    const failed = results.filter((r) => r.status === 'fail' || r.status === 'error');
    const quality: DatasetQuality = {
      dataset: contract.id,
      layer: request.layer,
      score: qualityScore(results),
      rows: profile.rows,
      checks: results.length,
      failedErrors: failed.filter((r) => r.severity === 'error').length,
      failedWarnings: failed.filter((r) => r.severity !== 'error').length,
    };
    evidence.push({
      runId: request.runId,
      runDate: request.runDate,
      at: deps.clock.now().toISOString(),
      quality,
      profile,
      results,
    });
    return { profile, results, quality };
  };
  for (const contract of checked) {
    const { results, quality } = await deps.lineage.track(
      request,
      {
        job: `quality.${contract.id}`,
        type: 'QUALITY',
        owners: [contract.owner],
        inputs: [deps.lineage.table(contract.id)],
        outputs: [],
      },
      () => checkDataset(contract),
      ({ profile, results: checks }) => ({
        inputs: [deps.lineage.qualityInput(contract.id, profile, checks)],
      }),
    );
    const failed = results.filter((r) => r.status === 'fail' || r.status === 'error');
    datasets.push(quality);
    for (const r of failed) {
      const line = `${r.dataset} ${r.check} (${r.severity}): ${r.message}`;
      if (r.severity === 'error') failures.push(line);
      else logger.warn(`data quality warning: ${line}`);
    }
  }
  await store.save(evidence);
  return {
    step: `${request.layer}_quality`,
    layer: request.layer,
    gate: failures.length > 0 ? 'fail' : 'pass',
    scores: datasets,
    summary:
      checked.length === 0
        ? `no ${request.layer} dataset was built: nothing to check`
        : failures.length === 0
          ? `every ${request.layer} dataset ${request.selected == null ? '' : 'built '}passed its error checks`
          : `${failures.length} error check(s) failed in ${request.layer}: ${failures.slice(0, 10).join(' | ')}${failures.length > 10 ? ` | and ${failures.length - 10} more` : ''}`,
  };
}

/** Whether a task's result is a quality gate's (the runner collects them for its summary). */
export function isQualityGateResult(value: unknown): value is QualityGateResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    'gate' in value &&
    Array.isArray((value as QualityGateResult).scores)
  );
}
