/** `medallion report runs`: the recent runs with charts, read from the lake's run history. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { RunHistory } from '../../core/runs';
import {
  buildRunsReport,
  renderRunsCsv,
  renderRunsHtml,
  renderRunsJson,
  type RunsReport,
} from '../../core/runs-report';
import { context, openReadOnly } from './context';
import { green } from './output';

const renderers: Record<'html' | 'json' | 'csv', (report: RunsReport) => string> = {
  html: renderRunsHtml,
  json: renderRunsJson,
  csv: renderRunsCsv,
};

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export function reportCommand(): Command {
  const report = new Command('report').description(
    'Reports on the lake for people: the recent runs with charts.',
  );
  report
    .command('runs')
    .description(
      'Recent runs: duration per pipeline, rows per layer, quarantine and quality score per dataset, freshness per gold table, and the runs.',
    )
    .option('--limit <n>', 'how many of the latest runs', positiveInt, 30)
    .addOption(
      new Option(
        '--format <format>',
        'html (offline page with charts), json (every figure) or csv (one row per run)',
      )
        .choices(Object.keys(renderers))
        .default('html'),
    )
    .option('--output <file>', 'write the report to this file instead of stdout')
    .addHelpText(
      'after',
      '\nThe figures the CloudWatch dashboard shows on AWS, from the run history (audit.runs,\naudit.run_datasets, audit.dq_scores). The HTML page works offline: inline styles and SVG, no script.\n\nExamples:\n  $ medallion report runs --output runs.html\n  $ medallion report runs --limit 10 --format csv > runs.csv\n  $ medallion report runs --format json',
    )
    .action(
      async (
        options: { limit: number; format: keyof typeof renderers; output?: string },
        command: Command,
      ) => {
        const { project, lakeRoot } = await context(command);
        const lakehouse = await openReadOnly(project, lakeRoot);
        let text: string;
        try {
          const history = await new RunHistory(lakehouse).reportHistory(options.limit);
          text = renderers[options.format](buildRunsReport(history, new Date()));
        } finally {
          lakehouse.close();
        }
        if (options.output === undefined) {
          process.stdout.write(text);
          return;
        }
        const output = path.resolve(options.output);
        await writeFile(output, text);
        process.stderr.write(`${green('Wrote')} ${output}\n`);
      },
    );
  return report;
}
