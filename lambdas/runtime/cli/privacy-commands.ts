/**
 * `medallion privacy export|kanon|report`: a dataset written out through its contract's
 * anonymization operators, whether it is k-anonymous over chosen quasi-identifiers, and the
 * privacy impact report. Export and kanon read the local lakehouse; the privacy key
 * (`.secrets/privacy.key`) is read only when a pseudonym is asked for.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { duckdbDialect } from '../../adapters/duckdb/dialect';
import { PrivacyKeyFile } from '../../adapters/local/privacy-key-file';
import { PipelineError } from '../../core/errors';
import {
  equivalenceClassesSql,
  exportPlan,
  kAnonymitySql,
  kAnonymitySummary,
  kAnonymityVerdict,
  needsKey,
  quasiIdentifiers,
  smallestClassesSql,
  unreadableValuesNotes,
  unreadableValuesSql,
  type KAnonymityCounts,
} from '../../core/privacy/k-anonymity';
import { describeOperator } from '../../core/privacy/operators';
import { buildLineageGraph } from '../../core/lineage/graph';
import { privacyImpact } from '../../core/privacy/impact';
import { summarizeRequests } from '../../core/privacy/requests';
import { loadAccessPolicy } from '../../definitions/source-files';
import { projectRoot } from '../../definitions/project-root';
import { readRequestLog } from '../dsr';
import { renderPrivacyReportHtml } from '../reports/privacy-html';
import { scanLake } from './pii-commands';
import { context, openReadOnly } from './context';
import { datasetContract } from './dq-commands';
import { bold, dim, formatRows, green, red, yellow } from './output';

/** Smallest classes `kanon` lists: the ones worth generalizing further. */
const shownClasses = 10;

const formats = { '.csv': 'csv, header', '.jsonl': 'json', '.parquet': 'parquet' } as const;

const atLeastTwo = (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 2)
    throw new InvalidArgumentError('expected an integer of at least 2 (k = 1 hides nobody)');
  return n;
};
const columnList = (value: string) =>
  value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');

export function privacyCommand(): Command {
  const privacy = new Command('privacy').description(
    'Anonymized exports, k-anonymity (from the anonymize operators contracts declare per column), and the privacy impact report.',
  );

  privacy
    .command('export')
    .description(
      'Writes a silver or gold dataset with each column through its contract’s anonymize operator (pseudonym, hash, mask, redact, generalize); pii columns without one are left out, never written in clear.',
    )
    .argument('<dataset>', 'a silver or gold contract id, e.g. gold.customer_360')
    .option(
      '--out <file>',
      'the file to write: .csv, .jsonl or .parquet (default: <dataset>.csv in the current folder)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion privacy export gold.customer_360\n  $ medallion privacy export gold.customer_360 --out exports/customers.parquet',
    )
    .action(async (dataset: string, options: { out?: string }, command: Command) => {
      const { project, lakeRoot } = await context(command);
      const contract = datasetContract(project, dataset);
      const out = path.resolve(options.out ?? `${dataset}.csv`);
      const extension = path.extname(out) as keyof typeof formats;
      if (!(extension in formats))
        throw new PipelineError(
          `--out ${options.out}: write .csv, .jsonl or .parquet (${Object.keys(formats).join(', ')})`,
        );
      const operators = contract.properties.map((p) => p.anonymize);
      const key = needsKey(operators)
        ? await PrivacyKeyFile.ofProject(project.root).key()
        : undefined;
      const relation = duckdbDialect.relation(contract.relation);
      const plan = exportPlan(contract, relation, duckdbDialect, key);
      const lakehouse = await openReadOnly(project, lakeRoot);
      try {
        const [counted] = await lakehouse.query<{ n: number }>(
          `select count(*) as n from ${relation}`,
        );
        mkdirSync(path.dirname(out), { recursive: true });
        const written = await lakehouse.execute(
          `copy (${plan.select}) to ${duckdbDialect.string(out)} (format ${formats[extension]})`,
        );
        if (written !== counted!.n)
          throw new PipelineError(
            `${dataset}: ${counted!.n} rows read but ${written} written to ${out}`,
          );
        for (const c of plan.columns)
          process.stderr.write(
            `  ${c.name.padEnd(24)} ${c.operator ? describeOperator(c.operator) : dim('clear')}\n`,
          );
        const unreadable = unreadableValuesSql(relation, plan.columns, duckdbDialect);
        if (unreadable) {
          const [counts] = await lakehouse.query(unreadable);
          for (const note of unreadableValuesNotes(counts!))
            process.stderr.write(`${yellow('!')} ${note}\n`);
        }
        for (const name of plan.leftOut)
          process.stderr.write(
            `  ${name.padEnd(24)} ${yellow('left out')} ${dim('(pii with no anonymize operator in its contract)')}\n`,
          );
        process.stderr.write(
          `${green('✓')} ${written} rows of ${dataset} (${written} read) written to ${out}\n`,
        );
      } finally {
        lakehouse.close();
      }
    });

  privacy
    .command('kanon')
    .description(
      'k-anonymity of a dataset over quasi-identifiers, each as its contract’s anonymize operator makes it (a date generalized to its year counts as its year): equivalence classes, the smallest, and the classes and rows below k. Exits 1 when k is not met.',
    )
    .argument('<dataset>', 'a silver or gold contract id, e.g. gold.customer_360')
    .requiredOption(
      '--quasi <columns>',
      'comma-separated quasi-identifiers, e.g. country_code,segment,first_order_date',
      columnList,
    )
    .requiredOption('--k <k>', 'the smallest class size to accept', atLeastTwo)
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ medallion privacy kanon gold.customer_360 --quasi country_code,segment,first_order_date --k 5',
    )
    .action(
      async (
        dataset: string,
        options: { quasi: string[]; k: number; format: 'table' | 'json' },
        command: Command,
      ) => {
        const { project, lakeRoot } = await context(command);
        const contract = datasetContract(project, dataset);
        const quasi = quasiIdentifiers(contract, options.quasi);
        const key = needsKey(quasi.map((q) => q.operator))
          ? await PrivacyKeyFile.ofProject(project.root).key()
          : undefined;
        const classes = equivalenceClassesSql(
          duckdbDialect.relation(contract.relation),
          quasi,
          duckdbDialect,
          key,
        );
        const lakehouse = await openReadOnly(project, lakeRoot);
        try {
          const [counts] = await lakehouse.query<KAnonymityCounts & Record<string, unknown>>(
            kAnonymitySql(classes, options.k),
          );
          const verdict = kAnonymityVerdict(counts!, options.k, quasi);
          const smallest = (
            await lakehouse.query(smallestClassesSql(classes, quasi, duckdbDialect, shownClasses))
          ).map(({ _size, ...values }) => ({ ...values, rows: _size }));
          if (options.format === 'json') {
            process.stdout.write(
              `${JSON.stringify({ dataset, ...verdict, smallestClasses: smallest }, null, 2)}\n`,
            );
          } else {
            const generalized = quasi
              .filter((q) => q.operator)
              .map((q) => `${q.column} as ${describeOperator(q.operator!)}`);
            process.stdout.write(
              [
                `${bold(dataset)}  ${dim(`k = ${verdict.k}`)}${generalized.length > 0 ? `  ${dim(`(${generalized.join('; ')})`)}` : ''}`,
                `  rows               ${verdict.rows}`,
                `  classes            ${verdict.classes}`,
                `  smallest class     ${verdict.smallestClass ?? '-'}`,
                `  classes below k    ${verdict.classesBelowK}`,
                `  rows below k       ${verdict.rowsBelowK}`,
                '',
                smallest.length > 0
                  ? `${dim(`smallest classes (up to ${shownClasses}):`)}\n${formatRows(smallest, 'table')}\n`
                  : '',
              ].join('\n'),
            );
          }
          const unreadable = unreadableValuesSql(
            duckdbDialect.relation(contract.relation),
            quasi.map((q) => ({ name: q.column, ...(q.operator ? { operator: q.operator } : {}) })),
            duckdbDialect,
          );
          if (unreadable) {
            const [counts] = await lakehouse.query(unreadable);
            for (const note of unreadableValuesNotes(counts!))
              process.stderr.write(`${yellow('!')} ${note} (they form the NULL class)\n`);
          }
          const summary = kAnonymitySummary(dataset, verdict);
          process.stderr.write(`${verdict.satisfied ? green('✓') : red('✗')} ${summary}\n`);
          if (!verdict.satisfied) process.exitCode = 1;
        } finally {
          lakehouse.close();
        }
      },
    );

  privacy
    .command('report')
    .description(
      'The privacy impact report: personal columns by contract, where they flow, who can read them, retention, data subject requests, and scanner findings that contradict contracts.',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['html', 'json']).default('html'),
    )
    .option('--output <file>', 'where to write it (default: privacy-report.<format>)')
    .option('--no-scan', 'leave out the PII scan of the lake (the slow part)')
    .addHelpText(
      'after',
      '\nThe HTML page works offline (inline styles and picture, no script).\n\nExamples:\n  $ medallion privacy report\n  $ medallion privacy report --format json --output privacy.json --no-scan',
    )
    .action(
      async (
        options: { format: 'html' | 'json'; output?: string; scan: boolean },
        command: Command,
      ) => {
        const { project, lakeRoot, env } = await context(command);
        const now = new Date();
        const lake = existsSync(lakeRoot);
        const scan = options.scan && lake;
        if (scan) process.stderr.write(dim('Scanning the lake for PII…\n'));
        const scanned = scan
          ? await scanLake(project, lakeRoot, undefined, {
              limit: 10_000,
              referenceYear: now.getUTCFullYear(),
            })
          : [];
        const requests = lake
          ? summarizeRequests(await readRequestLog(lakeRoot), now.toISOString().slice(0, 10))
          : [];
        const policy = await loadAccessPolicy(projectRoot, env);
        const report = privacyImpact({
          config: project.config,
          contracts: project.contracts,
          graph: buildLineageGraph(project),
          ...(policy ? { policy } : {}),
          requests: requests.map((r) => ({
            id: r.requestId,
            kind: r.kind,
            received: r.received,
            deadline: r.deadline,
            status: r.status,
            overdue: r.overdue,
          })),
          findings: scanned.flatMap((s) =>
            s.mismatches.map((m) => ({
              dataset: m.dataset,
              column: m.column,
              found: m.entity,
              declared: m.declared ?? 'unclassified',
            })),
          ),
          now,
        });
        const text =
          options.format === 'html'
            ? renderPrivacyReportHtml(report)
            : `${JSON.stringify(report, null, 2)}\n`;
        const output = path.resolve(options.output ?? `privacy-report.${options.format}`);
        await writeFile(output, text);
        const { summary } = report;
        process.stderr.write(
          `${green('Wrote')} ${output}: ${summary.datasets} datasets with personal data (${summary.piiColumns} pii, ${summary.confidentialColumns} confidential columns), ${summary.openRequests} open request(s)${summary.overdueRequests > 0 ? `, ${red(`${summary.overdueRequests} overdue`)}` : ''}, ${scan ? `${report.findings.length} scanner finding(s) against contracts` : 'no scan'}\n`,
        );
      },
    );

  return privacy;
}
