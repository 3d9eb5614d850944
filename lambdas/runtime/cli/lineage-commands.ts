/**
 * `medallion lineage upstream|downstream|impact`: where a dataset or column comes from, where it
 * goes, and what a change to it would touch, from the lineage the definitions imply (source
 * configuration, contracts and the models' SQL). `lineage run` and `lineage events` read the
 * OpenLineage events runs stored.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  buildLineageGraph,
  type Layer,
  type LineageAnswer,
  type LineageGraph,
} from '../../core/lineage/graph';
import { lineageMermaid, lineageText } from '../../core/lineage/render';
import { PipelineError } from '../../core/errors';
import { LineageLog } from '../../core/lineage/log';
import { checkRunEvents, runUuid } from '../../core/lineage/openlineage';
import { summarizeRun } from '../../core/lineage/summary';
import { FsObjectStore } from '../../adapters/local/object-store';
import { lineageAnswerPage } from '../../core/docs/lineage-page';
import { context } from './context';
import { formatRows, green, yellow, type OutputFormat } from './output';

type GraphFormat = 'text' | 'json' | 'mermaid' | 'html';

export function lineageCommand(): Command {
  const lineage = new Command('lineage').description(
    'Lineage: where a dataset or column comes from, where it goes, what a change would touch.',
  );
  for (const direction of ['upstream', 'downstream'] as const) {
    lineage
      .command(direction)
      .description(
        direction === 'upstream'
          ? 'Everything a dataset (or one column) is computed from, back to the source systems.'
          : 'Everything computed from a dataset (or one column), down to gold.',
      )
      .argument(
        '<target>',
        'a dataset (gold.fact_orders) or a column (gold.fact_orders.amount_usd)',
      )
      .option('--depth <n>', 'how many hops to follow (default: all)', depthOption)
      .addOption(
        new Option('--format <format>', 'output format')
          .choices(['text', 'json', 'mermaid', 'html'])
          .default('text'),
      )
      .option('--output <file>', 'write to this file instead of stdout')
      .addHelpText(
        'after',
        direction === 'upstream'
          ? '\nExamples:\n  $ medallion lineage upstream gold.fact_orders --format json\n  $ medallion lineage upstream gold.fact_orders.amount_usd --format mermaid'
          : '\nExamples:\n  $ medallion lineage downstream snowflake.customers\n  $ medallion lineage downstream silver.orders --depth 1 --format html --output orders.html',
      )
      .action(
        async (
          target: string,
          options: { depth?: number; format: GraphFormat; output?: string },
          command: Command,
        ) => {
          const graph = await graphOf(command);
          const answer = ask(() => graph[direction](target, options.depth));
          const layer = graph.nodes.get(answer.root.dataset)?.layer ?? 'source';
          await emit(render(answer, layer, options.format), options.output);
        },
      );
  }

  lineage
    .command('impact')
    .description(
      'What a change to a column would touch: every downstream dataset and column, with owners and classifications.',
    )
    .argument('<column>', 'a column, e.g. snowflake.customers.email')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .addHelpText('after', '\nExample:\n  $ medallion lineage impact snowflake.customers.email')
    .action(async (target: string, options: { format: OutputFormat }, command: Command) => {
      const graph = await graphOf(command);
      const impacted = ask(() => graph.impact(target));
      const rows = impacted.map((n) => ({
        dataset: n.dataset,
        column: n.column ?? '(rows)',
        layer: n.layer,
        owner: n.owner ?? '',
        classification: n.classification ?? '',
        hops: n.depth,
        how: n.how.join(', '),
      }));
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify({ column: target, impacted: rows }, null, 2)}\n`);
        return;
      }
      process.stderr.write(
        `${target}: ${rows.length} impacted column(s) or row set(s) in ${new Set(rows.map((r) => r.dataset)).size} dataset(s)\n`,
      );
      if (rows.length > 0) process.stdout.write(`${formatRows(rows, options.format)}\n`);
    });

  lineage
    .command('run')
    .description(
      'What one run did, from its lineage events: each task with its inputs, outputs, row counts and quality checks.',
    )
    .argument('<runId>', 'a pipeline run id (see `medallion status`) or one task run’s id')
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ medallion lineage run 019a7c1e-5d2b-7c3a-9f0e-2b4d6f8a1c3e',
    )
    .action(async (runId: string, options: { format: 'table' | 'json' }, command: Command) => {
      const { project, lakeRoot } = await context(command);
      const id = runUuid(runId);
      const events = await new LineageLog(new FsObjectStore(lakeRoot)).list({ runIds: [id] });
      if (events.length === 0) {
        throw new PipelineError(
          `No lineage events for run ${runId} in ${lakeRoot}: see \`medallion status\` for run ids.`,
        );
      }
      const { config } = project;
      const summary = summarizeRun(events, id, `${config.project}_${config.env}_`);
      // What the OpenLineage schema leaves open: one START and one end per run, in that order.
      const problems = checkRunEvents(events);
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify({ ...summary, problems }, null, 2)}\n`);
        return;
      }
      for (const problem of problems) process.stderr.write(`${yellow('!')} ${problem}\n`);
      const { pipeline, tasks } = summary;
      if (pipeline) {
        process.stderr.write(
          `${pipeline.job} run ${runId}: ${pipeline.status}${pipeline.seconds === undefined ? '' : ` in ${pipeline.seconds.toFixed(1)} s`}, ${tasks.length} task run(s)${pipeline.error ? `\n  ${pipeline.error}` : ''}\n`,
        );
      }
      const rows = tasks.map((t) => ({
        job: t.job,
        status: t.status,
        seconds: t.seconds ?? '',
        inputs: t.inputs.join(', '),
        outputs: t.outputs
          .map((o) => (o.rows === undefined ? o.dataset : `${o.dataset} (${o.rows} rows)`))
          .join(', '),
        checks: t.checks
          ? `${t.checks.total - t.checks.failed.length}/${t.checks.total} passed${t.checks.failed.length > 0 ? `: failed ${t.checks.failed.join(', ')}` : ''}`
          : '',
        error: t.error ?? '',
      }));
      if (rows.length > 0) process.stdout.write(`${formatRows(rows, 'table')}\n`);
    });

  lineage
    .command('events')
    .description(
      'The stored OpenLineage events as JSON, one per line, ready to replay into Marquez or any OpenLineage consumer.',
    )
    .option('--run <id>', 'only this pipeline run (and its tasks) or this task run')
    .option(
      '--since <time>',
      'only events at or after: an ISO time or date, or an age (90m, 24h, 7d)',
      sinceOption,
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['jsonl', 'json']).default('jsonl'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion lineage events --since 24h > events.jsonl\n  $ medallion lineage events --run <runId> | while read -r e; do\n      curl -s -H "Content-Type: application/json" -d "$e" http://localhost:5000/api/v1/lineage; done',
    )
    .action(
      async (
        options: { run?: string; since?: Date; format: 'jsonl' | 'json' },
        command: Command,
      ) => {
        const { lakeRoot } = await context(command);
        const events = await new LineageLog(new FsObjectStore(lakeRoot)).list({
          ...(options.run ? { runIds: [runUuid(options.run)] } : {}),
          ...(options.since ? { since: options.since } : {}),
        });
        process.stdout.write(
          options.format === 'json'
            ? `${JSON.stringify(events, null, 2)}\n`
            : events.map((e) => `${JSON.stringify(e)}\n`).join(''),
        );
        process.stderr.write(`${events.length} event(s)\n`);
      },
    );

  return lineage;
}

/** `2026-01-02`, `2026-01-02T03:00:00Z`, or an age: `90m`, `24h`, `7d`. */
function sinceOption(value: string): Date {
  const age = /^(\d+)([mhd])$/.exec(value);
  if (age) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 'm' | 'h' | 'd'];
    return new Date(Date.now() - Number(age[1]) * unit);
  }
  const time = new Date(value);
  if (Number.isNaN(time.getTime()))
    throw new InvalidArgumentError('expected an ISO time or date, or an age such as 24h or 7d');
  return time;
}

function depthOption(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
}

async function graphOf(command: Command): Promise<LineageGraph> {
  const { project } = await context(command);
  return buildLineageGraph(project);
}

/** A graph question whose target does not exist becomes a plain error message. */
function ask<T>(question: () => T): T {
  try {
    return question();
  } catch (error) {
    throw new PipelineError((error as Error).message);
  }
}

function render(answer: LineageAnswer, layer: Layer, format: GraphFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(answer, null, 2)}\n`;
    case 'mermaid':
      return lineageMermaid(answer);
    case 'html':
      return lineageAnswerPage(answer, layer, new Date());
    case 'text':
      return lineageText(answer);
  }
}

async function emit(text: string, output: string | undefined): Promise<void> {
  if (!output) {
    process.stdout.write(text);
    return;
  }
  await writeFile(output, text);
  process.stderr.write(`${green('Wrote')} ${path.resolve(output)}\n`);
}
