/**
 * An erase on an engine that runs one statement at a time (Athena): the statements that take the
 * subject out of each table, the query that proves nothing is left, and the row test that decides
 * which rows of a bronze Parquet object a rewrite leaves out. Built from the same planning as the
 * local erase (`subjects.ts`), so both runtimes erase the same rows.
 */
import type { SqlDialect } from '../ports';
import {
  normalizeIdentifier,
  subjectCondition,
  textPattern,
  type Identifiers,
  type SearchTable,
} from './subjects';

/**
 * The layers whose Iceberg tables an erase on AWS deletes from and compacts; bronze is Parquet
 * objects, rewritten in S3, and seeds and scratch hold no one's rows.
 */
export const dsrErasedSchemas = ['silver', 'gold', 'quarantine', 'changelog', 'audit'] as const;

/** What erasing one table takes, in order; no statements when nothing there can be the subject. */
export interface TableErasure {
  readonly relation: string;
  readonly role: SearchTable['role'];
  readonly statements: readonly string[];
}

/**
 * The statements that erase the subject from one table:
 * - `rows`: DELETE, then `compact` (OPTIMIZE rewrites the data files without the deleted rows,
 *   VACUUM with a zero snapshot age expires every older snapshot and deletes the files only they
 *   read, so time travel cannot bring the rows back);
 * - `samples`: the failing-row samples that mention the subject become NULL (Athena has no row id
 *   to rewrite one sample in place: the whole sample goes, evidence of a check, not data);
 * - `profiles`: min, max and frequent values of profiles that mention the subject, and of every
 *   subject column (their extremes are people's identifiers), become NULL;
 * - `verify`: nothing (run history holds no row values); the residue query still searches it.
 * Samples and profiles are compacted too: their old files hold the values.
 */
export function tableErasure(
  table: SearchTable,
  ids: Identifiers,
  d: SqlDialect,
  jsonKeys: ReadonlyMap<string, readonly string[]>,
  subjectColumnNames: readonly string[],
  compact: (relation: string) => readonly string[],
): TableErasure {
  const condition = subjectCondition(table, ids, d, jsonKeys);
  const target = d.relation(table.relation);
  const of = (statements: readonly string[]): TableErasure => ({
    relation: table.relation,
    role: table.role,
    statements,
  });
  if (!condition || table.role === 'verify') return of([]);
  if (table.role === 'rows')
    return of([`delete from ${target} where ${condition}`, ...compact(table.relation)]);
  if (table.role === 'samples')
    return of([
      `update ${target} set ${d.quote('sample')} = null where ${condition}`,
      ...compact(table.relation),
    ]);
  const names = subjectColumnNames.map((n) => d.string(n)).join(', ');
  const blank = ['min_value', 'max_value', 'top_values']
    .map((c) => `${d.quote(c)} = null`)
    .join(', ');
  return of([
    `update ${target} set ${blank} where ${names ? `${d.quote('column_name')} in (${names}) or ` : ''}${condition}`,
    ...compact(table.relation),
  ]);
}

/**
 * The query counting what is left of the subject in a table (`n`); undefined when the table has no
 * column that could hold them. Profiles count their subject columns' values that are not blank.
 */
export function residueQuery(
  table: SearchTable,
  ids: Identifiers,
  d: SqlDialect,
  jsonKeys: ReadonlyMap<string, readonly string[]>,
  subjectColumnNames: readonly string[],
): string | undefined {
  const condition = subjectCondition(table, ids, d, jsonKeys);
  if (!condition) return undefined;
  const names = subjectColumnNames.map((n) => d.string(n)).join(', ');
  const where =
    table.role === 'profiles' && names
      ? `(${condition} or (${d.quote('column_name')} in (${names}) and coalesce(${d.quote('min_value')}, ${d.quote('max_value')}, ${d.quote('top_values')}) is not null))`
      : condition;
  return `select count(*) as n from ${d.relation(table.relation)} where ${where}`;
}

/**
 * Whether a row (as a Parquet reader returns it) is about the subject: the same test as
 * {@link subjectCondition} in SQL, so a bronze object rewritten row by row loses exactly the rows
 * Athena finds.
 */
export function rowMatcher(
  table: Pick<SearchTable, 'subjectColumns' | 'textColumns'>,
  ids: Identifiers,
  jsonKeys: ReadonlyMap<string, readonly string[]>,
): (row: Readonly<Record<string, unknown>>) => boolean {
  const pattern = textPattern(ids, jsonKeys);
  const text = pattern ? new RegExp(`^${pattern}$`) : undefined;
  return (row) =>
    table.subjectColumns.some((c) => {
      const value = row[c.name];
      return value !== null && value !== undefined
        ? ids.get(c.kind)?.has(normalizeIdentifier(value)) === true
        : false;
    }) ||
    (text !== undefined &&
      table.textColumns.some((c) => {
        const value = row[c];
        return typeof value === 'string' && text.test(value.toLowerCase());
      }));
}
