/**
 * Column profiles: for every column of a dataset, in one scan, the row and null counts, the
 * distinct count, min and max, and by type the mean, standard deviation and quartiles (numbers) or
 * the length statistics (strings), distinct counts and quartiles exact up to a million rows and
 * estimated from every row beyond; then, in a second query, the most frequent values of the
 * columns with few distinct values.
 * Profiles are stored per run; they are what anomaly checks compare against and what `dq suggest`
 * proposes rules from. What a profile shows of a column's values depends on its classification.
 */
import type { Contract } from '../contracts/contract';
import type { Classification } from '../contracts/schema';
import type { Row, SqlEngine } from '../ports';

export interface ColumnProfile {
  readonly column: string;
  readonly type: string;
  readonly rows: number;
  readonly nulls: number;
  /** Share of rows that are NULL, 0–100; 0 for an empty dataset. */
  readonly nullPercent: number;
  readonly distinctCount: number;
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
  readonly topValues: readonly { readonly value: string | null; readonly count: number }[];
}

export interface DatasetProfile {
  readonly dataset: string;
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
}

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

export async function profileDataset(
  engine: SqlEngine,
  contract: Contract,
): Promise<DatasetProfile> {
  const d = engine.dialect;
  const table = d.relation(contract.relation);
  const columns = contract.properties.map((p) => ({
    name: p.name,
    type: p.physicalType,
    shown: valuesShown(p.classification),
  }));
  // Exact distinct counts and quartiles up to a million rows; estimates beyond, where exact ones
  // cost more than a profile is worth (a few percent of error on a big count reads fine; on 100 it
  // does not).
  const [size] = await engine.query(`select count(*) as "rows" from ${table}`);
  const exact = Number(size?.rows ?? 0) <= exactUpTo;
  const select: string[] = ['count(*) as "rows"'];
  columns.forEach(({ name, type, shown }, i) => {
    const c = d.quote(name);
    select.push(
      `count(${c}) as "nn_${i}"`,
      `${exact ? `count(distinct ${c})` : d.approxDistinct(c)} as "d_${i}"`,
    );
    if (shown.extremes) {
      select.push(
        `cast(min(${c}) as varchar) as "min_${i}"`,
        `cast(max(${c}) as varchar) as "max_${i}"`,
      );
    }
    if (numeric.test(type)) {
      select.push(
        `avg(cast(${c} as double)) as "mean_${i}"`,
        `stddev_samp(cast(${c} as double)) as "sd_${i}"`,
      );
      if (shown.quartiles) select.push(`${d.quantiles(c, [0.25, 0.5, 0.75], exact)} as "q_${i}"`);
    }
    if (textual.test(type)) {
      select.push(
        `min(length(${c})) as "minl_${i}"`,
        `avg(cast(length(${c}) as double)) as "avgl_${i}"`,
        `max(length(${c})) as "maxl_${i}"`,
      );
    }
  });
  const [stats] = await engine.query(`select ${select.join(', ')} from ${table}`);
  const rows = num(stats?.rows) ?? 0;

  // An estimate never exceeds the values there are.
  const distinct = (i: number) =>
    Math.min(num(stats?.[`d_${i}`]) ?? 0, num(stats?.[`nn_${i}`]) ?? 0);
  const few = columns
    .map((c, i) => ({ ...c, i }))
    .filter(({ i }) => rows > 0 && distinct(i) <= topValuesUpTo);
  const top = new Map<number, { value: string | null; count: number }[]>();
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
    columns: columns.map(({ name, type }, i) => {
      const get = (key: string) => stats?.[`${key}_${i}`];
      const [p25, median, p75] = numbers(get('q'));
      const nulls = rows - (num(get('nn')) ?? 0);
      return {
        column: name,
        type,
        rows,
        nulls,
        nullPercent: rows === 0 ? 0 : round((100 * nulls) / rows),
        distinctCount: exactDistinct.get(i) ?? distinct(i),
        min: text(get('min')),
        max: text(get('max')),
        mean: num(get('mean')),
        stddev: num(get('sd')),
        p25: p25 ?? null,
        median: median ?? null,
        p75: p75 ?? null,
        minLength: num(get('minl')),
        avgLength: num(get('avgl')),
        maxLength: num(get('maxl')),
        topValues: (top.get(i) ?? []).sort((a, b) => b.count - a.count),
      };
    }),
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
