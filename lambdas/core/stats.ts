import type { StatementCounts } from './counting-engine';

/** What one dataset's step did: the unit of the run summary, of reconciliation and of run history. */
export interface DatasetStats {
  /** `snowflake.orders` for bronze, `silver.orders`, `gold.fact_orders`... */
  readonly dataset: string;
  readonly layer: 'bronze' | 'silver' | 'gold';
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly quarantined: number;
  /** Duplicates and superseded versions dropped, redelivered messages skipped. */
  readonly duplicates: number;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
  readonly seconds: number;
  /** What a model's build sent to the SQL engine: the cost of a step on Athena. */
  readonly sql?: StatementCounts;
  /**
   * Landing files refused whole (unreadable, or a value that does not fit the contract). Their
   * rows are in no row count, since an unreadable file has no rows to count: rows in = rows out
   * over the files accepted, and the files refused are counted apart.
   */
  readonly rejectedFiles?: readonly RejectedFile[];
  /** Things a person should know that did not fail the step (a rejected landing file...). */
  readonly notes?: readonly string[];
}

/** A landing file refused whole, and why (the reason is also stored beside the file). */
export interface RejectedFile {
  readonly file: string;
  readonly reason: string;
}

/** What a person should know of a step: its rejected files first, then its notes. */
export function stepNotes(stats: DatasetStats): string[] {
  return [
    ...(stats.rejectedFiles ?? []).map((r) => `rejected ${r.file}: ${r.reason}`),
    ...(stats.notes ?? []),
  ];
}

/** What every task handler returns: small enough for a state machine's payload. */
export interface TaskResult {
  readonly step: string;
  readonly datasets: readonly DatasetStats[];
}

/** Rows in = rows out + quarantined + duplicates dropped. */
export function reconciles(stats: DatasetStats): boolean {
  return stats.rowsIn === stats.rowsOut + stats.quarantined + stats.duplicates;
}

export function elapsedSeconds(startedAt: Date, endedAt: Date): number {
  return Math.round(endedAt.getTime() - startedAt.getTime()) / 1000;
}

/** Adds the counts of two steps over the same dataset (e.g. successive Kafka batches). */
export function combineStats(a: DatasetStats, b: DatasetStats): DatasetStats {
  return {
    ...a,
    rowsIn: a.rowsIn + b.rowsIn,
    rowsOut: a.rowsOut + b.rowsOut,
    quarantined: a.quarantined + b.quarantined,
    duplicates: a.duplicates + b.duplicates,
    inserted: a.inserted + b.inserted,
    updated: a.updated + b.updated,
    deleted: a.deleted + b.deleted,
    seconds: Math.round((a.seconds + b.seconds) * 1000) / 1000,
    notes: [...(a.notes ?? []), ...(b.notes ?? [])],
  };
}

/** Whether a handler's result is a {@link TaskResult} (the notify handler's is not). */
export function isTaskResult(value: unknown): value is TaskResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as TaskResult).datasets) &&
    typeof (value as TaskResult).step === 'string'
  );
}
