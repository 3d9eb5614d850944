/**
 * The bench's floor: the data statements a run sent (see `lambdas/core/recording-engine.ts`),
 * replayed in order on a bare DuckDB connection to a copy of the lakehouse as it was before the
 * run, with the same engine settings. What the platform takes beyond it is its own overhead:
 * orchestration, bookkeeping, planning queries.
 */
import path from 'node:path';
import { bronzeViews, openDuckDb, type DuckDbSettings } from '../../lambdas/adapters/duckdb/engine';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import type { Contract } from '../../lambdas/core/contracts/contract';
import type { RecordedStatement } from '../../lambdas/core/recording-engine';
import { billedBytes, ScanEstimator } from './scan-estimate';
import { replayedIndexes, type SentStatement } from './statements';

/** Estimated Athena bytes of a step's statements (see `scan-estimate.ts`). */
export interface StepScan {
  readonly bytes: number;
  /** With Athena's rounding: whole megabytes, at least 10 per statement that scans. */
  readonly billed: number;
}

export interface FloorReplay {
  /** Seconds the statements of each step took, by step. */
  readonly steps: Record<string, number>;
  readonly seconds: number;
  readonly statements: number;
  /** With `sent`: the estimated bytes every statement sent scans, by step. */
  readonly scanned?: Record<string, StepScan>;
  /** Statements estimated from all columns of the relations they name (DuckDB could not explain them). */
  readonly fallbacks?: number;
  /** The `slowest` data statements, slowest first: where a step's floor goes. */
  readonly slowest: readonly TimedStatement[];
}

export interface TimedStatement {
  readonly step: string;
  readonly seconds: number;
  readonly sql: string;
}

/**
 * Replays `statements` on `lakehouseFile` (changed in place: pass a copy), its bronze views over
 * the Parquet objects under `<lakeRoot>/bronze/` as the platform sees them. Given every statement
 * the run `sent` (of which `statements` are the data ones), each is also explained, before it
 * would run and outside the timing, to estimate the bytes it scans.
 */
export async function replayFloor(options: {
  readonly lakeRoot: string;
  readonly lakehouseFile: string;
  readonly bronze: readonly Contract[];
  readonly settings: DuckDbSettings;
  readonly temp: string;
  readonly statements: readonly RecordedStatement[];
  readonly sent?: readonly SentStatement[];
  /** How many of the slowest statements to keep (default 0). */
  readonly slowest?: number;
}): Promise<FloorReplay> {
  const instance = await openDuckDb(options.settings, options.temp);
  const connection = await instance.connect();
  try {
    await connection.run(
      `attach ${duckdbDialect.string(options.lakehouseFile)} as lake; attach ':memory:' as bronze; use lake;`,
    );
    await connection.run(bronzeViews(options.lakeRoot, options.bronze, 'bronze').join('\n'));
    const estimator = options.sent
      ? new ScanEstimator(connection, bronzeObjects(options.lakeRoot, options.bronze))
      : undefined;
    const replayed = options.sent
      ? replayedIndexes(options.sent, options.statements)
      : new Set(options.statements.keys());
    const steps: Record<string, number> = {};
    const scanned: Record<string, StepScan> = {};
    let seconds = 0;
    const timed: TimedStatement[] = [];
    for (const [i, { step, sql, kind }] of (options.sent ?? options.statements).entries()) {
      if (estimator) {
        const bytes = await estimator.estimate(sql, kind);
        const total = scanned[step] ?? { bytes: 0, billed: 0 };
        scanned[step] = { bytes: total.bytes + bytes, billed: total.billed + billedBytes(bytes) };
      }
      if (!replayed.has(i)) continue;
      const start = performance.now();
      if (kind === 'query') await connection.runAndReadAll(sql);
      else await connection.run(sql);
      const took = (performance.now() - start) / 1000;
      steps[step] = (steps[step] ?? 0) + took;
      seconds += took;
      if (options.slowest) timed.push({ step, seconds: took, sql });
      if (kind !== 'query') estimator?.written();
    }
    return {
      steps,
      seconds,
      statements: options.statements.length,
      slowest: timed.sort((a, b) => b.seconds - a.seconds).slice(0, options.slowest ?? 0),
      ...(estimator ? { scanned, fallbacks: estimator.fallbacks } : {}),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Bronze relation → the glob of its Parquet objects, as `bronzeViews` reads them. */
function bronzeObjects(lakeRoot: string, bronze: readonly Contract[]): Record<string, string> {
  return Object.fromEntries(
    bronze.map((c) => {
      const [source, ...dataset] = c.id.split('.');
      return [
        c.relation,
        path.join(lakeRoot, 'bronze', source!, dataset.join('.'), '*', '*.parquet'),
      ];
    }),
  );
}

export interface FloorRow {
  readonly step: string;
  /** The step's wall time in the platform run. */
  readonly platform: number;
  /** Its data statements' time on the bare engine; an ingest branch's extract copied to Parquet. */
  readonly floor: number;
  /** A branch of the parallel ingestion: the run's ingestion floor is its longest branch's. */
  readonly branch?: boolean;
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

/**
 * Totals of a day: the run's wall time, and its floor: the data statements' time on the bare
 * engine plus the longest ingest branch's floor (the branches run in parallel).
 */
export function dayTotals(day: FloorDay): { platform: number; floor: number } {
  const steps = day.rows.filter((r) => !r.branch).reduce((t, r) => t + r.floor, 0);
  const ingestion = day.rows.filter((r) => r.branch).reduce((t, r) => Math.max(t, r.floor), 0);
  return { platform: day.seconds, floor: steps + ingestion };
}

/**
 * One row per step of the run, then any step that sent data statements outside one; the steps in
 * `branches` are the parallel ingestion's.
 */
export function floorRows(
  platform: Readonly<Record<string, number>>,
  floor: Readonly<Record<string, number>>,
  branches: ReadonlySet<string> = new Set(),
): FloorRow[] {
  const steps = [...new Set([...Object.keys(platform), ...Object.keys(floor)])];
  return steps.map((step) => ({
    step,
    platform: platform[step] ?? 0,
    floor: floor[step] ?? 0,
    ...(branches.has(step) ? { branch: true } : {}),
  }));
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
        `  ${r.step.padEnd(22)} ${cell(r.platform)} ${cell(r.floor)} ${ratioCell(r.platform, r.floor)}${r.branch ? '  (parallel branch)' : ''}`,
      );
    const branches = day.rows.filter((r) => r.branch);
    if (branches.length > 0) {
      const longest = (pick: (r: FloorRow) => number) =>
        branches.reduce((t, r) => Math.max(t, pick(r)), 0);
      const [p, f] = [longest((r) => r.platform), longest((r) => r.floor)];
      lines.push(`  ${'ingestion (longest)'.padEnd(22)} ${cell(p)} ${cell(f)} ${ratioCell(p, f)}`);
    }
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

/** The run-history step of each Task state that lands data: ingest branches and model builds. */
export const stepOfState: Readonly<Record<string, string>> = {
  SnowflakeToBronze: 'snowflake_to_bronze',
  RedshiftToBronze: 'redshift_to_bronze',
  CrmToBronze: 'crm_to_bronze',
  FxToBronze: 'fx_to_bronze',
  KafkaToBronze: 'kafka_to_bronze',
  LandingToBronze: 'landing_to_bronze',
  BuildSilverModel: 'bronze_to_silver',
  BuildGoldModel: 'silver_to_gold',
};

/** The Task state of a run-history step, if one lands it. */
export function stateOfStep(step: string): string | undefined {
  return Object.entries(stepOfState).find(([, s]) => s === step)?.[0];
}
