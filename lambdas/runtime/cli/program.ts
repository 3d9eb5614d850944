/**
 * The `medallion` command line: generate sample data, run jobs through their state machines,
 * query the lake, show run history. Every command prints a short summary and exits non-zero on
 * failure; progress goes to stderr so stdout can be piped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PipelineError } from '../../core/errors';
import { RunHistory } from '../../core/runs';
import { asOfDate, catchUpDates, transformJobs } from '../../core/run-dates';
import { generateSampleData } from '../generator';
import { acquireLakeLock } from '../lake-lock';
import { LocalPlatform } from '../local-platform';
import type { Project } from '../../definitions/project-files';
import { projectRoot } from '../../definitions/project-root';
import { loadConfig } from '../../definitions/source-files';
import { parseIsoDate } from '../generator/calendar';
import { SAMPLE_FORMAT } from '../generator/format';
import { addDays } from '../../core/time';
import { isJobOf, jobsOf, type Job } from '../../core/orchestration';
import type { Model } from '../../core/models/project';
import { isSelective, selectModels, type Selection } from '../../core/models/selection';
import { runJob, type RunOptions, type RunOutcome } from '../runner';
import {
  bold,
  count,
  dim,
  formatRows,
  green,
  progressLogger,
  runSummary,
  taskProgress,
  yellow,
  type OutputFormat,
} from './output';
import { accessPolicy, context, openAs, openReadOnly } from './context';
import { accessCommand } from './access-commands';
import { privacyCommand } from './privacy-commands';
import { costCommand } from './cost-commands';
import { smokeCommand } from './smoke-command';
import { clearLake, refuseOtherSample } from './sample-lake';
import { contractCommand } from './contract-commands';
import { dqCommand } from './dq-commands';
import { lineageCommand } from './lineage-commands';
import { catalogCommand } from './catalog-commands';
import { docsCommand } from './docs-commands';
import { dsrCommand } from './dsr-commands';
import { backupCommand, drCommand } from './backup-commands';
import { retentionCommand } from './retention-commands';
import { newCommand } from './new-commands';
import { piiCommand } from './pii-commands';
import { compileCommand, lsCommand, showCommand } from './model-commands';
import { refuseInvalidProject, validateCommand } from './validate-command';
import { watchRun } from './status-watch';
import { reportCommand } from './report-commands';
import { testCommand } from './test-command';

interface SampleManifest {
  /** The `_sim/` layout (`SAMPLE_FORMAT`); absent in the first layout. */
  readonly format?: number;
  readonly seed: number;
  readonly scale: number;
  readonly days: number;
  readonly startDate: string;
  readonly dates: readonly string[];
}

/** A real calendar day: `2026-02-30` matches the pattern but would reach the engine as bad SQL. */
const isoDate = (value: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new InvalidArgumentError('expected a date as YYYY-MM-DD');
  if (parseIsoDate(value) === undefined)
    throw new InvalidArgumentError(`${value} is not a day of the calendar`);
  return value;
};
const positiveInt = (value: string) => {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const nonNegativeInt = (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};
const positiveSeconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600)
    throw new InvalidArgumentError('expected seconds, more than 0 and at most 3600');
  return n;
};
/** Rows a `query` table draws by default: more would scroll past any terminal. */
const queryTableLimit = 1000;

export function buildProgram(): Command {
  const program = new Command('medallion')
    .description(
      'A serverless medallion data platform for AWS, run locally on DuckDB with the same definitions.',
    )
    .option('--env <name>', 'environment whose config/<env>.yaml to use', 'local')
    .option('--config <file>', 'config file to use instead of config/<env>.yaml')
    .option('--lake <dir>', 'lake folder (default: lake.root from config, .lake)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .configureHelp({ sortSubcommands: false });

  program
    .command('generate')
    .description(
      'Generate the sample sources (Snowflake, Redshift, CRM, FX, Kafka) into <lake>/_sim, deterministically for a seed.',
    )
    .option(
      '--scale <orders>',
      'orders in the initial load (default: sample.scale in config)',
      positiveInt,
    )
    .option(
      '--days <n>',
      'days to generate: day 1 is the initial load, later days carry ~1% changes',
      positiveInt,
    )
    .option('--seed <n>', 'random seed', nonNegativeInt)
    .option('--start-date <YYYY-MM-DD>', 'the first generated day', isoDate)
    .option(
      '--replace',
      "when the lake holds other sample data: delete it and the lake's bronze, silver, gold and run history first",
    )
    .addHelpText(
      'after',
      '\nA lake holds one sample: generating another seed, scale or start date into a lake with data is\nrefused unless --replace (or use another --lake). The same settings again change nothing.\n\nExample:\n  $ medallion generate --scale 100000 --days 2 --seed 42',
    )
    .action(async (options: GenerateCommandOptions, command: Command) => {
      const { project, lakeRoot } = await context(command);
      await generate(project, lakeRoot, options);
    });

  program
    .command('run')
    .description(
      "Run one job through its state machine (built from stepfunctions/ and the config's sources), as Step Functions would on AWS.",
    )
    .addOption(
      new Option(
        '--job <job>',
        "the job to run: <source>_to_bronze for each of the config's sources, landing_to_bronze, bronze_to_silver, silver_to_gold, daily or maintenance",
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--date <YYYY-MM-DD>',
        'logical date of the run (default: the last generated day, else today)',
      )
        .argParser(isoDate)
        .conflicts(['from', 'to']),
    )
    .option('--from <YYYY-MM-DD>', 'first date of a range run day by day, in order', isoDate)
    .option('--to <YYYY-MM-DD>', 'last date of the range (with --from)', isoDate)
    .option(
      '--backfill',
      'run a date earlier than the last completed one: ingest it, then rebuild silver and gold from bronze as of the last completed date',
    )
    .option(
      '--full-refresh',
      'rebuild silver and gold from bronze instead of merging into them (scd2 history is kept)',
    )
    .option(
      '--full-checks',
      'quality gates read every table whole, not only the rows the run merged (as on the periodic days of quality.fullChecksEvery)',
    )
    .option(
      '--select <selector...>',
      'build only these models (silver.orders, +model upstream, model+ downstream, tag:x, layer:x, source:x); daily, bronze_to_silver, silver_to_gold',
    )
    .option('--exclude <selector...>', 'leave these models out (same selectors as --select)')
    .addHelpText(
      'after',
      '\nDates run in order: a date earlier than the last completed run of daily, bronze_to_silver or\nsilver_to_gold is refused unless --backfill (see docs/cli.md, "Dates, backfills and full refresh").\nWith --select or --exclude, only the selected models are built and checked by the quality gates;\nthe others keep their tables as they are (see docs/cli.md).\n\nExamples:\n  $ medallion run --job daily --date 2026-01-02\n  $ medallion run --job daily --from 2026-01-01 --to 2026-01-03\n  $ medallion run --job daily --date 2026-01-01 --backfill\n  $ medallion run --job bronze_to_silver --select +silver.orders\n  $ medallion run --job daily --select +gold.fact_orders --exclude silver.fx_rates_published\n  $ medallion run --job crm_to_bronze',
    )
    .action(async (options: RunCommandOptions, command: Command) => {
      // The jobs depend on the config's sources: checked once it is read, before the slower
      // validation of the whole project.
      const globals = command.optsWithGlobals<{ env: string; config?: string }>();
      const { config } = await loadConfig({
        root: projectRoot,
        env: globals.env,
        configFile: globals.config,
      });
      const jobs = jobsOf(config.sources);
      if (!isJobOf(jobs, options.job))
        command.error(
          `error: option '--job <job>' argument '${options.job}' is invalid. Allowed choices are ${jobs.join(', ')}.`,
        );
      const job = options.job;
      await refuseInvalidProject(command);
      const { project, lakeRoot } = await context(command);
      const manifest = await readManifest(lakeRoot);
      let dates: string[];
      try {
        dates = runDates(options, manifest);
      } catch (error) {
        if (error instanceof InvalidArgumentError) command.error(`error: ${error.message}`);
        throw error;
      }
      if (manifest) dates.forEach((date) => refuseUngeneratedDate(date, manifest));
      const selection = { select: options.select, exclude: options.exclude };
      if (isSelective(selection))
        process.stderr.write(`${describeSelection(project, job, selection)}\n`);
      const request = {
        ...(options.backfill ? { backfill: true } : {}),
        ...(options.fullRefresh ? { fullRefresh: true } : {}),
        ...(options.fullChecks ? { fullChecks: true } : {}),
        ...selection,
      };
      const outcomes = await withPlatform(project, lakeRoot, job, async (platform) => {
        // The state machine refuses an out-of-order date too, but only after ingesting it.
        if (transformJobs.includes(job)) {
          const history = new RunHistory(platform.lakehouse);
          asOfDate({ ...request, date: dates[0]! }, await history.lastCompletedDate(transformJobs));
        }
        const results: RunOutcome[] = [];
        for (const [i, date] of dates.entries()) {
          if (dates.length > 1) process.stderr.write(`${dim(`[${i + 1}/${dates.length}]`)} `);
          const outcome = await execute(platform, job, date, request);
          results.push(outcome);
          if (outcome.status !== 'succeeded') break;
        }
        return results;
      });
      if (dates.length > 1) process.stderr.write(`${rangeSummary(dates, outcomes)}\n`);
      const unsuccessful = outcomes.find((o) => o.status !== 'succeeded');
      if (unsuccessful) process.exitCode = exitCodeOf(unsuccessful);
    });

  program
    .command('pipeline')
    .description(
      'Generate sample data if there is none, then run the daily pipeline for every generated day not yet done.',
    )
    .option('--scale <orders>', 'orders in the initial load when generating', positiveInt)
    .option('--days <n>', 'days to generate when generating', positiveInt)
    .option('--seed <n>', 'random seed when generating', nonNegativeInt)
    .option('--replace', 'replace other sample data and what ran on it (see generate --help)')
    .addHelpText(
      'after',
      '\nExample:\n  $ medallion pipeline            # what `npm run pipeline` does',
    )
    .action(async (options: GenerateCommandOptions, command: Command) => {
      await refuseInvalidProject(command);
      const { project, lakeRoot } = await context(command);
      await pipeline(project, lakeRoot, options);
    });

  program
    .command('query')
    .description(
      'Run SQL over the lake: bronze.*, silver.*, gold.*, quarantine.*, audit.* (run history), changelog.*.',
    )
    .argument('<sql>', 'the query')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .option(
      '--limit <n>',
      `rows to print, 0 for all (default: ${count(queryTableLimit)} as a table, all as json or csv)`,
      nonNegativeInt,
    )
    .addHelpText(
      'after',
      `\nA table fits the terminal: long cells end in "…", and rows past --limit are counted, not drawn.\nJSON and CSV are never cut unless --limit is given.\n\nExamples:\n  $ medallion query "select count(*) as n from gold.fact_orders" --format json\n  $ medallion query "select _rule, count(*) from quarantine.orders group by 1"\n  $ medallion query "select * from gold.fact_orders" --format csv > fact_orders.csv\n  $ medallion query --as analyst "select * from gold.customer_360"`,
    )
    .option(
      '--as <persona>',
      'read as a persona of config/access.yaml: hidden columns absent, masked ones masked, rows filtered',
    )
    .action(
      async (
        sql: string,
        options: { format: OutputFormat; limit?: number; as?: string },
        command: Command,
      ) => {
        const { project, lakeRoot, env } = await context(command);
        const { lakehouse, session } = options.as
          ? await openAs(project, lakeRoot, await accessPolicy(project, env), options.as)
          : { lakehouse: await openReadOnly(project, lakeRoot), session: undefined };
        try {
          const rows = await (session ?? lakehouse).query(sql);
          const limit = options.limit ?? (options.format === 'table' ? queryTableLimit : 0);
          process.stdout.write(`${formatRows(rows, options.format, undefined, { limit })}\n`);
          if (options.format !== 'table' && limit > 0 && rows.length > limit)
            process.stderr.write(
              `${yellow(`${count(limit)} of ${count(rows.length)} rows written (--limit ${limit})`)}\n`,
            );
        } finally {
          lakehouse.close();
        }
      },
    );

  program
    .command('status')
    .description(
      'Recent runs: job, date, outcome, duration, rows; one run in detail with --run; the running one live with --watch.',
    )
    .option('--limit <n>', 'how many runs', positiveInt, 10)
    .option('--run <id>', 'show the dataset steps of one run')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .addOption(
      new Option(
        '--watch',
        'follow the running (or latest) run live: states, rows per dataset, gates; exit as the run did',
      ).conflicts(['run', 'limit', 'format']),
    )
    .option('--interval <s>', 'seconds between refreshes with --watch', positiveSeconds, 1)
    .option(
      '--wait <s>',
      'with --watch on an idle lake: seconds to wait for a run to start before showing the latest',
      positiveSeconds,
      5,
    )
    .addHelpText(
      'after',
      `\nWith --watch the view is redrawn in place on a terminal, and written one line per change
otherwise (a log, CI). It exits 0 when the run succeeded, 1 when it failed, 130 when it was
interrupted, so a script can wait on a pipeline started in the background. Ctrl-C stops watching,
not the run.

Examples:
  $ medallion status
  $ medallion status --run 0193...
  $ medallion status --watch
  $ medallion pipeline & medallion status --watch --interval 2 > progress.log`,
    )
    .action(async (options: StatusCommandOptions, command: Command) => {
      const { project, lakeRoot } = await context(command);
      if (options.watch) {
        process.exitCode = await watch(lakeRoot, options);
        return;
      }
      const lakehouse = await openReadOnly(project, lakeRoot);
      try {
        const history = new RunHistory(lakehouse);
        const rows = options.run
          ? await history.steps(options.run)
          : await history.latest(options.limit);
        if (options.run && rows.length === 0)
          throw new PipelineError(
            `No run ${options.run} in the history (see \`medallion status\`)`,
          );
        process.stdout.write(`${formatRows(rows, options.format)}\n`);
      } finally {
        lakehouse.close();
      }
    });

  program.addCommand(compileCommand());
  program.addCommand(showCommand());
  program.addCommand(lsCommand());
  program.addCommand(validateCommand());
  program.addCommand(testCommand());
  program.addCommand(contractCommand());
  program.addCommand(dqCommand());
  program.addCommand(lineageCommand());
  program.addCommand(catalogCommand());
  program.addCommand(docsCommand());
  program.addCommand(accessCommand());
  program.addCommand(piiCommand());
  program.addCommand(newCommand());
  program.addCommand(privacyCommand());
  program.addCommand(dsrCommand());
  program.addCommand(backupCommand());
  program.addCommand(drCommand());
  program.addCommand(retentionCommand());
  program.addCommand(costCommand());
  program.addCommand(reportCommand());
  program.addCommand(smokeCommand());

  reportUsageErrorsBriefly(program);
  return program;
}

/**
 * A usage error (unknown option, missing argument) gets one line and a pointer to the command's
 * help, as git does: the full help buries the line that says what was wrong. Commander's exits
 * become a thrown `CommanderError`, which bin/medallion.ts turns into exit code 2.
 */
function reportUsageErrorsBriefly(command: Command): void {
  const name = (c: Command): string => (c.parent ? `${name(c.parent)} ${c.name()}` : c.name());
  command.showHelpAfterError(`see '${name(command)} --help'`).exitOverride();
  command.commands.forEach(reportUsageErrorsBriefly);
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

interface GenerateCommandOptions {
  readonly scale?: number;
  readonly days?: number;
  readonly seed?: number;
  readonly startDate?: string;
  readonly replace?: boolean;
}

async function generate(project: Project, lakeRoot: string, options: GenerateCommandOptions) {
  const sample = project.config.sample;
  const settings = {
    scale: options.scale ?? sample.scale,
    days: options.days ?? sample.days,
    seed: options.seed ?? sample.seed,
    startDate: options.startDate ?? sample.startDate,
  };
  const lock = await acquireLakeLock(lakeRoot, 'generate');
  try {
    if (options.replace) await clearLake(lakeRoot);
    else refuseOtherSample(lakeRoot, await readManifest(lakeRoot), settings);
    process.stderr.write(
      `${bold('Generating sample data')} ${dim(`scale ${count(settings.scale)}, ${settings.days} day(s), seed ${settings.seed}, from ${settings.startDate}`)}\n`,
    );
    let last = '';
    const summary = await generateSampleData({
      lakeRoot,
      ...settings,
      onProgress: ({ step, done, total }) => {
        if (step !== last) process.stderr.write(`  ${dim('▶')} ${step}\n`);
        last = step;
        if (process.stderr.isTTY && total > 0)
          process.stderr.write(
            `\r    ${count(done)} / ${count(total)}\u001b[K${done >= total ? '\n' : ''}`,
          );
      },
    });
    for (const d of summary.datasets)
      process.stderr.write(`    ${d.dataset.padEnd(28)} ${count(d.rows)} rows\n`);
    process.stderr.write(
      `${green('Generated')} ${summary.dates.length} day(s) (${summary.dates.join(', ')}) into ${path.join(lakeRoot, '_sim')} in ${summary.seconds.toFixed(1)}s\n`,
    );
  } finally {
    await lock.release();
  }
}

async function pipeline(project: Project, lakeRoot: string, options: GenerateCommandOptions) {
  let manifest = await readManifest(lakeRoot);
  // Settings not given are the existing sample's: `pipeline` alone goes on with what is there.
  // Sample data of an older layout is made again with its settings.
  const olderLayout = manifest !== undefined && manifest.format !== SAMPLE_FORMAT;
  const differs =
    manifest !== undefined &&
    ((options.scale ?? manifest.scale) !== manifest.scale ||
      (options.seed ?? manifest.seed) !== manifest.seed);
  if (!manifest || differs || olderLayout || options.replace) {
    if (olderLayout)
      process.stderr.write(
        `The sample data in ${path.join(lakeRoot, '_sim')} is of an older layout: generating it again.\n`,
      );
    await generate(project, lakeRoot, { ...manifest, ...options });
    manifest = (await readManifest(lakeRoot))!;
  }
  const outcomes = await withPlatform(project, lakeRoot, 'daily', async (platform) => {
    const history = new RunHistory(platform.lakehouse);
    const done = await history.succeededDates('daily');
    const last = await history.lastCompletedDate(transformJobs);
    const { pending, skipped } = catchUpDates(manifest.dates, done, last);
    if (skipped.length > 0)
      process.stderr.write(
        yellow(
          `Skipping ${skipped.join(', ')}: earlier than ${last}, the last completed run date. To process them, \`medallion run --job daily --date <date> --backfill\`.\n`,
        ),
      );
    if (pending.length === 0)
      process.stderr.write(
        `Every generated day (${manifest.dates.join(', ')}) has already run; nothing to do.\n`,
      );
    const results: RunOutcome[] = [];
    for (const date of pending) {
      const outcome = await execute(platform, 'daily', date);
      results.push(outcome);
      if (outcome.status !== 'succeeded') break;
    }
    return results;
  });
  const unsuccessful = outcomes.find((o) => o.status !== 'succeeded');
  if (unsuccessful) {
    process.exitCode = exitCodeOf(unsuccessful);
    return;
  }
  process.stderr.write(
    [
      '',
      bold('Where to look next'),
      `  npx medallion query "select * from gold.revenue_daily order by order_date desc limit 7"`,
      `  npx medallion query "select count(*) as n from gold.fact_orders" --format json`,
      `  npx medallion query "select _rule, count(*) as n from quarantine.orders group by _rule"`,
      `  npx medallion status`,
      ...(outcomes.length > 0 ? [`  npx medallion lineage run ${outcomes.at(-1)!.runId}`] : []),
      `  npx medallion lineage upstream gold.fact_orders.amount_usd`,
      `  npx medallion catalog search pii`,
      `  The lake is in ${lakeRoot}: bronze/ holds Parquet, lakehouse.duckdb holds silver, gold, quarantine and audit.`,
      '',
    ].join('\n'),
  );
}

/**
 * Runs a job with Ctrl-C wired to stop it cleanly: the task running finishes its transaction, no
 * other starts, and the run is recorded as interrupted. A second Ctrl-C quits at once (what a
 * crash would leave, the next run recovers from).
 */
async function execute(
  platform: LocalPlatform,
  job: Job,
  date: string,
  request: Pick<RunOptions, 'backfill' | 'fullRefresh' | 'fullChecks' | 'select' | 'exclude'> = {},
): Promise<RunOutcome> {
  process.stderr.write(`${bold(`Running ${job}`)} ${dim(`for ${date}`)}\n`);
  const stop = new AbortController();
  const interrupt = () => {
    process.stderr.write(
      yellow(
        '\nStopping: the running task finishes, then the run is recorded as interrupted (Ctrl-C again quits at once).\n',
      ),
    );
    process.once('SIGINT', () => process.exit(130));
    stop.abort();
  };
  process.once('SIGINT', interrupt);
  try {
    const outcome = await runJob(platform, job, {
      ...request,
      runDate: date,
      onTask: taskProgress,
      signal: stop.signal,
    });
    process.stdout.write(`${runSummary(outcome)}\n`);
    return outcome;
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
}

interface StatusCommandOptions {
  readonly limit: number;
  readonly run?: string;
  readonly format: OutputFormat;
  readonly watch?: boolean;
  readonly interval: number;
  readonly wait: number;
}

/** `status --watch` on stdout, Ctrl-C ending the watch (never the run, another process's). */
async function watch(lakeRoot: string, options: StatusCommandOptions): Promise<number> {
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once('SIGINT', interrupt);
  try {
    return await watchRun({
      lakeRoot,
      intervalMs: options.interval * 1000,
      waitMs: options.wait * 1000,
      out: process.stdout,
      signal: stop.signal,
    });
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
}

/** 130 for a run stopped by Ctrl-C, as shells report SIGINT; 1 for a failure. */
function exitCodeOf(outcome: RunOutcome): number {
  return outcome.status === 'interrupted' ? 130 : 1;
}

/** Holds the lake lock and the open platform for the duration of `work`. */
async function withPlatform<T>(
  project: Project,
  lakeRoot: string,
  job: string,
  work: (platform: LocalPlatform) => Promise<T>,
): Promise<T> {
  const lock = await acquireLakeLock(lakeRoot, job);
  try {
    const platform = await LocalPlatform.open(project, { lakeRoot, logger: progressLogger });
    try {
      return await work(platform);
    } finally {
      await platform.close();
    }
  } finally {
    await lock.release();
  }
}

interface RunCommandOptions {
  /** Checked against the config's jobs once the config is loaded. */
  readonly job: string;
  readonly date?: string;
  readonly from?: string;
  readonly to?: string;
  readonly backfill?: boolean;
  readonly fullRefresh?: boolean;
  readonly fullChecks?: boolean;
  readonly select?: string[];
  readonly exclude?: string[];
}

/**
 * What a selective run builds, said before it starts: the selected models of the job's layers,
 * and the layers that build nothing. A selector the project cannot satisfy throws its error here.
 */
function describeSelection(project: Project, job: Job, selection: Selection): string {
  const layers = layersOf[job];
  if (!layers)
    throw new PipelineError(
      `--select and --exclude choose models; ${job} builds none (jobs that do: ${Object.keys(layersOf).join(', ')})`,
    );
  const models = selectModels(project.models, selection);
  const lines = layers.map((layer) => {
    const names = models.filter((m) => m.layer === layer).map((m) => m.name);
    return names.length > 0
      ? `  ${layer}: ${names.join(', ')}`
      : `  ${layer}: ${yellow('no model selected, the layer builds nothing')}`;
  });
  const elsewhere = models.filter((m) => !layers.includes(m.layer)).map((m) => m.name);
  if (elsewhere.length > 0) lines.push(dim(`  not built by ${job}: ${elsewhere.join(', ')}`));
  const built = models.filter((m) => layers.includes(m.layer)).length;
  return [bold(`Selected ${built} model(s)`), ...lines].join('\n');
}

/** The model layers each job builds, in order. */
const layersOf: Partial<Record<Job, readonly Model['layer'][]>> = {
  daily: ['silver', 'gold'],
  bronze_to_silver: ['silver'],
  silver_to_gold: ['gold'],
};

/** Longest `--from`/`--to` range: a typo in a year should not start years of runs. */
const maxRangeDays = 366;

/** The dates `run` runs, in order: `--from` to `--to`, else `--date`, the last generated day or today. */
function runDates(options: RunCommandOptions, manifest: SampleManifest | undefined): string[] {
  if (options.from === undefined && options.to === undefined)
    return [options.date ?? manifest?.dates.at(-1) ?? new Date().toISOString().slice(0, 10)];
  if (options.from === undefined || options.to === undefined)
    throw new InvalidArgumentError('--from and --to go together: give both, or --date');
  if (options.from > options.to)
    throw new InvalidArgumentError(`--from ${options.from} is after --to ${options.to}`);
  const dates = [options.from];
  while (dates.at(-1)! < options.to) {
    if (dates.length >= maxRangeDays)
      throw new InvalidArgumentError(
        `--from ${options.from} --to ${options.to} spans more than ${maxRangeDays} days`,
      );
    dates.push(addDays(dates.at(-1)!, 1));
  }
  return dates;
}

/** One line per date of a range run, then how many succeeded and where it stopped. */
function rangeSummary(dates: readonly string[], outcomes: readonly RunOutcome[]): string {
  const lines = dates.map((date, i) => {
    const outcome = outcomes[i];
    const status = outcome ? outcome.status : 'not run';
    return `  ${date}  ${outcome?.status === 'succeeded' ? green(status) : yellow(status)}`;
  });
  const succeeded = outcomes.filter((o) => o.status === 'succeeded').length;
  const stopped = outcomes.find((o) => o.status !== 'succeeded');
  return [
    '',
    bold(`${succeeded} of ${dates.length} date(s) succeeded`) +
      (stopped ? ` ${dim(`(stopped at ${stopped.runDate}: ${stopped.status})`)}` : ''),
    ...lines,
  ].join('\n');
}

/**
 * The simulated sources hold only the generated days: a run for another day would ingest nothing
 * and then fail its freshness checks, blaming the data instead of the date.
 */
function refuseUngeneratedDate(date: string, manifest: SampleManifest): void {
  if (manifest.dates.includes(date)) return;
  throw new PipelineError(
    `No sample data for ${date}: the generated days are ${manifest.dates[0]} to ${manifest.dates.at(-1)}. Run one of them, or generate more days (\`medallion generate --days <n>\`).`,
  );
}

async function readManifest(lakeRoot: string): Promise<SampleManifest | undefined> {
  const file = path.join(lakeRoot, '_sim', 'manifest.json');
  return existsSync(file)
    ? (JSON.parse(await readFile(file, 'utf8')) as SampleManifest)
    : undefined;
}
