/**
 * Column profiles. A full profile ({@link profileDataset}: `dq profile`, `dq suggest`, dry-run,
 * `medallion new`) holds for every column of a dataset, in one scan, the row and null counts, the
 * distinct count, min and max, and by type the mean, standard deviation and quartiles (numbers) or
 * the length statistics (strings), distinct counts and quartiles exact up to a million rows and
 * estimated from every row beyond; then, in a second query, the most frequent values of the
 * columns with few distinct values.
 * A quality gate's profile ({@link gateProfile}) holds only what its checks read: the row count,
 * the newest value of each freshness column and the metrics of its anomaly checks, in one scan; a
 * full profile of every dataset on every run costs more than the transforms it checks.
 * Profiles are stored per run; they are what anomaly checks compare against. What a profile shows
 * of a column's values depends on its classification.
 */
import type { Contract } from '../contracts/contract';
import type { Classification } from '../contracts/schema';
import type { Row, SqlDialect, SqlEngine } from '../ports';
import type { AnomalyMetric, Check } from './checks';

/** What a profile holds of a column: a metric it did not compute is null, never 0. */
export interface ColumnMetrics {
  readonly column: string;
  readonly type: string;
  readonly rows: number;
  readonly nulls: number | null;
  /** Share of rows that are NULL, 0–100; 0 for an empty dataset. */
  readonly nullPercent: number | null;
  readonly distinctCount: number | null;
  readonly min: string | null;
  readonly max: string | null;
  readonly mean: number | null;
  readonly stddev: number | null;
  readonly p25: number | null;
  readonly median: number | null;
  readonly p75: number | null;
  readonly minLength: number | null;
  readonly avgLength: number | null;
  readonly maxLength: number | null;
  /** The most frequent values, when the column has at most {@link topValuesUpTo} distinct ones. */
  readonly topValues: readonly TopValue[] | null;
}

export interface TopValue {
  readonly value: string | null;
  readonly count: number;
}

/** A column's full profile: every metric its type and classification allow. */
export interface ColumnProfile extends ColumnMetrics {
  readonly nulls: number;
  readonly nullPercent: number;
  readonly distinctCount: number;
  readonly topValues: readonly TopValue[];
}

/** A full profile, as {@link profileDataset} computes it. */
export interface DatasetProfile {
  readonly dataset: string;
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
}

/**
 * A quality gate's profile: the row count, and only the columns and metrics its checks read
 * (see {@link gateProfile}); every other metric is null.
 */
export interface GateProfile {
  readonly dataset: string;
  readonly rows: number;
  readonly partial: true;
  readonly columns: readonly ColumnMetrics[];
}

/** Either profile: what the checks judge, the evidence store keeps and the lineage facet reports. */
export type Profile = DatasetProfile | GateProfile;

/** Datasets up to this many rows get exact distinct counts and quartiles. */
export const exactUpTo = 1_000_000;

/** Columns with more distinct values than this get no top-values list (ids, amounts...). */
export const topValuesUpTo = 50;
const topValuesShown = 10;

const numeric = /^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|DECIMAL|DOUBLE|REAL|FLOAT)/i;
const textual = /^(VARCHAR|CHAR|STRING)/i;

/**
 * Which of a column's own values a profile may hold, by classification. Profiles land in the
 * audit store and in reports that travel further than the data's grants, so `pii` keeps only
 * counts, lengths, mean and spread: no min, max, quartile or top value is ever computed.
 * `confidential` (business-sensitive, not personal) loses min and max, each one row's value and
 * the outlier a reader would look up, but keeps quartiles and top values, which many rows share.
 */
export function valuesShown(classification: Classification): {
  readonly extremes: boolean;
  readonly quartiles: boolean;
  readonly topValues: boolean;
} {
  return {
    extremes: classification !== 'pii' && classification !== 'confidential',
    quartiles: classification !== 'pii',
    topValues: classification !== 'pii',
  };
}

/** What a profile computes of a column (each only where the column's type and classification allow). */
type Stat =
  | 'nulls'
  | 'distinct'
  | 'extremes'
  | 'max'
  | 'mean'
  | 'stddev'
  | 'quartiles'
  | 'median'
  | 'lengths'
  | 'avgLength';

interface Profiled {
  readonly name: string;
  readonly type: string;
  readonly shown: ReturnType<typeof valuesShown>;
  readonly stats: ReadonlySet<Stat>;
}

const everyStat: ReadonlySet<Stat> = new Set<Stat>([
  'nulls',
  'distinct',
  'extremes',
  'mean',
  'stddev',
  'quartiles',
  'lengths',
]);

export async function profileDataset(
  engine: SqlEngine,
  contract: Contract,
): Promise<DatasetProfile> {
  const d = engine.dialect;
  const table = d.relation(contract.relation);
  const columns = contract.properties.map((p): Profiled => ({
    name: p.name,
    type: p.physicalType,
    shown: valuesShown(p.classification),
    stats: everyStat,
  }));
  const exact = await isExactSize(engine, table);
  const [stats] = await engine.query(
    `select ${['count(*) as "rows"', ...columns.flatMap((c, i) => statSql(d, c, i, exact))].join(', ')} from ${table}`,
  );
  const rows = num(stats?.rows) ?? 0;
  // Every statistic was computed: no metric below is null.
  const measured = columns.map((c, i) => readColumn(stats, c, i, rows));
  const few = columns
    .map((c, i) => ({ ...c, i }))
    .filter(({ i }) => rows > 0 && measured[i]!.distinctCount! <= topValuesUpTo);
  const top = new Map<number, TopValue[]>();
  // Grouping few-valued columns also gives their exact distinct count: HyperLogLog is only an
  // estimate, and a small one reads as a bug (4 codes counted as 3).
  const exactDistinct = new Map<number, number>();
  // A column whose values are not shown is grouped for its count alone: its values never leave
  // the engine.
  if (few.length > 0) {
    const parts = few.map(
      ({ name, shown, i }) =>
        `select * from (select ${i} as "column_index", ${shown.topValues ? '"value"' : 'cast(null as varchar) as "value"'}, "n", count("value") over () as "distinct_values" from (select cast(${d.quote(name)} as varchar) as "value", count(*) as "n" from ${table} group by 1) grouped order by "n" desc, "value" limit ${shown.topValues ? topValuesShown : 1})`,
    );
    const hidden = new Set(few.filter(({ shown }) => !shown.topValues).map(({ i }) => i));
    for (const row of await engine.query(parts.join(' union all '))) {
      const index = num(row.column_index)!;
      exactDistinct.set(index, num(row.distinct_values) ?? 0);
      if (hidden.has(index)) continue;
      const list = top.get(index) ?? [];
      list.push({ value: row.value === null ? null : String(row.value), count: num(row.n) ?? 0 });
      top.set(index, list);
    }
  }

  return {
    dataset: contract.id,
    rows,
    columns: measured.map((metrics, i) => ({
      ...metrics,
      nulls: metrics.nulls!,
      nullPercent: metrics.nullPercent!,
      distinctCount: exactDistinct.get(i) ?? metrics.distinctCount!,
      topValues: (top.get(i) ?? []).sort((a, b) => b.count - a.count),
    })),
  };
}

/** The statistic of the profile each anomaly metric reads (the row count is always counted). */
const statOf: Record<Exclude<AnomalyMetric, 'rowCount'>, Stat> = {
  nullPercent: 'nulls',
  distinctCount: 'distinct',
  mean: 'mean',
  stddev: 'stddev',
  median: 'median',
  avgLength: 'avgLength',
};

/**
 * A quality gate's profile of a dataset: the row count, the maximum of each freshness column and
 * the (metric, column) pairs its anomaly checks read, in one scan; nothing else (no top values, no
 * quartiles, no distinct counts unless an anomaly check reads them). Each metric is computed as
 * {@link profileDataset} computes it, so anomaly history holds comparable values from either:
 * a distinct count or a median read first counts the rows (exact up to {@link exactUpTo}), and an
 * estimated distinct count of few values is then counted exactly.
 */
export async function gateProfile(
  engine: SqlEngine,
  contract: Contract,
  checks: readonly Check[],
): Promise<GateProfile> {
  const d = engine.dialect;
  const table = d.relation(contract.relation);
  const wanted = new Map<string, Set<Stat>>();
  const want = (column: string, stat: Stat) =>
    wanted.set(column, new Set([...(wanted.get(column) ?? []), stat]));
  for (const check of checks) {
    if (check.kind === 'freshness') want(check.column, 'max');
    if (check.kind === 'anomaly' && check.rule.metric !== 'rowCount' && check.column !== undefined)
      want(check.column, statOf[check.rule.metric]);
  }
  const columns = contract.properties
    .filter((p) => wanted.has(p.name))
    .map((p): Profiled => ({
      name: p.name,
      type: p.physicalType,
      shown: valuesShown(p.classification),
      stats: wanted.get(p.name)!,
    }));
  const exact = columns.some((c) => c.stats.has('distinct') || c.stats.has('median'))
    ? await isExactSize(engine, table)
    : true;
  const [stats] = await engine.query(
    `select ${['count(*) as "rows"', ...columns.flatMap((c, i) => statSql(d, c, i, exact))].join(', ')} from ${table}`,
  );
  const rows = num(stats?.rows) ?? 0;
  const measured = columns.map((c, i) => readColumn(stats, c, i, rows));
  const few = measured
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => !exact && c.distinctCount !== null && c.distinctCount <= topValuesUpTo);
  if (few.length > 0) {
    const [counted] = await engine.query(
      `select ${few.map(({ c, i }) => `count(distinct ${d.quote(c.column)}) as "d_${i}"`).join(', ')} from ${table}`,
    );
    for (const { c, i } of few)
      measured[i] = { ...c, distinctCount: num(counted?.[`d_${i}`]) ?? c.distinctCount };
  }
  return { dataset: contract.id, rows, partial: true, columns: measured };
}

/** Exact distinct counts and quartiles up to a million rows; estimates beyond. */
async function isExactSize(engine: SqlEngine, table: string): Promise<boolean> {
  // Exact ones beyond cost more than a profile is worth (a few percent of error on a big count
  // reads fine; on 100 it does not).
  const [size] = await engine.query(`select count(*) as "rows" from ${table}`);
  return Number(size?.rows ?? 0) <= exactUpTo;
}

/** The select items computing a column's statistics, named `<stat>_<index>`. */
function statSql(
  d: SqlDialect,
  { name, type, shown, stats }: Profiled,
  i: number,
  exact: boolean,
): string[] {
  const c = d.quote(name);
  const select: string[] = [];
  // A distinct count is bounded by the non-null values: it needs their count.
  if (stats.has('nulls') || stats.has('distinct')) select.push(`count(${c}) as "nn_${i}"`);
  if (stats.has('distinct'))
    select.push(`${exact ? `count(distinct ${c})` : d.approxDistinct(c)} as "d_${i}"`);
  if (shown.extremes && stats.has('extremes'))
    select.push(`cast(min(${c}) as varchar) as "min_${i}"`);
  if (shown.extremes && (stats.has('extremes') || stats.has('max')))
    select.push(`cast(max(${c}) as varchar) as "max_${i}"`);
  if (numeric.test(type)) {
    if (stats.has('mean')) select.push(`avg(cast(${c} as double)) as "mean_${i}"`);
    if (stats.has('stddev')) select.push(`stddev_samp(cast(${c} as double)) as "sd_${i}"`);
    if (shown.quartiles && stats.has('quartiles'))
      select.push(`${d.quantiles(c, [0.25, 0.5, 0.75], exact)} as "q_${i}"`);
    if (shown.quartiles && stats.has('median'))
      select.push(`${d.quantiles(c, [0.5], exact)} as "med_${i}"`);
  }
  if (textual.test(type)) {
    if (stats.has('lengths')) select.push(`min(length(${c})) as "minl_${i}"`);
    if (stats.has('lengths') || stats.has('avgLength'))
      select.push(`avg(cast(length(${c}) as double)) as "avgl_${i}"`);
    if (stats.has('lengths')) select.push(`max(length(${c})) as "maxl_${i}"`);
  }
  return select;
}

/** A column's metrics from the scan's row: a statistic the scan did not compute is null. */
function readColumn(
  stats: Row | undefined,
  { name, type, stats: computed }: Profiled,
  i: number,
  rows: number,
): ColumnMetrics {
  const get = (key: string) => stats?.[`${key}_${i}`];
  const [p25, median, p75] = numbers(get('q'));
  const nulls = computed.has('nulls') ? rows - (num(get('nn')) ?? 0) : null;
  return {
    column: name,
    type,
    rows,
    nulls,
    nullPercent: nulls === null ? null : rows === 0 ? 0 : round((100 * nulls) / rows),
    // An estimate never exceeds the values there are.
    distinctCount: computed.has('distinct')
      ? Math.min(num(get('d')) ?? 0, num(get('nn')) ?? 0)
      : null,
    min: text(get('min')),
    max: text(get('max')),
    mean: num(get('mean')),
    stddev: num(get('sd')),
    p25: p25 ?? null,
    median: median ?? numbers(get('med'))[0] ?? null,
    p75: p75 ?? null,
    minLength: num(get('minl')),
    avgLength: num(get('avgl')),
    maxLength: num(get('maxl')),
    topValues: null,
  };
}

function num(value: Row[string] | undefined): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** An array of numbers as an engine returns it: a JS array, or text such as `[1.0, 2.5, 3.0]`. */
function numbers(value: Row[string] | undefined): (number | null)[] {
  if (value === null || value === undefined) return [null, null, null];
  const items = Array.isArray(value)
    ? value
    : String(value)
        .replace(/^\[|\]$/g, '')
        .split(',')
        .filter((item) => item.trim() !== '');
  return items.map((item) => num(item as Row[string]));
}

function text(value: Row[string] | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
