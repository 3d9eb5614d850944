/**
 * Every statement a run's Tasks send, in order and by step: on Athena each is one query
 * execution, so this is the per-run Athena figure (issue 17, item 6). The platform's own
 * `CountingSqlEngine` counts the same statements for the whole run and per model Task; this log
 * adds the step of every one (the gates', planning and catalog sync's too) and keeps their text
 * for the bytes estimate (`scan-estimate.ts`).
 */
import type { ColumnSpec, Row, SqlDialect, SqlEngine } from '../../lambdas/core/ports';

export interface SentStatement {
  readonly step: string;
  readonly sql: string;
  readonly kind: 'execute' | 'query' | 'describe';
}

/** A {@link SqlEngine} that keeps every statement sent through it, with the step that sent it. */
export class StatementLog implements SqlEngine {
  private readonly sent: SentStatement[] = [];

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

  /** The statements logged so far, and forgets them. */
  take(): SentStatement[] {
    return this.sent.splice(0);
  }

  execute(sql: string): Promise<number> {
    this.log(sql, 'execute');
    return this.engine.execute(sql);
  }

  query<T extends Row = Row>(sql: string): Promise<T[]> {
    this.log(sql, 'query');
    return this.engine.query<T>(sql);
  }

  describe(select: string): Promise<ColumnSpec[]> {
    this.log(select, 'describe');
    return this.engine.describe(select);
  }

  relationExists(relation: string): Promise<boolean> {
    return this.engine.relationExists(relation);
  }

  refreshSources(): Promise<void> {
    return this.engine.refreshSources();
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.engine.transaction(work);
  }

  private log(sql: string, kind: SentStatement['kind']): void {
    this.sent.push({ step: this.step() ?? '(outside a step)', sql, kind });
  }
}

/** Statements per step, in the order the steps first sent one. */
export function statementsByStep(sent: readonly SentStatement[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { step } of sent) counts[step] = (counts[step] ?? 0) + 1;
  return counts;
}

/**
 * Which of `sent` the floor replays: the recorded data statements are a subsequence of them
 * (bookkeeping, `describe` and rolled-back statements left out), matched in order by text.
 * Throws if one is not found: then the two logs do not describe the same run.
 */
export function replayedIndexes(
  sent: readonly SentStatement[],
  replayed: readonly { readonly sql: string }[],
): Set<number> {
  const indexes = new Set<number>();
  let next = 0;
  for (const [i, statement] of sent.entries()) {
    if (
      next < replayed.length &&
      statement.kind !== 'describe' &&
      statement.sql === replayed[next]!.sql
    ) {
      indexes.add(i);
      next++;
    }
  }
  if (next < replayed.length)
    throw new Error(
      `recorded data statement ${next + 1} of ${replayed.length} is not among the statements sent: ${replayed[next]!.sql.slice(0, 120)}`,
    );
  return indexes;
}
