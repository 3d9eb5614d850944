/**
 * The bench's floor: the data statements a run sent (see `lambdas/core/recording-engine.ts`),
 * replayed in order on a bare DuckDB connection to a copy of the lakehouse as it was before the
 * run, with the same engine settings. What the platform takes beyond it is its own overhead:
 * orchestration, bookkeeping, planning queries.
 */
import { bronzeViews, openDuckDb, type DuckDbSettings } from '../../lambdas/adapters/duckdb/engine';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import type { Contract } from '../../lambdas/core/contracts/contract';
import type { RecordedStatement } from '../../lambdas/core/recording-engine';

export interface FloorReplay {
  /** Seconds the statements of each step took, by step. */
  readonly steps: Record<string, number>;
  readonly seconds: number;
  readonly statements: number;
}

/**
 * Replays `statements` on `lakehouseFile` (changed in place: pass a copy), its bronze views over
 * the Parquet objects under `<lakeRoot>/bronze/` as the platform sees them.
 */
export async function replayFloor(options: {
  readonly lakeRoot: string;
  readonly lakehouseFile: string;
  readonly bronze: readonly Contract[];
  readonly settings: DuckDbSettings;
  readonly temp: string;
  readonly statements: readonly RecordedStatement[];
}): Promise<FloorReplay> {
  const instance = await openDuckDb(options.settings, options.temp);
  const connection = await instance.connect();
  try {
    await connection.run(
      `attach ${duckdbDialect.string(options.lakehouseFile)} as lake; attach ':memory:' as bronze; use lake;`,
    );
    await connection.run(bronzeViews(options.lakeRoot, options.bronze, 'bronze').join('\n'));
    const steps: Record<string, number> = {};
    const started = performance.now();
    for (const { step, sql, kind } of options.statements) {
      const start = performance.now();
      if (kind === 'query') await connection.runAndReadAll(sql);
      else await connection.run(sql);
      steps[step] = (steps[step] ?? 0) + (performance.now() - start) / 1000;
    }
    return {
      steps,
      seconds: (performance.now() - started) / 1000,
      statements: options.statements.length,
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export interface FloorRow {
  readonly step: string;
  /** The step's wall time in the platform run. */
  readonly platform: number;
  /** Its data statements' time on the bare engine. */
  readonly floor: number;
}

export interface FloorDay {
  readonly date: string;
  /** The run's wall time: its steps, which may overlap, and what runs between them. */
  readonly seconds: number;
  readonly rows: readonly FloorRow[];
}

/** Platform seconds over floor seconds; null where the step sent no data statement. */
export function ratio(platform: number, floor: number): number | null {
  return floor > 0 ? Number((platform / floor).toFixed(2)) : null;
}

/** Totals of a day: the run's wall time, and its data statements' time on the bare engine. */
export function dayTotals(day: FloorDay): { platform: number; floor: number } {
  return { platform: day.seconds, floor: day.rows.reduce((t, r) => t + r.floor, 0) };
}

/** One row per step of the run, then any step that sent data statements outside one. */
export function floorRows(
  platform: Readonly<Record<string, number>>,
  floor: Readonly<Record<string, number>>,
): FloorRow[] {
  const steps = [...new Set([...Object.keys(platform), ...Object.keys(floor)])];
  return steps.map((step) => ({ step, platform: platform[step] ?? 0, floor: floor[step] ?? 0 }));
}

/** The table `--floor` prints: per step and per day, platform against floor; then day 2's share. */
export function renderFloorTable(days: readonly FloorDay[]): string {
  const cell = (seconds: number) => `${seconds.toFixed(2)}s`.padStart(9);
  const ratioCell = (p: number, f: number) => {
    const r = ratio(p, f);
    return (r === null ? '—' : `${r.toFixed(2)}×`).padStart(8);
  };
  const lines = [
    `${'step'.padEnd(24)} ${'platform'.padStart(9)} ${'floor'.padStart(9)} ${'ratio'.padStart(8)}`,
  ];
  for (const day of days) {
    lines.push(`daily ${day.date}`);
    for (const r of day.rows)
      lines.push(
        `  ${r.step.padEnd(22)} ${cell(r.platform)} ${cell(r.floor)} ${ratioCell(r.platform, r.floor)}`,
      );
    const t = dayTotals(day);
    lines.push(
      `  ${'total'.padEnd(22)} ${cell(t.platform)} ${cell(t.floor)} ${ratioCell(t.platform, t.floor)}`,
    );
  }
  if (days.length >= 2) {
    const [first, second] = [dayTotals(days[0]!), dayTotals(days[1]!)];
    const share = (a: number, b: number) => (b > 0 ? `${((a / b) * 100).toFixed(1)}%` : '—');
    lines.push(
      `day 2 / day 1: platform ${share(second.platform, first.platform)}, floor ${share(second.floor, first.floor)}`,
    );
  }
  return lines.join('\n');
}
