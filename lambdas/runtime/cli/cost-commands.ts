/**
 * `medallion cost report --from <dir>`: the weekly cost report the cost report Lambda writes,
 * rendered by the same code from a directory of recorded Cost Explorer responses and run
 * history (the Lambda stores its recording beside each report; `fixtures/cost/` is a sample), so
 * a report can be seen, reproduced and checked without AWS. `medallion cost estimate`: what the
 * local runs would cost on AWS, before deploying.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runsPerMonth } from '../../../config/cron';
import { estimateCosts, type CostEstimate } from '../../core/cost/estimate';
import { PipelineError } from '../../core/errors';
import { costAdvice } from '../../core/cost/advice';
import { RunHistory } from '../../core/runs';
import { recordingFromFiles } from '../../core/cost/recording';
import { buildCostReport } from '../../core/cost/report';
import {
  renderCostCsv,
  renderCostHtml,
  renderCostJson,
  renderCostSummary,
} from '../../core/cost/render';
import { context, openReadOnly } from './context';
import { bold, formatRows, green } from './output';

const renderers = { html: renderCostHtml, csv: renderCostCsv, json: renderCostJson } as const;

/** Every `*.json` file of a directory, parsed, by name; a file that is not JSON is named. */
async function readRecordingDir(dir: string): Promise<Map<string, unknown>> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    throw new PipelineError(
      `Cannot read the recording directory ${dir}: ${error.code ?? error.message}`,
    );
  });
  const files = new Map<string, unknown>();
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    try {
      files.set(name, JSON.parse(await readFile(file, 'utf8')));
    } catch (error) {
      throw new PipelineError(`${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  return files;
}

const positiveInt = (value: string) => {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
};

/**
 * The estimate as three tables, narrow enough for a terminal: each run, each model or dataset over
 * the runs, each schedule (`--format json` has every figure, per step and per service).
 */
function estimateTables(estimate: CostEstimate): string {
  const runs = estimate.runs.map((r) => ({
    run_id: r.runId,
    job: r.job,
    run_date: r.runDate,
    status: r.status,
    statements: r.statements,
    transitions: r.transitions ?? null,
    gb_s: r.gbSeconds,
    scanned: r.bytesScanned ?? null,
    usd: r.totalUsd,
  }));
  const byDataset = new Map<
    string,
    {
      dataset: string;
      task: string | null;
      mb: number | null;
      runs: number;
      seconds: number;
      statements: number;
      gb_s: number;
      usd: number;
      scanned: number | null;
    }
  >();
  for (const run of estimate.runs)
    for (const step of run.steps) {
      const key = `${step.dataset} ${step.task ?? ''}`;
      const row = byDataset.get(key) ?? {
        dataset: step.dataset,
        task: step.task ?? null,
        mb: step.memoryMb ?? null,
        runs: 0,
        seconds: 0,
        statements: 0,
        gb_s: 0,
        usd: 0,
        scanned: null,
      };
      row.runs += 1;
      row.seconds = round(row.seconds + step.seconds, 3);
      row.statements += step.statements ?? 0;
      row.gb_s = round(row.gb_s + step.gbSeconds, 3);
      row.usd = round(row.usd + step.lambdaUsd + (step.athenaUsd ?? 0), 4);
      if (step.bytesScanned !== undefined) row.scanned = (row.scanned ?? 0) + step.bytesScanned;
      byDataset.set(key, row);
    }
  const projections = estimate.projections.map((p) => ({
    job: p.job,
    schedule: p.schedule,
    runs_per_month: p.runsPerMonth,
    priced_from_runs: p.runs,
    per_run_usd: p.perRunUsd,
    monthly_usd: p.monthlyUsd,
  }));
  return [
    `${bold('Runs')} (gb_s: Lambda GB-seconds; scanned: Athena bytes, not measured on DuckDB)\n${formatRows(runs, 'table')}`,
    `${bold('Per model and task, over these runs')}\n${formatRows([...byDataset.values()], 'table')}`,
    `${bold('A month of the configured schedules')}: about $${estimate.monthlyUsd.toFixed(2)}\n${formatRows(projections, 'table')}`,
  ].join('\n\n');
}

function round(value: number, decimals: number): number {
  return Math.round(value * 10 ** decimals) / 10 ** decimals;
}

export function costCommand(): Command {
  const cost = new Command('cost').description(
    'Cost reports from Cost Explorer and the run history.',
  );
  cost
    .command('report')
    .description(
      'The weekly cost report: month to date, week over week by service and by cost allocation tag, forecast to month end, anomalies, untagged share and unit costs, from recorded Cost Explorer responses.',
    )
    .requiredOption(
      '--from <dir>',
      'directory of recorded responses: report.json, cost-and-usage.*.json, forecast.json, anomalies.*.json, runs.json, lambda-usage.json, optimization-hub.*.json, and the cost optimizer’s optimizer.json, metric-data.*.json, lifecycle.json',
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['html', 'csv', 'json'])
        .default('html'),
    )
    .option('--output <file>', 'where to write it (default: cost-report.<format>)')
    .addHelpText(
      'after',
      '\nThe cost report Lambda stores the responses it used beside each report (reports/cost/<date>/recording/);\nfixtures/cost/ is a sample recording. The HTML page works offline (inline styles and charts, no script).\n\nExamples:\n  $ medallion cost report --from fixtures/cost\n  $ medallion cost report --from fixtures/cost --format csv --output cost.csv',
    )
    .action(async (options: { from: string; format: keyof typeof renderers; output?: string }) => {
      const recording = recordingFromFiles(await readRecordingDir(path.resolve(options.from)));
      const report = buildCostReport(recording, costAdvice(recording));
      const output = path.resolve(options.output ?? `cost-report.${options.format}`);
      await writeFile(output, renderers[options.format](report));
      process.stderr.write(`${green('Wrote')} ${output}\n${renderCostSummary(report)}`);
    });
  cost
    .command('estimate')
    .description(
      'What the local runs would cost on AWS at the prices of cost.prices: Lambda GB-seconds, Step Functions state transitions, SQL statements and Athena bytes scanned, per run and per model, and a month of the configured schedules.',
    )
    .option('--run <id>', 'one run (see `medallion status`)')
    .option('--last <n>', 'the latest n runs that have ended', positiveInt, 10)
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .addHelpText(
      'after',
      `
What it measures, from the run history (audit.runs, audit.run_datasets):
  - Lambda: each dataset step's duration on this machine x the memory of the function that runs it on
    AWS (lambdas/core/tasks.ts), in GB-seconds. Steps without a dataset (the run lock, catalog sync,
    notifications) record no duration and are not priced; nor are Lambda requests (USD 0.20 a million).
  - Step Functions: the state transitions the local interpreter counted (states entered and retries).
  - SQL statements each model sent (on AWS, one Athena query execution each).
  - Athena: bytes scanned where the run history records them (runs on AWS). DuckDB does not measure
    bytes read (its profiler counts rows, and cached blocks read as 0 bytes), so local runs show none.
Durations on a laptop are not Lambda's: treat the figures as an order of magnitude.

Examples:
  $ medallion cost estimate
  $ medallion cost estimate --last 3 --format json
  $ medallion cost estimate --run 0193...`,
    )
    .action(
      async (
        options: { run?: string; last: number; format: 'table' | 'json' },
        command: Command,
      ) => {
        const { project, lakeRoot } = await context(command);
        const lakehouse = await openReadOnly(project, lakeRoot);
        try {
          const runs = await new RunHistory(lakehouse).unitUsage(
            options.run ? { runId: options.run } : { last: options.last },
          );
          if (runs.length === 0)
            throw new PipelineError(
              options.run
                ? `No run ${options.run} in the history (see \`medallion status\`)`
                : 'No run has ended yet: run a pipeline first (medallion run)',
            );
          const schedules = Object.fromEntries(
            Object.entries(project.config.pipelines).flatMap(([job, pipeline]) =>
              pipeline.schedule
                ? [
                    [
                      job,
                      {
                        schedule: pipeline.schedule,
                        runsPerMonth: runsPerMonth(pipeline.schedule),
                      },
                    ],
                  ]
                : [],
            ),
          );
          const estimate = estimateCosts({
            runs,
            schedules,
            prices: project.config.cost.prices,
          });
          process.stdout.write(
            options.format === 'json'
              ? `${JSON.stringify(estimate, null, 2)}\n`
              : `${estimateTables(estimate)}\n`,
          );
        } finally {
          lakehouse.close();
        }
      },
    );
  return cost;
}
