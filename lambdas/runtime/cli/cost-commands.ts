/**
 * `medallion cost report --from <dir>`: the weekly cost report the cost report Lambda writes,
 * rendered by the same code from a directory of recorded Cost Explorer responses and run
 * history (the Lambda stores its recording beside each report; `fixtures/cost/` is a sample), so
 * a report can be seen, reproduced and checked without AWS.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { PipelineError } from '../../core/errors';
import { costAdvice } from '../../core/cost/advice';
import { recordingFromFiles } from '../../core/cost/recording';
import { buildCostReport } from '../../core/cost/report';
import {
  renderCostCsv,
  renderCostHtml,
  renderCostJson,
  renderCostSummary,
} from '../../core/cost/render';
import { green } from './output';

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
      'directory of recorded responses: report.json, cost-and-usage.*.json, forecast.json, anomalies.*.json, runs.json, lambda-usage.json, optimization-hub.*.json',
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
  return cost;
}
