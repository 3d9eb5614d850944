/**
 * `medallion lineage upstream|downstream|impact`: where a dataset or column comes from, where it
 * goes, and what a change to it would touch, from the lineage the definitions imply (source
 * configuration, contracts and the models' SQL).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildLineageGraph, type LineageAnswer, type LineageGraph } from '../../core/lineage/graph';
import { lineageMermaid, lineageText } from '../../core/lineage/render';
import { PipelineError } from '../../core/errors';
import { renderLineageHtml } from '../reports/lineage-html';
import { context } from './context';
import { formatRows, green, type OutputFormat } from './output';

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
          await emit(render(answer, options.format), options.output);
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

  return lineage;
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

function render(answer: LineageAnswer, format: GraphFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(answer, null, 2)}\n`;
    case 'mermaid':
      return lineageMermaid(answer);
    case 'html':
      return renderLineageHtml(answer, new Date());
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
