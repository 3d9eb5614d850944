/**
 * Records the statements that move data, tagged by the step that sent them, so the bench can
 * replay them on a bare engine (the "floor") and show what the platform's bookkeeping costs on
 * top. Installed only by the bench: the platform's engine is not wrapped otherwise, so it costs
 * nothing when absent.
 */
import type { ColumnSpec, Row, SqlDialect, SqlEngine } from './ports';

/** Schemas of the platform's own records: run history, watermarks, quality results and profiles. */
const bookkeepingSchemas = ['audit'];

const relationPattern = /(?<![\w."])"?([a-z_][\w]*)"?\s*\.\s*"?([a-z_][\w]*)"?/gi;

/**
 * The qualified names (`<schema>.<name>`) a statement mentions, lower-cased, in order of first
 * mention; string literals aside. An alias's column (`t.model`) reads the same, harmlessly: no
 * alias is named after a schema.
 */
export function relationsOf(sql: string): string[] {
  const withoutStrings = sql.replace(/'(?:[^']|'')*'/g, "''");
  const found = new Set<string>();
  for (const [, schema, name] of withoutStrings.matchAll(relationPattern))
    found.add(`${schema!.toLowerCase()}.${name!.toLowerCase()}`);
  return [...found];
}

/**
 * Whether a statement a task sends moves data: unless it names a relation of a bookkeeping schema
 * (`audit`: run history, watermarks, quality results), it does. The rest reads or writes the lake's
 * tables (bronze, silver, gold, quarantine, changelog, seeds) or a build's unqualified scratch
 * tables (`stage_*`, made from and into them), which the replay needs as much. A statement that
 * joins a watermark to a model is bookkeeping: the floor is the engine's work for the data alone,
 * given the watermarks the run settled on (literals in its data statements).
 */
export function isDataStatement(sql: string): boolean {
  return !relationsOf(sql).some((r) => bookkeepingSchemas.includes(r.split('.')[0]!));
}

export interface RecordedStatement {
  /** The step (Task state) that sent it, as the caller's `step` function names it. */
  readonly step: string;
  readonly sql: string;
  /** Whether it was read (`query`) or run (`execute`). */
  readonly kind: 'execute' | 'query';
}

/**
 * A {@link SqlEngine} that keeps, in order, the data statements ({@link isDataStatement}) sent
 * through it. `describe` and existence checks read no data and are not kept; statements of a
 * transaction that rolls back are dropped with it, since their effects were.
 */
export class RecordingSqlEngine implements SqlEngine {
  private readonly kept: RecordedStatement[] = [];

  constructor(
    private readonly engine: SqlEngine,
    private readonly step: () => string | undefined,
  ) {}

  get dialect(): SqlDialect {
    return this.engine.dialect;
  }

  get bytesScanned(): number | undefined {
    return this.engine.bytesScanned;
  }

  /** The data statements recorded so far, and forgets them. */
  take(): RecordedStatement[] {
    return this.kept.splice(0);
  }

  execute(sql: string): Promise<number> {
    this.record(sql, 'execute');
    return this.engine.execute(sql);
  }

  query<T extends Row = Row>(sql: string): Promise<T[]> {
    this.record(sql, 'query');
    return this.engine.query<T>(sql);
  }

  describe(select: string): Promise<ColumnSpec[]> {
    return this.engine.describe(select);
  }

  relationExists(relation: string): Promise<boolean> {
    return this.engine.relationExists(relation);
  }

  refreshSources(): Promise<void> {
    return this.engine.refreshSources();
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    const mark = this.kept.length;
    try {
      return await this.engine.transaction(work);
    } catch (error) {
      this.kept.splice(mark);
      throw error;
    }
  }

  private record(sql: string, kind: RecordedStatement['kind']): void {
    if (isDataStatement(sql))
      this.kept.push({ step: this.step() ?? '(outside a step)', sql, kind });
  }
}
