/**
 * `medallion dq report|profile|suggest`: the quality evidence of a run, a dataset's profile as
 * it is now, and rules proposed from that profile.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { Project } from '../../definitions/project-files';
import type { Contract } from '../../core/contracts/contract';
import type { Classification } from '../../core/contracts/schema';
import { profileDataset, type DatasetProfile } from '../../core/dq/profile';
import { buildQualityReport, notPassedRows, type QualityReport } from '../../core/dq/report';
import { QualityStore } from '../../core/dq/store';
import { suggestRules } from '../../core/dq/suggest';
import { PipelineError } from '../../core/errors';
import { renderQualityReportHtml } from '../reports/quality-html';
import { context, openReadOnly } from './context';
import { bold, dim, formatRows, green, type OutputFormat } from './output';

export function dqCommand(): Command {
  const dq = new Command('dq').description(
    'Data quality: the report of a run, a dataset’s profile, rules suggested from it.',
  );

  dq.command('report')
    .description(
      'Per-dataset scores, their trend over recent runs, failing checks with samples, and column profiles.',
    )
    .option('--run <id>', 'the run to report (default: the latest run with quality evidence)')
    .addOption(
      new Option(
        '--format <format>',
        'table (a summary), json (stable, for tools) or html (offline page)',
      )
        .choices(['table', 'json', 'html'])
        .default('table'),
    )
    .option('--output <file>', 'write the report to this file instead of stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion dq report\n  $ medallion dq report --format html --output dq.html\n  $ medallion dq report --run 0193... --format json',
    )
    .action(
      async (
        options: { run?: string; format: 'table' | 'json' | 'html'; output?: string },
        command: Command,
      ) => {
        const { project, lakeRoot } = await context(command);
        const lakehouse = await openReadOnly(project, lakeRoot);
        try {
          const report = await buildQualityReport(
            new QualityStore(lakehouse),
            (dataset, column) => classificationOf(project, dataset, column),
            { runId: options.run },
          );
          if (!report) {
            throw new PipelineError(
              options.run
                ? `Run ${options.run} has no quality evidence (see \`medallion status\`)`
                : 'No run has quality evidence yet: run a pipeline first (npm run pipeline)',
            );
          }
          const text =
            options.format === 'html'
              ? renderQualityReportHtml(report, new Date())
              : options.format === 'json'
                ? `${JSON.stringify(report, null, 2)}\n`
                : `${formatRows(
                    report.datasets.map((d) => ({
                      dataset: d.dataset,
                      score: d.score.toFixed(1),
                      trend: d.trend.map((t) => t.score.toFixed(0)).join(' → '),
                      rows: d.rows,
                      checks: d.checks,
                      'failed errors': d.failedErrors,
                      'failed warnings': d.failedWarnings,
                    })),
                    'table',
                  )}\n${failingChecksTable(report)}`;
          if (options.output) {
            await writeFile(options.output, text);
            process.stderr.write(
              `${green('Wrote')} the ${options.format} report of run ${report.runId} (${report.runDate}) to ${path.resolve(options.output)}\n`,
            );
          } else {
            if (options.format === 'table')
              process.stderr.write(
                `${bold('Data quality')} ${dim(`run ${report.runId} for ${report.runDate}`)}\n`,
              );
            process.stdout.write(text);
          }
        } finally {
          lakehouse.close();
        }
      },
    );

  dq.command('profile')
    .description(
      'Profile a dataset as it is now: nulls, distinct values, min/max, mean, quartiles, lengths, top values.',
    )
    .argument('<dataset>', 'a silver or gold dataset, e.g. silver.orders')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .addHelpText('after', '\nExample:\n  $ medallion dq profile silver.customers')
    .action(async (dataset: string, options: { format: OutputFormat }, command: Command) => {
      const { project, lakeRoot } = await context(command);
      const profile = await currentProfile(project, lakeRoot, datasetContract(project, dataset));
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify(profile, null, 2)}\n`);
        return;
      }
      process.stderr.write(
        `${bold(dataset)} ${dim(`${profile.rows.toLocaleString('en-US')} rows`)}\n`,
      );
      process.stdout.write(
        `${formatRows(
          profile.columns.map((c) => ({
            column: c.column,
            type: c.type,
            'null %': c.nullPercent,
            distinct: c.distinctCount,
            min: c.min,
            max: c.max,
            mean: c.mean === null ? null : Number(c.mean.toFixed(3)),
            median: c.median,
            length: c.minLength === null ? null : `${c.minLength}–${c.maxLength}`,
            'top values': c.topValues
              .slice(0, 5)
              .map((t) => `${t.value ?? 'NULL'} (${t.count})`)
              .join(', '),
          })),
          options.format,
        )}\n`,
      );
    });

  dq.command('suggest')
    .description(
      'Propose quality rules from a dataset’s profile, printed as contract YAML to paste into its contract.',
    )
    .argument('<dataset>', 'a silver or gold dataset, e.g. silver.customers')
    .addHelpText('after', '\nExample:\n  $ medallion dq suggest silver.customers')
    .action(async (dataset: string, _options: unknown, command: Command) => {
      const { project, lakeRoot } = await context(command);
      const contract = datasetContract(project, dataset);
      const suggestions = suggestRules(contract, await currentProfile(project, lakeRoot, contract));
      if (suggestions.length === 0) {
        process.stderr.write(
          `${green('Nothing to suggest')}: ${contract.file} already covers what the profile shows.\n`,
        );
        return;
      }
      const columns = suggestions.filter((s) => s.column !== undefined);
      const datasetLevel = suggestions.filter((s) => s.column === undefined);
      process.stderr.write(
        `${bold(`${suggestions.length} suggestion(s)`)} for ${contract.file} ${dim('(review them: a profile shows what the data is, not what it must be)')}\n`,
      );
      const lines: string[] = [];
      if (columns.length > 0) {
        lines.push('# Merge into schema[0].properties:');
        for (const s of columns) {
          lines.push(`# ${s.column}: ${s.because}`);
          lines.push(stringify([{ name: s.column, ...s.add }]).trimEnd());
        }
      }
      if (datasetLevel.length > 0) {
        lines.push('# Add to schema[0]:');
        for (const s of datasetLevel) {
          lines.push(`# ${s.because}`);
          lines.push(stringify(s.add).trimEnd());
        }
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  return dq;
}

/** A column's classification; one no contract declares any more is treated as pii, as what it held is unknown. */
function classificationOf(project: Project, dataset: string, column: string): Classification {
  const contract = project.contracts.all().find((c) => c.id === dataset);
  return contract?.column(column)?.classification ?? 'pii';
}

/** What the report's help promises beneath the scores: each check that did not pass, with samples. */
function failingChecksTable(report: QualityReport): string {
  const rows = notPassedRows(report);
  return rows.length === 0
    ? `${green('Every check passed.')}\n`
    : `\n${bold('Checks that did not pass')}\n${formatRows(rows, 'table')}\n`;
}

/** A silver or gold dataset's contract, or an error listing them. */
/** A silver or gold dataset's contract; an unknown one is an error listing them. */
export function datasetContract(project: Project, dataset: string): Contract {
  const checked = project.contracts.all().filter((c) => c.layer === 'silver' || c.layer === 'gold');
  const contract = checked.find((c) => c.id === dataset);
  if (!contract) {
    throw new PipelineError(
      `No silver or gold dataset ${dataset} (datasets: ${checked.map((c) => c.id).join(', ')})`,
    );
  }
  return contract;
}

async function currentProfile(
  project: Project,
  lakeRoot: string,
  contract: Contract,
): Promise<DatasetProfile> {
  const lakehouse = await openReadOnly(project, lakeRoot);
  try {
    if (!(await lakehouse.relationExists(contract.relation)))
      throw new PipelineError(
        `${contract.relation} has not been built yet: run a pipeline first (npm run pipeline)`,
      );
    return await profileDataset(lakehouse, contract);
  } finally {
    lakehouse.close();
  }
}
