/**
 * Result checksums: per silver and gold contract, its row count and an order-free hash of its
 * contract columns, taken after each day outside the timed region. Comparing them with an
 * earlier bench's (`--compare <report.json>`) proves a change left the results as they were.
 * Columns that hold the run or the time it ran (`_run_id`, `_ingested_at`, `_source_ref`,
 * `_source_row`, the quarantine's `_rule` and `_reason`) are no contract columns of silver and
 * gold and are left out by name as well; DOUBLE columns are rounded to 9 decimals first, since a
 * parallel sum's last bits depend on the order its threads finish.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { duckdbDialect as d } from '../../lambdas/adapters/duckdb/dialect';
import type { Contract } from '../../lambdas/core/contracts/contract';

/** Managed columns whose values depend on the run, never on the data. */
export const runDependentColumns: ReadonlySet<string> = new Set([
  '_run_id',
  '_ingested_at',
  '_source_ref',
  '_source_row',
  '_source',
  '_rule',
  '_reason',
  '_ingest_run_id',
]);

export interface TableChecksum {
  readonly rows: number;
  /** Sum of the rows' hashes, as text (a HUGEINT). */
  readonly hash: string;
}

/** Relation → checksum, for every silver and gold contract of `contracts` in the lakehouse `file`. */
export async function resultChecksums(
  file: string,
  contracts: readonly Contract[],
): Promise<Record<string, TableChecksum>> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`attach ${d.string(file)} as lake (read_only); use lake;`);
    const sums: Record<string, TableChecksum> = {};
    for (const contract of [...contracts]
      .filter((c) => c.layer === 'silver' || c.layer === 'gold')
      .sort((a, b) => a.relation.localeCompare(b.relation))) {
      const columns = contract.columns
        .filter((c) => !runDependentColumns.has(c.name))
        .map((c) =>
          /^(DOUBLE|FLOAT|REAL)$/i.test(c.type) ? `round(${d.quote(c.name)}, 9)` : d.quote(c.name),
        );
      const [[rows, hash]] = (
        await connection.runAndReadAll(
          `select count(*), coalesce(sum(hash(${columns.join(', ')})::hugeint), 0)::varchar from ${contract.relation}`,
        )
      ).getRows() as [[bigint, string]];
      sums[contract.relation] = { rows: Number(rows), hash };
    }
    return sums;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export interface ChecksumComparison {
  readonly date: string;
  readonly relation: string;
  readonly before?: TableChecksum;
  readonly after?: TableChecksum;
  readonly equal: boolean;
}

/**
 * Each day's checksums against an earlier report's, by date and relation: a relation on one side
 * only differs too.
 */
export function compareChecksums(
  before: readonly { readonly date: string; readonly checksums?: Record<string, TableChecksum> }[],
  after: readonly { readonly date: string; readonly checksums?: Record<string, TableChecksum> }[],
): ChecksumComparison[] {
  const comparisons: ChecksumComparison[] = [];
  for (const day of after) {
    const earlier = before.find((b) => b.date === day.date)?.checksums ?? {};
    const now = day.checksums ?? {};
    for (const relation of [...new Set([...Object.keys(earlier), ...Object.keys(now)])].sort()) {
      const [b, a] = [earlier[relation], now[relation]];
      comparisons.push({
        date: day.date,
        relation,
        ...(b ? { before: b } : {}),
        ...(a ? { after: a } : {}),
        equal: b !== undefined && a !== undefined && b.rows === a.rows && b.hash === a.hash,
      });
    }
  }
  return comparisons;
}

/** One line per day and relation: equal, or what differs. */
export function renderComparison(comparisons: readonly ChecksumComparison[]): string {
  const side = (c?: TableChecksum) => (c ? `${c.rows} rows, ${c.hash}` : 'absent');
  return comparisons
    .map(
      (c) =>
        `  ${c.date} ${c.relation.padEnd(32)} ${c.equal ? 'equal' : `DIFFERENT: before ${side(c.before)}; now ${side(c.after)}`}`,
    )
    .join('\n');
}
