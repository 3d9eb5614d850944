/**
 * `npm run bench -- --scale N`: generates N orders over two days (in a child process, so its
 * memory does not count), runs `daily` for day 1 (the initial load) and day 2 (~1% changes),
 * and reports per-step wall time, rows per second, peak RSS and the SQL statements each model's
 * Task sends (what it costs on Athena), as a table and as JSON. `--floor` also replays each day's
 * data statements on a bare DuckDB (see `floor.ts`); `--scale 1000000,3000000` runs each scale in
 * its own process (so its peak RSS is its own) and prints one row per scale.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { progressLogger } from '../../lambdas/runtime/cli/output';
import { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { loadProject } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { runJob, type RunOutcome } from '../../lambdas/runtime/runner';
import { RecordingSqlEngine, type RecordedStatement } from '../../lambdas/core/recording-engine';
import { floorRows, ratio, renderFloorTable, replayFloor, type FloorDay } from './floor';
import { renderScaleTable, type ScaleReport } from './scales';

const options = new Command('bench')
  .description('Benchmark the local daily pipeline.')
  .option(
    '--scale <orders>',
    'orders in the initial load; a comma-separated list runs each scale in turn',
    (v) => v.split(',').map((n) => Number(n.replaceAll('_', ''))),
    [1_000_000],
  )
  .option(
    '--floor',
    'replay each day’s data statements on a bare DuckDB and print the platform/floor ratio per step',
  )
  .option('--seed <n>', 'random seed', Number, 42)
  .option(
    '--lake <dir>',
    'lake folder, kept afterwards; its sample data is reused when scale and seed match (default: a temporary folder)',
  )
  .option(
    '--realistic-api',
    'keep the REST simulator’s Retry-After waits and 5xx faults (off by default: they add fixed waits that are not the platform’s work)',
  )
  .option('--out <file>', 'where to write the JSON report', '')
  .parse()
  .opts<{
    scale: number[];
    seed: number;
    lake?: string;
    out: string;
    realisticApi?: boolean;
    floor?: boolean;
  }>();

if (options.scale.length > 1) {
  const reports: ScaleReport[] = [];
  for (const scale of options.scale) {
    const out = path.join(projectRoot, 'bench-results', `bench-${scale}.json`);
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/bench/bench.ts',
        '--scale',
        String(scale),
        '--seed',
        String(options.seed),
        '--out',
        out,
        ...(options.floor ? ['--floor'] : []),
        ...(options.realisticApi ? ['--realistic-api'] : []),
      ],
      { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (child.status !== 0) process.exit(child.status ?? 1);
    reports.push(JSON.parse(readFileSync(out, 'utf8')) as ScaleReport);
  }
  const table = renderScaleTable(reports);
  if (options.out) writeFileSync(options.out, `${JSON.stringify(reports, null, 2)}\n`);
  process.stdout.write(`\n${table}\n`);
  process.exit(0);
}
const scale = options.scale[0]!;

const lakeRoot = options.lake
  ? path.resolve(options.lake)
  : path.join(os.tmpdir(), `medallion-bench-${scale}`);
const manifestFile = path.join(lakeRoot, '_sim', 'manifest.json');
const reusable =
  options.lake !== undefined &&
  existsSync(manifestFile) &&
  ((m: { scale: number; seed: number; days: number }) =>
    m.scale === scale && m.seed === options.seed && m.days === 2)(
    JSON.parse(readFileSync(manifestFile, 'utf8')),
  );
for (const entry of existsSync(lakeRoot) ? readdirSync(lakeRoot) : []) {
  if (!(reusable && entry === '_sim'))
    rmSync(path.join(lakeRoot, entry), { recursive: true, force: true });
}
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

const generationStart = performance.now();
if (reusable) {
  process.stderr.write(`Reusing the sample data in ${path.join(lakeRoot, '_sim')}\n`);
} else {
  process.stderr.write(
    `Generating ${scale.toLocaleString('en-US')} orders over 2 days into ${lakeRoot}\n`,
  );
  const generation = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'bin/medallion.ts',
      '--lake',
      lakeRoot,
      'generate',
      '--scale',
      String(scale),
      '--days',
      '2',
      '--seed',
      String(options.seed),
    ],
    { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (generation.status !== 0) process.exit(generation.status ?? 1);
}
const generationSeconds = reusable ? null : (performance.now() - generationStart) / 1000;

const loaded = await loadProject({ root: projectRoot });
const project = options.realisticApi
  ? loaded
  : {
      ...loaded,
      config: {
        ...loaded.config,
        simulators: { ...loaded.config.simulators, retryAfterSeconds: 0, serverErrorRate: 0 },
      },
    };
// The step (Task state) whose handler sends a statement: set as each Task starts, so Tasks that
// overlap each keep their own.
const currentStep = new AsyncLocalStorage<string>();
let recorder: RecordingSqlEngine | undefined;
const openPlatform = () =>
  LocalPlatform.open(project, {
    lakeRoot,
    logger: { ...progressLogger, info: () => {} },
    ...(options.floor
      ? {
          decorateEngine: (engine) =>
            (recorder = new RecordingSqlEngine(engine, () => currentStep.getStore())),
        }
      : {}),
  });
const floorDir = path.join(lakeRoot, '_floor');
const lakehouseFile = path.join(lakeRoot, 'lakehouse.duckdb');
const days: {
  date: string;
  outcome: RunOutcome;
  seconds: number;
  steps: Record<string, number>;
  peakRssMb: number;
  floor?: { seconds: number; statements: number; steps: Record<string, number> };
}[] = [];
try {
  for (const date of ['2026-01-01', '2026-01-02']) {
    // The lakehouse as the day starts, for the floor to replay on: copied while no one has it open.
    const before = path.join(floorDir, `${date}.duckdb`);
    if (options.floor) {
      await (await openPlatform()).close();
      mkdirSync(floorDir, { recursive: true });
      copyFileSync(lakehouseFile, before);
    }
    const platform = await openPlatform();
    const steps: Record<string, number> = {};
    // A state's wall time, from its first start to its last end: a layer's model Tasks overlap.
    const firstStart: Record<string, number> = {};
    const started = performance.now();
    const outcome = await runJob(platform, 'daily', {
      runDate: date,
      onTask: (event) => {
        if (event.phase === 'start') {
          firstStart[event.state] ??= performance.now();
          currentStep.enterWith(event.state);
        }
        if (event.phase === 'end')
          steps[event.state] = (performance.now() - firstStart[event.state]!) / 1000;
        if (event.phase === 'error')
          process.stderr.write(`  ${event.state} failed: ${event.error}\n`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    await platform.close();
    const statements: RecordedStatement[] = recorder?.take() ?? [];
    if (outcome.status !== 'succeeded')
      throw new Error(`daily for ${date} failed: ${outcome.error}`);
    const peakRssMb = mb(process.resourceUsage().maxRSS * 1024);
    const floor = options.floor
      ? await replayFloor({
          lakeRoot,
          lakehouseFile: before,
          bronze: project.contracts.all().filter((c) => c.layer === 'bronze'),
          settings: project.config.engine,
          temp: path.join(floorDir, '_tmp'),
          statements,
        })
      : undefined;
    days.push({ date, outcome, seconds, steps, peakRssMb, ...(floor ? { floor } : {}) });
    process.stderr.write(
      `  daily ${date}: ${seconds.toFixed(2)}s${floor ? `, floor ${floor.seconds.toFixed(2)}s` : ''}\n`,
    );
  }
} finally {
  rmSync(floorDir, { recursive: true, force: true });
  if (!options.lake) rmSync(lakeRoot, { recursive: true, force: true });
}

const stepRows = (outcome: RunOutcome, step: string) =>
  outcome.steps.filter((s) => s.step === step).reduce((n, s) => n + s.rowsIn, 0);
const stateSteps: Record<string, string> = {
  SnowflakeToBronze: 'snowflake_to_bronze',
  RedshiftToBronze: 'redshift_to_bronze',
  CrmToBronze: 'crm_to_bronze',
  FxToBronze: 'fx_to_bronze',
  KafkaToBronze: 'kafka_to_bronze',
  LandingToBronze: 'landing_to_bronze',
  BuildSilverModel: 'bronze_to_silver',
  BuildGoldModel: 'silver_to_gold',
};
const floorDays: FloorDay[] = days.flatMap((d) =>
  d.floor ? [{ date: d.date, seconds: d.seconds, rows: floorRows(d.steps, d.floor.steps) }] : [],
);
const report = {
  scale,
  seed: options.seed,
  machine: {
    cpus: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
  },
  generationSeconds: generationSeconds === null ? null : Number(generationSeconds.toFixed(2)),
  restSimulator: options.realisticApi
    ? 'as configured'
    : 'Retry-After 0 s, no injected 5xx (429s still sent)',
  days: days.map((d) => ({
    date: d.date,
    seconds: Number(d.seconds.toFixed(2)),
    peakRssMb: d.peakRssMb,
    sql: d.outcome.sql,
    models: d.outcome.steps
      .filter((s) => s.sql)
      .map((s) => ({ model: s.dataset, seconds: s.seconds, rowsIn: s.rowsIn, ...s.sql })),
    steps: Object.entries(d.steps).map(([state, seconds]) => {
      const rows = stepRows(d.outcome, stateSteps[state] ?? state);
      return {
        state,
        seconds,
        rows,
        rowsPerSecond: seconds > 0 ? Math.round(rows / seconds) : null,
      };
    }),
  })),
  secondDayShareOfFirst: Number((days[1]!.seconds / days[0]!.seconds).toFixed(3)),
  ...(options.floor
    ? {
        floor: floorDays.map((day, i) => ({
          date: day.date,
          seconds: Number(days[i]!.floor!.seconds.toFixed(2)),
          statements: days[i]!.floor!.statements,
          ratio: ratio(day.seconds, days[i]!.floor!.seconds),
          steps: day.rows.map((r) => ({ ...r, ratio: ratio(r.platform, r.floor) })),
        })),
      }
    : {}),
};

const out = options.out || path.join(projectRoot, 'bench-results', `bench-${scale}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

const lines = [
  `\nscale ${scale.toLocaleString('en-US')} orders · generation ${report.generationSeconds === null ? 'reused' : `${report.generationSeconds}s`} (not part of the runs)`,
  `REST simulator: ${report.restSimulator}`,
];
for (const day of report.days) {
  lines.push(
    `\ndaily ${day.date}: ${day.seconds}s, peak RSS ${day.peakRssMb} MB, ${day.sql.statements} SQL statements, ${day.sql.lookups} table lookups`,
  );
  for (const s of day.steps) {
    lines.push(
      `  ${s.state.padEnd(22)} ${s.seconds.toFixed(2).padStart(7)}s ${s.rows.toLocaleString('en-US').padStart(12)} rows ${s.rowsPerSecond === null ? '' : `${s.rowsPerSecond.toLocaleString('en-US').padStart(12)} rows/s`}`,
    );
  }
  lines.push('  one Task per model:');
  for (const m of day.models) {
    lines.push(
      `    ${m.model.padEnd(28)} ${m.seconds.toFixed(2).padStart(7)}s ${m.rowsIn.toLocaleString('en-US').padStart(12)} rows in ${String(m.statements).padStart(4)} statements ${String(m.lookups).padStart(3)} lookups`,
    );
  }
}
if (floorDays.length > 0)
  lines.push(
    '\nplatform against the floor (its data statements alone, on a bare DuckDB):',
    renderFloorTable(floorDays),
  );
lines.push(
  `\nday 2 took ${(report.secondDayShareOfFirst * 100).toFixed(1)}% of day 1's time`,
  `report: ${path.relative(process.cwd(), out)}\n`,
);
process.stdout.write(lines.join('\n'));
