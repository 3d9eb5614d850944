/**
 * The quality gate's PII check: a contract that leaves a column unclassified (it counts as
 * internal) or does not declare it at all lets whatever that column holds reach every persona who
 * reads internal data. So on each run, such columns (and only those: a classified column is the
 * contract owner's decision) are sampled and scanned, and PII in them fails the gate naming the
 * dataset, the column and what it holds.
 */
import type { Contract } from '../contracts/contract';
import type { ColumnSpec, SqlEngine } from '../ports';
import { scanColumns, scannable } from './pii-sampling';
import { contractMismatches, type ContractMismatch } from './pii-scan';

/** Columns of the table its contract leaves unclassified or does not declare (platform `_` columns aside). */
export function unclassifiedColumns(
  contract: Contract,
  found: readonly ColumnSpec[],
): ColumnSpec[] {
  return found.filter((c) =>
    contract.column(c.name) ? contract.unclassified.includes(c.name) : !c.name.startsWith('_'),
  );
}

/** The PII the gate finds in `contract`'s unclassified and undeclared columns, and how many it scanned. */
export async function unclassifiedPii(
  engine: SqlEngine,
  contract: Contract,
  options: { readonly sampleSize: number; readonly referenceYear: number },
): Promise<{ scanned: readonly string[]; mismatches: readonly ContractMismatch[] }> {
  const from = engine.dialect.relation(contract.relation);
  const candidates = unclassifiedColumns(
    contract,
    await engine.describe(`select * from ${from}`),
  ).filter((c) => scannable(c.type));
  if (candidates.length === 0) return { scanned: [], mismatches: [] };
  const findings = await scanColumns(engine, from, candidates, {
    limit: options.sampleSize,
    referenceYear: options.referenceYear,
  });
  return {
    scanned: candidates.map((c) => c.name),
    mismatches: contractMismatches(contract, findings),
  };
}
