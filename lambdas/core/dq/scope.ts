/**
 * What a quality gate re-reads. A merge writes a few rows into a large table, and what the
 * materialization already guaranteed need not be measured again: a check local to a row or a key
 * reads the rows the run wrote (their `_run_id` is the run's), the model's `unique_key` is unique
 * by construction, and the row rules quarantine enforced are reported from the quarantine. A full
 * check (periodic, or asked for) reads every table whole, and so catches what was written by
 * other means than the merge (a row edited by hand, a duplicate key inserted by hand).
 */
import type { Contract } from '../contracts/contract';
import { rowRules } from '../contracts/rules';
import type { SqlDialect } from '../ports';
import type { RunScope } from './run';

/** A dataset its model merges into (`incremental` or `scd2`): what its materialization guarantees. */
export interface MergedDataset {
  /** The relation (`silver.orders`), the contract's. */
  readonly relation: string;
  /**
   * The model's `unique_key`, when the merge makes it unique among the table's rows: an
   * `incremental` model's (its source is key-unique, verified or ranked, and a MERGE on the key
   * cannot add a second row for it). `null` for `scd2`: its table holds one row per version, and
   * only current versions are unique per key, which no contract key states as such.
   */
  readonly uniqueKey: readonly string[] | null;
  /**
   * Where rows failing the contract's row rules went (`quarantine: true`): rows the merge wrote
   * passed every one of them. `null` without quarantine.
   */
  readonly quarantine: string | null;
}

export interface GateScope {
  /** Why this run checks every table whole (`requested`, `periodic: ...`); `null`: scoped checks. */
  readonly full: string | null;
  /** The layer's merged datasets; the others (tables rebuilt each run, seeds) are checked whole. */
  readonly merged: readonly MergedDataset[];
}

/** 1970-01-04, a Sunday: the day periods are counted from, so that a weekly full check falls on Sundays. */
const periodOrigin = Date.UTC(1970, 0, 4);

/**
 * Whether a run date is a periodic full-check day: every `every` days counted from Sunday
 * 1970-01-04 (with 7, every Sunday), decided by the date alone, so a re-run of a day checks as
 * the first run did. `0` never.
 */
export function isFullCheckDay(runDate: string, every: number): boolean {
  if (every === 0) return false;
  const days = Math.round((Date.parse(`${runDate}T00:00:00Z`) - periodOrigin) / 86_400_000);
  return ((days % every) + every) % every === 0;
}

/**
 * How the gate checks one dataset: scoped to the run's rows when its model merges into it and
 * the run is not a full check; `undefined` (every table whole) otherwise, or without a scope (a
 * gate run outside a planned run).
 */
export function runScope(
  scope: GateScope | null | undefined,
  contract: Contract,
  runId: string,
  dialect: SqlDialect,
): RunScope | undefined {
  const merged = scope?.merged.find((m) => m.relation === contract.relation);
  if (!scope || scope.full !== null || !merged) return undefined;
  return {
    runId,
    uniqueKey: merged.uniqueKey,
    enforced: merged.quarantine
      ? {
          quarantine: merged.quarantine,
          rules: new Set(rowRules(contract, dialect).map((r) => r.id)),
        }
      : null,
  };
}
