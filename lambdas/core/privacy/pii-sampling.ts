/**
 * Reads what the scanner judges: a deterministic sample of each column's non-null values, so a
 * scan costs at most `limit` values per column however large the table, and two scans of the same
 * data agree. The sample is ordered by a hash of the value, not taken from the first rows (which
 * are the oldest and often the cleanest or the dirtiest).
 */
import type { ColumnSpec, SqlEngine } from '../ports';
import { typeFamily } from '../sql-types';
import { scanColumn, type ColumnFinding, type ScanOptions } from './pii-scan';

/** Values sampled per column by `pii scan`: enough for a share to be read to ±1%. */
export const scanSampleSize = 10_000;

/** Numbers, booleans and timestamps cannot spell any of the entities, so they are not read. */
export function scannable(type: string): boolean {
  return ['text', 'integer', 'date', 'other'].includes(typeFamily(type));
}

/** Up to `limit` non-null values of a column of `from` (a relation or a file reader), as text. */
export async function sampleColumn(
  engine: SqlEngine,
  from: string,
  column: string,
  limit: number,
): Promise<string[]> {
  const d = engine.dialect;
  const rows = await engine.query<{ v: string | null }>(
    `select "v" from (select cast(${d.quote(column)} as varchar) as "v" from ${from} where ${d.quote(column)} is not null) sampled order by ${d.sha256Hex('"v"')} limit ${limit}`,
  );
  return rows.map((r) => r.v).filter((v): v is string => v !== null);
}

/** The findings of the scannable `columns` of `from`, one per column, in their order. */
export async function scanColumns(
  engine: SqlEngine,
  from: string,
  columns: readonly ColumnSpec[],
  options: ScanOptions & { readonly limit: number },
): Promise<ColumnFinding[]> {
  const findings: ColumnFinding[] = [];
  for (const column of columns.filter((c) => scannable(c.type)))
    findings.push(
      scanColumn(
        column.name,
        await sampleColumn(engine, from, column.name, options.limit),
        options,
      ),
    );
  return findings;
}
