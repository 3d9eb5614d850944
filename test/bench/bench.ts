/**
 * `npm run bench -- --scale N`: generates N orders over two days (in a child process, so its
 * memory does not count), runs `daily` for day 1 (the initial load) and day 2 (~1% changes),
 * and reports per-step wall time, rows per second, peak RSS, the SQL statements each step sends
 * (each one Athena query execution) and the silver and gold checksums, as a table and as JSON.
 * `--floor` also replays each day's data statements on a bare DuckDB, measures the ingestion
 * floor and estimates the bytes Athena would scan (see `floor.ts`, `ingest-floor.ts`,
 * `scan-estimate.ts`); `--compare <report.json>` checks the checksums against an earlier run's;
 * `--scale 1000000,3000000` runs each scale in its own process (so its peak RSS is its own) and
 * prints one row per scale. What follows each day runs in a process of its own (`after-day.ts`).
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
import { SAMPLE_FORMAT } from '../../lambdas/runtime/generator/format';
import { runJob, type RunOutcome } from '../../lambdas/runtime/runner';
import { RecordingSqlEngine, type RecordedStatement } from '../../lambdas/core/recording-engine';
import type { AfterDayInput, AfterDayOutput } from './after-day';
import { compareChecksums, renderComparison } from './checksums';
import { floorRows, ratio, renderFloorTable, stepOfState, type FloorDay } from './floor';
import { ingestionFloor, readIngestStates } from './ingest-floor';
import { renderScaleTable, type ScaleReport } from './scales';
import { StatementLog, statementsByStep, type SentStatement } from './statements';
import { renderTargets, targetVerdicts } from './targets';

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
  .option(
    '--slowest <n>',
    'with --floor, print the n slowest data statements of each day’s replay',
    Number,
    0,
  )
  .option('--out <file>', 'where to write the JSON report', '')
  .option(
    '--compare <report>',
    'an earlier bench report (JSON) whose silver and gold checksums must equal this run’s; exits non-zero otherwise',
  )
  .parse()
  .opts<{
    scale: number[];
    seed: number;
    lake?: string;
    out: string;
    realisticApi?: boolean;
    floor?: boolean;
    compare?: string;
    slowest: number;
  }>();
if (options.slowest > 0 && !options.floor) throw new Error('--slowest needs --floor');
if (options.compare !== undefined && options.scale.length > 1)
  throw new Error('--compare takes one scale: the earlier report is one scale’s');
const earlier = options.compare
  ? (JSON.parse(readFileSync(options.compare, 'utf8')) as {
      scale: number;
      seed: number;
      days: { date: string; checksums?: AfterDayOutput['checksums'] }[];
    })
  : undefined;
if (earlier && (earlier.scale !== options.scale[0] || earlier.seed !== options.seed))
  throw new Error(
    `--compare ${options.compare}: that report is scale ${earlier.scale}, seed ${earlier.seed}; this run is scale ${options.scale[0]}, seed ${options.seed}`,
  );

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
  ((m: { format?: number; scale: number; seed: number; days: number }) =>
    m.format === SAMPLE_FORMAT && m.scale === scale && m.seed === options.seed && m.days === 2)(
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
const step = () => currentStep.getStore();
let recorder: RecordingSqlEngine | undefined;
let log: StatementLog | undefined;
const openPlatform = () =>
  LocalPlatform.open(project, {
    lakeRoot,
    logger: { ...progressLogger, info: () => {} },
    decorateEngine: (engine) =>
      (log = new StatementLog(
        options.floor ? (recorder = new RecordingSqlEngine(engine, step)) : engine,
        step,
      )),
  });
const floorDir = path.join(lakeRoot, '_floor');
const lakehouseFile = path.join(lakeRoot, 'lakehouse.duckdb');
const gateStates = ['SilverQuality', 'GoldQuality'];
const days: {
  date: string;
  outcome: RunOutcome;
  seconds: number;
  steps: Record<string, number>;
  peakRssMb: number;
  sent: SentStatement[];
  after: AfterDayOutput;
}[] = [];
try {
  mkdirSync(floorDir, { recursive: true });
  for (const date of ['2026-01-01', '2026-01-02']) {
    // The lakehouse and ingest states as the day starts, for the floor: copied while no one has
    // the lakehouse open, before the run's clock starts.
    const before = path.join(floorDir, `${date}.duckdb`);
    const statesBefore = readIngestStates(lakeRoot);
    if (options.floor) {
      await (await openPlatform()).close();
      copyFileSync(lakehouseFile, before);
    }
    // The bench's own writes (that copy, the last day's replay into its copy) are flushed to disk
    // before the clock starts: written back during the run, they would slow its I/O.
    spawnSync('sync');
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
    const peakRssMb = mb(process.resourceUsage().maxRSS * 1024);
    await platform.close();
    const statements: RecordedStatement[] = recorder?.take() ?? [];
    const sent = log!.take();
    if (outcome.status !== 'succeeded')
      throw new Error(`daily for ${date} failed: ${outcome.error}`);
    const missingGates = gateStates.filter((g) => !(g in steps));
    if (missingGates.length > 0)
      throw new Error(
        `daily for ${date} ran no ${missingGates.join(' or ')} state: the gates' target would measure nothing`,
      );
    if (sent.length !== outcome.sql.statements)
      throw new Error(
        `daily for ${date}: the bench logged ${sent.length} statements but the run counted ${outcome.sql.statements}`,
      );
    const landed = outcome.steps
      .filter((s) => s.step === stepOfState.LandingToBronze)
      .reduce((n, s) => n + s.rowsOut, 0);
    if (options.floor && landed > 0)
      throw new Error(
        `daily for ${date} ingested ${landed} landing rows: the ingestion floor has none to compare with`,
      );
    const input: AfterDayInput = {
      lakeRoot,
      lakehouseFile,
      ...(options.floor
        ? {
            floor: {
              runId: outcome.runId,
              runDate: date,
              lakehouseCopy: before,
              temp: path.join(floorDir, '_tmp'),
              statements,
              sent,
              before: statesBefore,
              after: readIngestStates(lakeRoot),
              slowest: options.slowest,
            },
          }
        : {}),
    };
    const inputFile = path.join(floorDir, `${date}.in.json`);
    const outputFile = path.join(floorDir, `${date}.out.json`);
    writeFileSync(inputFile, JSON.stringify(input));
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'test/bench/after-day.ts', inputFile, outputFile],
      { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (child.status !== 0) throw new Error(`the bench's work after ${date} failed`);
    const after = JSON.parse(readFileSync(outputFile, 'utf8')) as AfterDayOutput;
    days.push({ date, outcome, seconds, steps, peakRssMb, sent, after });
    const floorSeconds = after.floor
      ? after.floor.seconds + ingestionFloor(after.ingest ?? [])
      : undefined;
    process.stderr.write(
      `  daily ${date}: ${seconds.toFixed(2)}s${floorSeconds === undefined ? '' : `, floor ${floorSeconds.toFixed(2)}s`}\n`,
    );
  }
} finally {
  rmSync(floorDir, { recursive: true, force: true });
  if (!options.lake) rmSync(lakeRoot, { recursive: true, force: true });
}

const stepRows = (outcome: RunOutcome, step: string) =>
  outcome.steps.filter((s) => s.step === step).reduce((n, s) => n + s.rowsIn, 0);
const branches = new Set(Object.keys(stepOfState).filter((s) => s.endsWith('ToBronze')));
const floorDays: FloorDay[] = days.flatMap((d) => {
  if (!d.after.floor) return [];
  const floor = { ...d.after.floor.steps };
  for (const b of d.after.ingest ?? []) floor[b.state] = b.seconds;
  return [{ date: d.date, seconds: d.seconds, rows: floorRows(d.steps, floor, branches) }];
});
const round = (n: number) => Number(n.toFixed(2));
const gateSeconds = (steps: Record<string, number>) =>
  gateStates.reduce((t, s) => t + (steps[s] ?? 0), 0);
const comparisons = earlier
  ? compareChecksums(
      earlier.days,
      days.map((d) => ({ date: d.date, checksums: d.after.checksums })),
    )
  : undefined;
const report = {
  scale,
  seed: options.seed,
  machine: {
    cpus: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
  },
  generationSeconds: generationSeconds === null ? null : round(generationSeconds),
  restSimulator: options.realisticApi
    ? 'as configured'
    : 'Retry-After 0 s, no injected 5xx (429s still sent)',
  days: days.map((d) => {
    const scanned = d.after.floor?.scanned;
    const total = (pick: 'bytes' | 'billed') =>
      Object.values(scanned ?? {}).reduce((t, s) => t + s[pick], 0);
    return {
      date: d.date,
      seconds: round(d.seconds),
      peakRssMb: d.peakRssMb,
      gateSeconds: round(gateSeconds(d.steps)),
      sql: d.outcome.sql,
      athena: {
        statements: d.sent.length,
        ...(scanned
          ? {
              scannedBytes: total('bytes'),
              billedBytes: total('billed'),
              estimateFallbacks: d.after.floor!.fallbacks,
            }
          : {}),
        steps: Object.entries(statementsByStep(d.sent)).map(([state, statements]) => ({
          state,
          statements,
          ...(scanned?.[state]
            ? { scannedBytes: scanned[state].bytes, billedBytes: scanned[state].billed }
            : {}),
        })),
      },
      models: d.outcome.steps
        .filter((s) => s.sql)
        .map((s) => ({ model: s.dataset, seconds: s.seconds, rowsIn: s.rowsIn, ...s.sql })),
      steps: Object.entries(d.steps).map(([state, seconds]) => {
        const rows = stepRows(d.outcome, stepOfState[state] ?? state);
        return {
          state,
          seconds,
          rows,
          rowsPerSecond: seconds > 0 ? Math.round(rows / seconds) : null,
        };
      }),
      checksums: d.after.checksums,
    };
  }),
  secondDayShareOfFirst: Number((days[1]!.seconds / days[0]!.seconds).toFixed(3)),
  ...(options.floor
    ? {
        floor: floorDays.map((day, i) => {
          const ingest = days[i]!.after.ingest ?? [];
          const seconds = days[i]!.after.floor!.seconds + ingestionFloor(ingest);
          return {
            date: day.date,
            seconds: round(seconds),
            statements: days[i]!.after.floor!.statements,
            ratio: ratio(day.seconds, seconds),
            ingestion: { seconds: round(ingestionFloor(ingest)), branches: ingest },
            steps: day.rows.map((r) => ({ ...r, ratio: ratio(r.platform, r.floor) })),
            slowest: days[i]!.after.floor!.slowest,
          };
        }),
      }
    : {}),
  ...(comparisons ? { compare: { report: options.compare, tables: comparisons } } : {}),
};
const targets = targetVerdicts({
  days: report.days.map((d, i) => ({
    seconds: d.seconds,
    gateSeconds: d.gateSeconds,
    ...(report.floor ? { floorSeconds: report.floor[i]!.seconds } : {}),
  })),
  peakRssMb: Math.max(...report.days.map((d) => d.peakRssMb)),
  ...(comparisons
    ? {
        checksums: {
          compared: comparisons.length,
          equal: comparisons.filter((c) => c.equal).length,
        },
      }
    : {}),
});

const out = options.out || path.join(projectRoot, 'bench-results', `bench-${scale}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ ...report, targets }, null, 2)}\n`);

const megabytes = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MB`;
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
lines.push(
  '\nAthena per run: statements (one query execution each) and, with --floor, estimated bytes scanned',
  `${'step'.padEnd(24)} ${'statements'.padStart(10)} ${'scanned'.padStart(12)} ${'billed'.padStart(12)}`,
);
for (const day of report.days) {
  lines.push(`daily ${day.date}`);
  const cells = (s: { scannedBytes?: number; billedBytes?: number }) =>
    s.scannedBytes === undefined
      ? ''
      : `${megabytes(s.scannedBytes).padStart(12)} ${megabytes(s.billedBytes!).padStart(12)}`;
  for (const s of day.athena.steps)
    lines.push(`  ${s.state.padEnd(22)} ${String(s.statements).padStart(10)} ${cells(s)}`);
  lines.push(
    `  ${'total'.padEnd(22)} ${String(day.athena.statements).padStart(10)} ${cells(day.athena)}${day.athena.estimateFallbacks ? `  (${day.athena.estimateFallbacks} estimated from all columns)` : ''}`,
  );
}
if (floorDays.length > 0)
  lines.push(
    '\nplatform against the floor (its data statements alone, and each ingest branch’s extract, on a bare DuckDB):',
    renderFloorTable(floorDays),
  );
for (const [i, day] of floorDays.entries()) {
  const slowest = days[i]!.after.floor!.slowest;
  if (slowest.length === 0) continue;
  lines.push(`\nthe ${slowest.length} slowest data statements of ${day.date}'s floor:`);
  for (const s of slowest)
    lines.push(
      `  ${s.seconds.toFixed(3).padStart(7)}s  ${s.step.padEnd(18)} ${s.sql.replace(/\s+/g, ' ').slice(0, 140)}`,
    );
}
lines.push(
  `\nday 2 took ${(report.secondDayShareOfFirst * 100).toFixed(1)}% of day 1's time`,
  '\nissue 17’s targets:',
  renderTargets(targets),
);
if (comparisons)
  lines.push(
    `\nsilver and gold checksums against ${options.compare}:`,
    renderComparison(comparisons),
  );
lines.push(`report: ${path.relative(process.cwd(), out)}\n`);
process.stdout.write(lines.join('\n'));
if (comparisons?.some((c) => !c.equal)) process.exit(1);
