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
  /**
   * The table did not exist when the layer was planned: the run's first build writes every row,
   * so the gate's SQL rules read it whole, in the form their authors wrote for a full check,
   * rather than filter every row on `_run_id` (see {@link sqlRuleQuery}).
   */
  readonly firstBuild: boolean;
  /**
   * The change feed of an `incremental` model (`changelog.<layer>_<name>`): the keys each run
   * wrote or deleted. A reference to this dataset's key is then local too: a child row loses its
   * parent only when the run writes the child or deletes the parent. `null` for `scd2`.
   */
  readonly changeFeed?: string | null;
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
    firstBuild: merged.firstBuild,
    parents: new Map(
      scope.merged.flatMap((m) =>
        m.changeFeed && m.uniqueKey?.length === 1
          ? [[m.relation, { feed: m.changeFeed, key: m.uniqueKey[0]! }] as const]
          : [],
      ),
    ),
    uniqueKey: merged.uniqueKey,
    enforced: merged.quarantine
      ? {
          quarantine: merged.quarantine,
          rules: new Set(rowRules(contract, dialect).map((r) => r.id)),
        }
      : null,
  };
}

/** `silver.orders`: a relation a SQL rule names, `<schema>.<name>` as contracts spell them. */
const relationName = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;

/**
 * What a `${...}` in a SQL rule's query stands for: `table` (the dataset, whole), `rows` (the
 * rows of the dataset this check covers), `rows:<relation>` (the same of another relation) or
 * `<relation>` (another relation, whole); `undefined` for anything else.
 */
function ruleReference(
  name: string,
): { readonly relation: string | null; readonly covered: boolean } | undefined {
  if (name === 'table' || name === 'rows') return { relation: null, covered: name === 'rows' };
  const covered = name.startsWith('rows:');
  const relation = covered ? name.slice('rows:'.length) : name;
  return relationName.test(relation) ? { relation, covered } : undefined;
}

/** The `${...}` of a SQL rule's query that name nothing it can stand for (a typo, a stray `${`). */
export function unknownRuleReferences(query: string): string[] {
  return [...query.matchAll(/\$\{([^}]*)\}?/g)]
    .filter((m) => !m[0].endsWith('}') || ruleReference(m[1]!) === undefined)
    .map((m) => m[0]);
}

/** What a row the run wrote meets: every model's table, and its change feed, stamp `_run_id`. */
export function writtenBy(scope: Pick<RunScope, 'runId'>, dialect: SqlDialect): string {
  return `_run_id = ${dialect.string(scope.runId)}`;
}

/**
 * A SQL rule's query as the engine gets it. `${table}` and `${silver.orders}` are whole tables.
 * `${rows}` and `${rows:silver.orders}` are the rows this check covers: scoped (the dataset is
 * merged and this is no full check), those the run wrote, `(select * from … where _run_id = …)`,
 * so a rule local to a row or a key reads only them; otherwise (and after a first build, which
 * wrote every row: a full check of the dataset is then the cheaper plan) the whole table. The relation of
 * a `${rows:…}` needs a `_run_id`: every model's table has one, and so has its change feed
 * (`changelog.<layer>_<model>`), where the keys a run deleted are.
 */
export function sqlRuleQuery(
  query: string,
  relation: string,
  dialect: SqlDialect,
  scope: RunScope | undefined,
): string {
  return query.replace(/\$\{([^}]*)\}/g, (token, name: string) => {
    const reference = ruleReference(name);
    if (!reference) throw new Error(`${token} in a sql rule names no relation`);
    const table = dialect.relation(reference.relation ?? relation);
    return reference.covered && scope && !scope.firstBuild
      ? `(select * from ${table} where ${writtenBy(scope, dialect)})`
      : table;
  });
}
