/**
 * k-anonymity of a dataset over chosen quasi-identifiers, and the anonymized SELECT an export
 * writes. Each quasi-identifier is read as its contract's `anonymize` operator makes it (a birth
 * date generalized to its year counts as its year), because that is what leaves. The grouping is
 * SQL on the engine; the verdict is computed here.
 */
import type { Contract } from '../contracts/contract';
import { PipelineError } from '../errors';
import { operatorSql, type Anonymize, type OperatorDialect } from './operators';

type Dialect = OperatorDialect & { quote(identifier: string): string };

export interface QuasiIdentifier {
  readonly column: string;
  /** The contract's operator for the column, applied before grouping. */
  readonly operator?: Anonymize;
}

/** The quasi-identifiers as the contract declares them; an unknown column is an error naming it. */
export function quasiIdentifiers(
  contract: Contract,
  columns: readonly string[],
): QuasiIdentifier[] {
  if (columns.length === 0)
    throw new PipelineError('k-anonymity needs at least one quasi-identifier (--quasi a,b,c)');
  return columns.map((column) => {
    const property = contract.column(column);
    if (!property)
      throw new PipelineError(
        `${contract.file}: ${contract.id} has no column ${column} (columns: ${contract.properties.map((p) => p.name).join(', ')})`,
      );
    return property.anonymize ? { column, operator: property.anonymize } : { column };
  });
}

/** Whether any of the operators is a pseudonym, which needs the privacy key. */
export function needsKey(operators: readonly (Anonymize | undefined)[]): boolean {
  return operators.some((o) => o?.method === 'pseudonym');
}

/**
 * One row per equivalence class: each quasi-identifier's value (named as the column) and `_size`,
 * the rows sharing them. NULL is a value like any other: rows missing the same fields group.
 */
export function equivalenceClassesSql(
  relation: string,
  quasi: readonly QuasiIdentifier[],
  d: Dialect,
  key?: Uint8Array,
): string {
  const columns = quasi.map((q) => {
    const column = d.quote(q.column);
    return `${q.operator ? operatorSql(q.operator, column, d, key) : column} as ${column}`;
  });
  return `select ${columns.join(', ')}, count(*) as _size from ${relation} group by ${quasi.map((_, i) => i + 1).join(', ')}`;
}

/** The counts the verdict needs, as one row of {@link KAnonymityCounts}. */
export function kAnonymitySql(classes: string, k: number): string {
  return `select coalesce(sum(_size), 0) as row_count, count(*) as class_count, min(_size) as smallest,
    coalesce(sum(case when _size < ${k} then 1 else 0 end), 0) as classes_below,
    coalesce(sum(case when _size < ${k} then _size else 0 end), 0) as rows_below
  from (${classes}) c`;
}

/** The `limit` smallest classes, smallest first: the ones to generalize further. */
export function smallestClassesSql(
  classes: string,
  quasi: readonly QuasiIdentifier[],
  d: Dialect,
  limit: number,
): string {
  const order = ['_size', ...quasi.map((q) => d.quote(q.column))].join(', ');
  return `select * from (${classes}) c order by ${order} limit ${limit}`;
}

export interface KAnonymityCounts {
  readonly row_count: number;
  readonly class_count: number;
  readonly smallest: number | null;
  readonly classes_below: number;
  readonly rows_below: number;
}

export interface KAnonymityVerdict {
  readonly k: number;
  readonly quasiIdentifiers: readonly QuasiIdentifier[];
  readonly rows: number;
  readonly classes: number;
  /** Rows of the smallest class; null for an empty dataset. */
  readonly smallestClass: number | null;
  readonly classesBelowK: number;
  readonly rowsBelowK: number;
  /** Every class holds at least k rows (an empty dataset reveals nobody). */
  readonly satisfied: boolean;
}

export function kAnonymityVerdict(
  counts: KAnonymityCounts,
  k: number,
  quasi: readonly QuasiIdentifier[],
): KAnonymityVerdict {
  const rows = Number(counts.row_count);
  const total = Number(counts.rows_below);
  return {
    k,
    quasiIdentifiers: quasi,
    rows,
    classes: Number(counts.class_count),
    smallestClass: counts.smallest === null ? null : Number(counts.smallest),
    classesBelowK: Number(counts.classes_below),
    rowsBelowK: total,
    satisfied: total === 0,
  };
}

/** One sentence a privacy officer reads first. */
export function kAnonymitySummary(dataset: string, v: KAnonymityVerdict): string {
  const over = v.quasiIdentifiers.map((q) => q.column).join(', ');
  if (v.rows === 0) return `${dataset} is empty: nothing to re-identify over ${over}`;
  const share = ((100 * v.rowsBelowK) / v.rows).toFixed(1);
  return v.satisfied
    ? `${dataset} is ${v.k}-anonymous over ${over}: ${v.classes} classes, the smallest of ${v.smallestClass} rows`
    : `${dataset} is NOT ${v.k}-anonymous over ${over}: ${v.classesBelowK} of ${v.classes} classes hold fewer than ${v.k} rows (${v.rowsBelowK} of ${v.rows} rows, ${share}%); the smallest holds ${v.smallestClass}`;
}

/**
 * Per column, the values an operator could not read and made NULL (a date generalization given
 * text that is no date, a band given text that is no number): one row, a count per column, so an
 * export or a k-anonymity check says what it did not carry instead of losing it quietly. Undefined
 * when no operator can do that.
 */
export function unreadableValuesSql(
  relation: string,
  columns: readonly { readonly name: string; readonly operator?: Anonymize }[],
  d: Dialect,
): string | undefined {
  const lossy = columns.filter(
    (c) => c.operator?.method === 'generalize' && c.operator.to !== 'prefix',
  );
  if (lossy.length === 0) return undefined;
  const counts = lossy.map((c) => {
    const column = d.quote(c.name);
    return `coalesce(sum(case when ${column} is not null and ${operatorSql(c.operator!, column, d)} is null then 1 else 0 end), 0) as ${column}`;
  });
  return `select ${counts.join(', ')} from ${relation}`;
}

/** `age: 2 value(s) the operator could not read became NULL`, for each column with any. */
export function unreadableValuesNotes(counts: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(counts)
    .filter(([, n]) => Number(n) > 0)
    .map(
      ([column, n]) => `${column}: ${Number(n)} value(s) the operator could not read became NULL`,
    );
}

export interface ExportColumn {
  readonly name: string;
  readonly operator?: Anonymize;
}

export interface ExportPlan {
  readonly select: string;
  /** The columns written, each with the operator applied (none: in clear). */
  readonly columns: readonly ExportColumn[];
  /** pii columns with no operator: left out, never written in clear. */
  readonly leftOut: readonly string[];
}

/**
 * The SELECT an export writes: every contract column, through its `anonymize` operator when it
 * declares one. A pii column without an operator is left out (and listed), so an export never
 * writes personal data in clear because a contract forgot to say how to anonymize it.
 */
export function exportPlan(
  contract: Contract,
  relation: string,
  d: Dialect,
  key?: Uint8Array,
): ExportPlan {
  const columns: ExportColumn[] = [];
  const leftOut: string[] = [];
  for (const p of contract.properties) {
    if (p.anonymize) columns.push({ name: p.name, operator: p.anonymize });
    else if (p.classification === 'pii') leftOut.push(p.name);
    else columns.push({ name: p.name });
  }
  if (columns.length === 0)
    throw new PipelineError(
      `${contract.file}: every column of ${contract.id} is pii without an anonymize operator; nothing can be exported`,
    );
  const select = columns.map((c) => {
    const column = d.quote(c.name);
    return c.operator ? `${operatorSql(c.operator, column, d, key)} as ${column}` : column;
  });
  // In primary-key order, so the same data exports to the same file.
  const order = contract.primaryKey.map((k) => d.quote(k));
  return {
    select: `select ${select.join(', ')} from ${relation}${order.length > 0 ? ` order by ${order.join(', ')}` : ''}`,
    columns,
    leftOut,
  };
}
