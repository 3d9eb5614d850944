/**
 * Counts what work asks of its SQL engine. On Athena every statement is a query execution that
 * costs a second or more of latency and a share of the account's query quota, so the count is
 * the figure to watch as models grow. Both engines get the same statements through this port,
 * except that replacing a `table` model is two on Athena (a new version, then its view) and one
 * on DuckDB; a transaction's BEGIN and COMMIT, DuckDB's alone, are not statements of the work.
 */
import type { ColumnSpec, Row, SqlDialect, SqlEngine } from './ports';

export interface StatementCounts {
  /** SQL statements: each `execute`, `query` and `describe` (one Athena query execution). */
  readonly statements: number;
  /** Existence checks: a Glue GetTable on AWS, a catalog query on DuckDB. */
  readonly lookups: number;
  /** Bytes the statements scanned, where the engine measures it (Athena): what Athena bills. */
  readonly bytesScanned?: number;
}

/** A {@link SqlEngine} that counts the statements and lookups sent through it. */
export class CountingSqlEngine implements SqlEngine {
  private counted = { statements: 0, lookups: 0 };
  /** What the engine had scanned before this one counted: it may have served other work. */
  private readonly scannedBefore: number | undefined;

  constructor(private readonly engine: SqlEngine) {
    this.scannedBefore = engine.bytesScanned;
  }

  get dialect(): SqlDialect {
    return this.engine.dialect;
  }

  /** What the statements sent through this engine scanned. */
  get bytesScanned(): number | undefined {
    const now = this.engine.bytesScanned;
    return now === undefined ? undefined : now - (this.scannedBefore ?? 0);
  }

  /** What has been sent so far. */
  get counts(): StatementCounts {
    const bytesScanned = this.bytesScanned;
    return { ...this.counted, ...(bytesScanned === undefined ? {} : { bytesScanned }) };
  }

  execute(sql: string): Promise<number> {
    this.counted.statements++;
    return this.engine.execute(sql);
  }

  query<T extends Row = Row>(sql: string): Promise<T[]> {
    this.counted.statements++;
    return this.engine.query<T>(sql);
  }

  describe(select: string): Promise<ColumnSpec[]> {
    this.counted.statements++;
    return this.engine.describe(select);
  }

  relationExists(relation: string): Promise<boolean> {
    this.counted.lookups++;
    return this.engine.relationExists(relation);
  }

  refreshSources(): Promise<void> {
    return this.engine.refreshSources();
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.engine.transaction(work);
  }
}
