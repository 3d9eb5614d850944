/**
 * Landing files erased row by row, the same rules on both runtimes: a file read as its format
 * loses the rows the subject's identifiers match (the dataset's bronze contract names the subject
 * columns, every other column is searched as text, as DuckDB reads a CSV file); a file that cannot
 * be read loses its lines that mention the subject. The local erase reads files with DuckDB, the
 * AWS one with its own parsers; both decide with these.
 */
import type { ContractRegistry } from '../contracts/contract';
import { rowMatcher } from './erasure';
import { jsonKeysByKind, searchTables, textPattern, type Identifiers } from './subjects';

/** The landing files an erase reads: the formats the landing step ingests, text ones maybe gzipped. */
export const landingFilePattern = /\.(csv|json|jsonl|ndjson|parquet)(\.gz)?$/;

/** A landing file's values as text (a number's digits, a nested object as JSON); null when empty. */
export type TextRow = Readonly<Record<string, string | null>>;

/** What a landing file's reader needs to take one subject out of it. */
export interface LandingSubject {
  /**
   * Whether decoded text may hold the subject: it contains one of their identifier values. Short
   * numeric ones count too (`21` as a customer_id column's value), so a file without any can be
   * skipped unread, but one with any must be read.
   */
  mayMention(text: string): boolean;
  /** The row test for a file with these columns. */
  rowTest(columns: readonly string[]): (row: TextRow) => boolean;
  /** A file that cannot be read as its format, without the lines that mention the subject. */
  withoutLines(text: string): { readonly text: string; readonly removed: number };
}

/** The subject as the landing files of the dataset whose bronze relation is `relation` hold them. */
export function landingSubject(
  relation: string,
  ids: Identifiers,
  contracts: ContractRegistry,
): LandingSubject {
  const jsonKeys = jsonKeysByKind(contracts);
  const values = [...ids.values()].flatMap((v) => [...v]);
  return {
    mayMention: (text) => {
      const lower = text.toLowerCase();
      return values.some((v) => lower.includes(v));
    },
    rowTest: (columns) => {
      const [table] = searchTables(
        [{ relation, columns: columns.map((name) => ({ name, type: 'VARCHAR' })) }],
        contracts,
      );
      return rowMatcher(table!, ids, jsonKeys);
    },
    withoutLines: (text) => withoutSubjectLines(text, ids, jsonKeys),
  };
}

/**
 * Text without its lines that mention the subject (a distinctive identifier anywhere, a short one
 * as a JSON field of its kind: the text columns' rule), and how many went.
 */
export function withoutSubjectLines(
  text: string,
  ids: Identifiers,
  jsonKeys: ReadonlyMap<string, readonly string[]>,
): { text: string; removed: number } {
  const pattern = textPattern(ids, jsonKeys);
  if (!pattern) return { text, removed: 0 };
  const matcher = new RegExp(`^${pattern}$`);
  const lines = text.split('\n');
  const kept = lines.filter((line) => !matcher.test(line.toLowerCase()));
  return { text: kept.join('\n'), removed: lines.length - kept.length };
}
