/**
 * Runs a dataset's checks on an engine. Each check compiles to portable SQL (plus the dialect's
 * few engine-specific functions) returning the measurement, and, when it fails, a sample of the
 * failing rows. Semantics:
 *
 * - NULLs fail only completeness checks (required, nullValues, missingValues); every other row
 *   check lets a NULL through, as SQL constraints do. Duplicate and reference checks ignore rows
 *   whose key is NULL.
 * - An empty dataset is a result, not a crash: row checks pass with 0 of 0 rows failing,
 *   percentages are 0%, a row-count check compares 0, freshness fails (nothing is fresh), and an
 *   anomaly check has no value to judge and is skipped.
 * - A check that cannot run (a missing table, a broken SQL rule) is an `error` result; it gates
 *   like a failure of its severity.
 */
import { describeError } from '../errors';
import type { Row, SqlEngine } from '../ports';
import { unclassifiedPii } from '../privacy/pii-gate';
import { judgeAnomaly } from './anomaly';
import { describeThreshold, meets, type AnomalyMetric, type Check, type Severity } from './checks';
import type { Profile } from './profile';
import { sqlRuleQuery, writtenBy } from './scope';

export type CheckStatus = 'pass' | 'fail' | 'error' | 'skip';

export interface CheckResult {
  readonly dataset: string;
  readonly check: string;
  readonly kind: Check['kind'];
  readonly column: string | null;
  readonly severity: Severity;
  readonly dimension: string;
  readonly description: string;
  readonly status: CheckStatus;
  /** What was measured: failing rows (or their %), a row count, an age in hours, a metric... */
  readonly observed: number | null;
  /** The threshold, in words. */
  readonly expected: string;
  readonly failingRows: number | null;
  readonly totalRows: number | null;
  /** Up to five failing rows (or differences), JSON-safe. */
  readonly sample: readonly Row[];
  readonly message: string;
}

export interface CheckContext {
  /** "Now" for freshness: the end of the run's logical day, so re-runs judge alike. */
  readonly referenceTime: Date;
  /**
   * This run's profile of the dataset: anomaly checks judge its metrics, and the row-count and
   * freshness checks read its row count and the column's maximum instead of scanning again.
   */
  readonly profile: Profile;
  /** A metric's values in up to `limit` earlier runs, newest first. */
  readonly history: (
    metric: AnomalyMetric,
    column: string | undefined,
    limit: number,
  ) => Promise<number[]>;
  /** What the merge of this run guarantees, when row and key checks read its rows alone. */
  readonly scope?: RunScope;
}

/**
 * A scoped check of a merged dataset (see `scope.ts`): row checks and unique checks read the
 * rows this run wrote, a key written this run still compared with the whole table.
 */
export interface RunScope {
  /** The `_run_id` of the rows the run wrote. */
  readonly runId: string;
  /** The run built the table whole (its first build): `MergedDataset.firstBuild`. */
  readonly firstBuild: boolean;
  /**
   * The merged datasets a reference check may be scoped against: relation → its change feed and
   * single-column key. A child row written by the run, or one whose parent key the run deleted, is
   * all that can have lost its parent since the last check.
   */
  readonly parents?: ReadonlyMap<string, { readonly feed: string; readonly key: string }>;
  /** A unique check over these columns (or more) passes by construction: the merge verified them. */
  readonly uniqueKey: readonly string[] | null;
  /** The row rules quarantine enforced at write (their ids), and where it put failing rows. */
  readonly enforced: { readonly quarantine: string; readonly rules: ReadonlySet<string> } | null;
}

const sampleSize = 5;

export async function runChecks(
  engine: SqlEngine,
  checks: readonly Check[],
  ctx: CheckContext,
): Promise<CheckResult[]> {
  const scope = ctx.scope;
  const enforced = (check: Check) =>
    check.kind === 'rows' && scope?.enforced?.rules.has(check.name) === true;
  const { counted, written: scanned } = await countRowChecks(
    engine,
    checks.filter((c) => !enforced(c)),
    scope,
  );
  const atWrite = checks.filter(enforced);
  // A failure here is each enforced check's error, reported as the check's own.
  const measured =
    atWrite.length === 0
      ? new Error('no rule enforced at write')
      : await measureAtWrite(engine, atWrite, scope!, scanned).catch((error: unknown) =>
          error instanceof Error ? error : new Error(String(error)),
        );
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      const known = counted.get(check);
      results.push(
        check.kind === 'rows' && enforced(check)
          ? enforcedResult(check, measured)
          : check.kind === 'rows' && known
            ? await rowsOutcome(engine, check, known, scope)
            : await runCheck(engine, check, ctx),
      );
    } catch (error) {
      results.push(notRun(check, `could not run: ${describeError(error)}`));
    }
  }
  return results;
}

type RowsCheck = Extract<Check, { kind: 'rows' }>;

/** ` where _run_id = '…'` when scoped: the rows the run wrote; nothing otherwise. */
function written(engine: SqlEngine, scope: RunScope | undefined): string {
  return scope ? ` where ${writtenBy(scope, engine.dialect)}` : '';
}

/** ` and _run_id = '…'` when scoped, to add to a condition. */
function ofRun(engine: SqlEngine, scope: RunScope | undefined): string {
  return scope ? ` and ${writtenBy(scope, engine.dialect)}` : '';
}

/**
 * The failing-row counts of the row checks, in one scan per table rather than one per check (a
 * contract's twenty rules would read a ten-million-row table twenty times). When the combined
 * query fails (one broken rule breaks it), those checks are left out of the map and each runs
 * on its own, so the error is reported by the check that has it. Scoped, the scan reads the
 * rows the run wrote, even for one check: their count (`written`) is also what the rules
 * enforced at write covered.
 */
async function countRowChecks(
  engine: SqlEngine,
  checks: readonly Check[],
  scope: RunScope | undefined,
): Promise<{ counted: Map<Check, { total: number; failing: number }>; written?: number }> {
  const byTable = new Map<string, RowsCheck[]>();
  for (const check of checks) {
    if (check.kind === 'rows')
      byTable.set(check.relation, [...(byTable.get(check.relation) ?? []), check]);
  }
  const counted = new Map<Check, { total: number; failing: number }>();
  let rowsWritten: number | undefined;
  for (const [relation, group] of byTable) {
    if (group.length < 2 && !scope) continue;
    const failing = group.map(
      (c, i) => `, coalesce(sum(case when ${c.failing} then 1 else 0 end), 0) as "failing_${i}"`,
    );
    const row = await engine
      .query(
        `select count(*) as "total"${failing.join('')} from ${engine.dialect.relation(relation)}${written(engine, scope)}`,
      )
      .then(
        ([first]) => first,
        () => undefined,
      );
    if (!row) continue;
    const total = Number(row.total ?? 0);
    if (scope) rowsWritten = total;
    group.forEach((check, i) =>
      counted.set(check, { total, failing: Number(row[`failing_${i}`] ?? 0) }),
    );
  }
  return { counted, ...(rowsWritten === undefined ? {} : { written: rowsWritten }) };
}

interface AtWrite {
  readonly rowsWritten: number;
  readonly quarantined: ReadonlyMap<string, number>;
}

/**
 * What the rules enforced at write are reported from: the rows the run wrote (counted by the
 * scan of the other row checks, else here), and the rows it quarantined, by the rule `_rule`
 * names (the first each row failed).
 */
async function measureAtWrite(
  engine: SqlEngine,
  enforced: readonly Check[],
  scope: RunScope,
  scanned: number | undefined,
): Promise<AtWrite> {
  const d = engine.dialect;
  const rowsWritten =
    scanned ??
    counts(
      (
        await engine.query(
          `select count(*) as "total" from ${d.relation(enforced[0]!.relation)}${written(engine, scope)}`,
        )
      )[0],
    ).total;
  const quarantine = scope.enforced!.quarantine;
  const rows = (await engine.relationExists(quarantine))
    ? await engine.query<{ rule: string; n: number }>(
        `select _rule as "rule", count(*) as "n" from ${d.relation(quarantine)}${written(engine, scope)} group by _rule`,
      )
    : [];
  return { rowsWritten, quarantined: new Map(rows.map((r) => [r.rule, Number(r.n)])) };
}

/**
 * A row rule quarantine enforced at write: no row the run wrote fails it (the merge writes only
 * rows that passed), and what it kept out is this run's quarantine count for the rule.
 */
function enforcedResult(check: RowsCheck, measured: AtWrite | Error): CheckResult {
  if (measured instanceof Error) throw measured;
  const { rowsWritten, quarantined } = measured;
  const kept = quarantined.get(check.name) ?? 0;
  return result(check, meets(0, check.threshold) ? 'pass' : 'fail', {
    observed: 0,
    expected: `failing rows ${describeThreshold(check.threshold)}`,
    failingRows: 0,
    totalRows: rowsWritten,
    message: `0 of ${rowsWritten.toLocaleString('en-US')} rows written by this run fail: enforced at write (quarantine: true), which kept out ${kept.toLocaleString('en-US')} row(s) of this run for it (their first failing rule)`,
  });
}

/** A row check's result from its counts, with a sample of its failing rows when there are some. */
async function rowsOutcome(
  engine: SqlEngine,
  check: RowsCheck,
  { total, failing }: { total: number; failing: number },
  scope: RunScope | undefined,
): Promise<CheckResult> {
  const sample =
    failing > 0
      ? await engine.query(
          `select * from ${engine.dialect.relation(check.relation)} where ${check.failing}${ofRun(engine, scope)} limit ${sampleSize}`,
        )
      : [];
  return rowsResult(check, check.threshold, total, failing, sample, scope);
}

async function runCheck(engine: SqlEngine, check: Check, ctx: CheckContext): Promise<CheckResult> {
  const d = engine.dialect;
  const table = d.relation(check.relation);
  switch (check.kind) {
    case 'rows': {
      const [row] = await engine.query(
        `select count(*) as "total", coalesce(sum(case when ${check.failing} then 1 else 0 end), 0) as "failing" from ${table}${written(engine, ctx.scope)}`,
      );
      return rowsOutcome(engine, check, counts(row), ctx.scope);
    }
    case 'unique': {
      const scope = ctx.scope;
      if (scope?.uniqueKey && scope.uniqueKey.every((k) => check.columns.includes(k)))
        return result(check, meets(0, check.threshold) ? 'pass' : 'fail', {
          observed: 0,
          expected: `failing rows ${describeThreshold(check.threshold)}`,
          failingRows: 0,
          totalRows: ctx.profile.rows,
          message: `unique by construction: the merge verified ${scope.uniqueKey.join(', ')} on its source`,
        });
      const keys = check.columns.map((c) => d.quote(c));
      const notNull = keys.map((k) => `${k} is not null`).join(' and ');
      const grouped = (column: (key: string) => string) => keys.map(column).join(', ');
      // Scoped: the keys the run wrote, each counted over the whole table.
      const duplicated = scope
        ? `select ${grouped((k) => `t.${k}`)}, count(*) as "occurrences" from ${table} t join (select distinct ${grouped((k) => k)} from ${table} where ${notNull}${ofRun(engine, scope)}) w on ${keys.map((k) => `t.${k} = w.${k}`).join(' and ')} group by ${grouped((k) => `t.${k}`)} having count(*) > 1`
        : `select ${grouped((k) => k)}, count(*) as "occurrences" from ${table} where ${notNull} group by ${grouped((k) => k)} having count(*) > 1`;
      const [row] = await engine.query(
        `select (select count(*) from ${table}${written(engine, scope)}) as "total", (select coalesce(sum("occurrences"), 0) from (${duplicated}) dup) as "failing"`,
      );
      const { total, failing } = counts(row);
      const sample =
        failing > 0
          ? await engine.query(`${duplicated} order by "occurrences" desc limit ${sampleSize}`)
          : [];
      return rowsResult(check, check.threshold, total, failing, sample, scope);
    }
    case 'reference': {
      const [c, p] = [d.quote(check.column), d.quote(check.parentColumn)];
      const parent = ctx.scope?.parents?.get(check.parent);
      const keyed = parent?.key === check.parentColumn;
      const scoped = ctx.scope && !ctx.scope.firstBuild && keyed;
      const children = scoped
        ? `(select * from ${table} where ${writtenBy(ctx.scope!, d)} or ${c} in (select ${d.quote(parent.key)} from ${d.relation(parent.feed)} where ${writtenBy(ctx.scope!, d)} and _change_type = 'delete'))`
        : table;
      // A merged parent's key is unique by construction (its merge verified it): joined as it is,
      // without first deduplicating a million keys. Otherwise a duplicate would count a child twice.
      const parents = `(select ${keyed ? '' : 'distinct '}${p} as "parent_key" from ${d.relation(check.parent)})`;
      const joined = `from ${children} child left join ${parents} parent on child.${c} = parent."parent_key"`;
      const orphan = `child.${c} is not null and parent."parent_key" is null`;
      const [row] = await engine.query(
        `select count(*) as "total", coalesce(sum(case when ${orphan} then 1 else 0 end), 0) as "failing" ${joined}`,
      );
      const { total, failing } = counts(row);
      const sample =
        failing > 0
          ? await engine.query(`select child.* ${joined} where ${orphan} limit ${sampleSize}`)
          : [];
      return rowsResult(
        check,
        check.threshold,
        total,
        failing,
        sample,
        scoped ? ctx.scope : undefined,
      );
    }
    case 'row_count': {
      // The profile has counted the rows: no second scan.
      const total = ctx.profile.rows;
      const ok = meets(total, check.threshold);
      return result(check, ok ? 'pass' : 'fail', {
        observed: total,
        expected: describeThreshold(check.threshold),
        totalRows: total,
        message: `${total.toLocaleString('en-US')} rows; the count ${describeThreshold(check.threshold)}`,
      });
    }
    case 'freshness': {
      // The profile has read the newest value (the column's maximum): no second scan.
      const newest = ctx.profile.columns.find((c) => c.column === check.column)?.max ?? null;
      const total = ctx.profile.rows;
      const expected = `newest ${check.column} at most ${check.maxAgeHours} h old`;
      if (newest === null) {
        return result(check, 'fail', {
          expected,
          totalRows: total,
          message: `no ${check.column} at all: nothing is fresh`,
        });
      }
      const at = parseInstant(newest);
      const hours = Math.round(((ctx.referenceTime.getTime() - at) / 3_600_000) * 100) / 100;
      return result(check, hours <= check.maxAgeHours ? 'pass' : 'fail', {
        observed: hours,
        expected,
        totalRows: total,
        message: `newest ${check.column} is ${newest}, ${hours} h before ${ctx.referenceTime.toISOString()}`,
      });
    }
    case 'schema': {
      const found = await engine.describe(`select * from ${table}`);
      const differences: Row[] = [];
      const actual = new Map(found.map((c) => [c.name, c.type]));
      for (const column of check.columns) {
        const type = actual.get(column.name);
        const want = d.columnType(column.type);
        if (type === undefined)
          differences.push({ column: column.name, expected: want, found: 'missing' });
        else if (normalizeType(type) !== normalizeType(want))
          differences.push({ column: column.name, expected: want, found: type });
      }
      const declared = new Set(check.columns.map((c) => c.name));
      for (const c of found) {
        if (!declared.has(c.name) && !c.name.startsWith('_'))
          differences.push({ column: c.name, expected: 'not in the contract', found: c.type });
      }
      return result(check, differences.length === 0 ? 'pass' : 'fail', {
        observed: differences.length,
        expected: 'no difference',
        sample: differences.slice(0, sampleSize),
        message:
          differences.length === 0
            ? `${check.columns.length} columns as declared`
            : differences
                .map(
                  (x) =>
                    `${String(x.column)}: expected ${String(x.expected)}, found ${String(x.found)}`,
                )
                .join('; '),
      });
    }
    case 'sql': {
      const rows = await engine.query(sqlRuleQuery(check.query, check.relation, d, ctx.scope));
      const first = rows[0] ? Object.values(rows[0])[0] : undefined;
      const value = first === null || first === undefined ? NaN : Number(first);
      if (!Number.isFinite(value)) {
        return result(check, 'error', {
          expected: describeThreshold(check.threshold),
          message: `the query returned ${rows.length === 0 ? 'no row' : JSON.stringify(first ?? null)}, not a number`,
        });
      }
      return result(check, meets(value, check.threshold) ? 'pass' : 'fail', {
        observed: value,
        expected: describeThreshold(check.threshold),
        message: `the query returned ${value}; it ${describeThreshold(check.threshold)}`,
      });
    }
    case 'pii': {
      const { scanned, mismatches } = await unclassifiedPii(engine, check.contract, {
        sampleSize: check.sampleSize,
        referenceYear: ctx.referenceTime.getUTCFullYear(),
      });
      return result(check, mismatches.length === 0 ? 'pass' : 'fail', {
        observed: mismatches.length,
        expected: 'no PII in an unclassified or undeclared column',
        // Which column holds what, never the values: the evidence store is read more widely.
        sample: mismatches
          .slice(0, sampleSize)
          .map((m) => ({ column: m.column, entity: m.entity })),
        message:
          mismatches.length > 0
            ? mismatches.map((m) => m.message).join('; ')
            : scanned.length > 0
              ? `no PII in ${scanned.join(', ')} (unclassified or undeclared)`
              : 'every column is classified: nothing to scan',
      });
    }
    case 'anomaly': {
      const current = metricOf(ctx.profile, check.rule.metric, check.column);
      const history = await ctx.history(check.rule.metric, check.column, check.rule.window);
      const verdict = judgeAnomaly(check.rule, current, history);
      return result(check, verdict.status, {
        observed: current,
        expected: check.description,
        message: verdict.message,
      });
    }
  }
}

/** A metric of this run's profile: the row count, or a statistic of one column. */
export function metricOf(
  profile: Profile,
  metric: AnomalyMetric,
  column: string | undefined,
): number | null {
  if (metric === 'rowCount') return profile.rows === 0 ? null : profile.rows;
  const c = profile.columns.find((p) => p.column === column);
  if (!c || profile.rows === 0) return null;
  return {
    nullPercent: c.nullPercent,
    distinctCount: c.distinctCount,
    mean: c.mean,
    stddev: c.stddev,
    median: c.median,
    avgLength: c.avgLength,
  }[metric];
}

function rowsResult(
  check: Check,
  threshold: Parameters<typeof meets>[1],
  total: number,
  failing: number,
  sample: readonly Row[],
  scope?: RunScope,
): CheckResult {
  const rows = scope ? 'rows written by this run' : 'rows';
  const percent = total === 0 ? 0 : Math.round((10000 * failing) / total) / 100;
  const observed = threshold.unit === 'percent' ? percent : failing;
  const ok = meets(observed, threshold);
  return result(check, ok ? 'pass' : 'fail', {
    observed,
    expected: `failing rows ${describeThreshold(threshold)}`,
    failingRows: failing,
    totalRows: total,
    sample: sample.map(jsonSafe),
    message:
      total === 0
        ? `no ${rows} to check`
        : `${failing.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${rows} (${percent}%) fail: ${check.description}`,
  });
}

/** The result of a check that could not run, saying why. */
export function notRun(check: Check, reason: string): CheckResult {
  return result(check, 'error', { message: reason });
}

function result(
  check: Check,
  status: CheckStatus,
  fields: Partial<
    Pick<CheckResult, 'observed' | 'expected' | 'failingRows' | 'totalRows' | 'sample'>
  > & {
    message: string;
  },
): CheckResult {
  return {
    dataset: check.dataset,
    check: check.name,
    kind: check.kind,
    column: check.column ?? null,
    severity: check.severity,
    dimension: check.dimension,
    description: check.description,
    status,
    observed: fields.observed ?? null,
    expected: fields.expected ?? '',
    failingRows: fields.failingRows ?? null,
    totalRows: fields.totalRows ?? null,
    sample: fields.sample ?? [],
    message: fields.message,
  };
}

function counts(row: Row | undefined): { total: number; failing: number } {
  return { total: Number(row?.total ?? 0), failing: Number(row?.failing ?? 0) };
}

/** `2026-01-02 10:00:00[.000000]` or `2026-01-02` (as either engine casts them) as epoch ms, UTC. */
function parseInstant(text: string): number {
  const iso =
    text.length === 10
      ? `${text}T00:00:00Z`
      : `${text.replace(' ', 'T').replace(/(\.\d{3})\d*$/, '$1')}Z`;
  const at = Date.parse(iso.replace(/([+-]\d\d(:?\d\d)?)Z$/, '$1'));
  if (Number.isNaN(at)) throw new Error(`cannot read ${text} as a time`);
  return at;
}

/** Engine type spellings made comparable: `decimal(12,2)` = `DECIMAL(12,2)`, `timestamp(6)` = `TIMESTAMP`. */
function normalizeType(type: string): string {
  return type
    .toUpperCase()
    .replace(/\s+/g, '')
    .replace(/^TIMESTAMP\(\d+\)$/, 'TIMESTAMP')
    .replace(/^VARCHAR\(\d+\)$/, 'VARCHAR')
    .replace(/^INT$/, 'INTEGER');
}

/** Longer texts in a sample are cut: a sample shows which rows failed, not their whole content. */
const sampleTextLimit = 200;

/** A row whose values survive JSON: bigints and dates as text, long texts cut. */
function jsonSafe(row: Row): Row {
  const safe = (v: unknown): unknown => {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
    if (v instanceof Date) return v.toISOString();
    if (typeof v === 'string' && v.length > sampleTextLimit)
      return `${v.slice(0, sampleTextLimit)}…`;
    return v;
  };
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, safe(v)]));
}

/**
 * A dataset's quality score, 0–100: the share of its checks that passed, each weighed by
 * severity (error 3, warning 1, info 0). A check that could not run counts as failed; a skipped
 * one (not enough history) does not count. No weighed check: 100.
 */
export function qualityScore(results: readonly CheckResult[]): number {
  const weights: Record<Severity, number> = { error: 3, warning: 1, info: 0 };
  let weighed = 0;
  let earned = 0;
  for (const r of results) {
    const weight = weights[r.severity];
    if (r.status === 'skip' || weight === 0) continue;
    weighed += weight;
    if (r.status === 'pass') earned += weight;
  }
  return weighed === 0 ? 100 : Math.round((1000 * earned) / weighed) / 10;
}
