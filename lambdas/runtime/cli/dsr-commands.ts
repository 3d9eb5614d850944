/**
 * `medallion dsr export|erase|status`: data subject requests. Export gives every row about a
 * person across the layers with where it came from; erase deletes them everywhere and proves it by
 * a verification scan; status shows each request against its legal deadline.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PrivacyKeyFile } from '../../adapters/local/privacy-key-file';
import { PipelineError } from '../../core/errors';
import { identifiersJson, parseSubject, subjectKindsByColumn } from '../../core/privacy/subjects';
import { regimes, summarizeRequests, type Regime } from '../../core/privacy/requests';
import { parseIsoDate } from '../generator/calendar';
import { acquireLakeLock } from '../lake-lock';
import {
  eraseSubject,
  exportSubject,
  readRequestLog,
  readRequestLogAt,
  replayErasures,
  type DsrLake,
  type EraseResult,
} from '../dsr';
import { context } from './context';
import { bold, count, dim, formatRows, green, red, yellow } from './output';

interface RequestCommandOptions {
  subject: string;
  requestId?: string;
  received?: string;
  regime: Regime;
}

const isoDate = (value: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || parseIsoDate(value) === undefined)
    throw new InvalidArgumentError('expected a calendar day as YYYY-MM-DD');
  return value;
};

const subjectHelp =
  'the person: an email, a customer id, or kind=value for another declared kind (order_id=42)';

function requestOptions(command: Command): Command {
  return command
    .requiredOption('--subject <identifier>', subjectHelp)
    .option(
      '--request-id <id>',
      'the request (default: derived from kind, subject and received date)',
    )
    .option('--received <YYYY-MM-DD>', 'when the request was received (default: today)', isoDate)
    .addOption(
      new Option('--regime <regime>', 'the law whose deadline applies')
        .choices(regimes)
        .default('gdpr'),
    );
}

/** The lake with the privacy key, logging progress to stderr. */
async function openLake(command: Command): Promise<DsrLake> {
  const { project, lakeRoot } = await context(command);
  const key = await new PrivacyKeyFile(path.join(project.root, '.secrets', 'privacy.key')).key();
  return { project, lakeRoot, key, log: (line) => process.stderr.write(`${dim(line)}\n`) };
}

async function openRequest(
  command: Command,
  options: RequestCommandOptions,
): Promise<{ lake: DsrLake; request: Parameters<typeof exportSubject>[1] }> {
  const lake = await openLake(command);
  const kinds = new Set(subjectKindsByColumn(lake.project.contracts).values());
  const subject = parseSubject(options.subject, kinds);
  const now = () => new Date();
  return {
    lake,
    request: {
      subject,
      received: options.received ?? now().toISOString().slice(0, 10),
      regime: options.regime,
      now,
      ...(options.requestId ? { requestId: options.requestId } : {}),
    },
  };
}

export function dsrCommand(): Command {
  const dsr = new Command('dsr').description(
    'Data subject requests: export or erase everything the lake holds about one person, and track deadlines.',
  );

  requestOptions(
    dsr
      .command('export')
      .description(
        "Every row about a person in bronze, silver, gold, quarantine, change feeds and DQ samples, with each row's layer, table, file and run.",
      ),
  )
    .addOption(
      new Option('--format <format>', 'output format').choices(['json', 'csv']).default('json'),
    )
    .option(
      '--out <dir>',
      'write the export into this folder (csv: one file per table; required for csv)',
    )
    .addHelpText(
      'after',
      '\nThe person is found by the columns contracts mark with the custom property `subject`,\nand by every identifier linked to them (an email brings its customer_id, which brings its\norders).\n\nExamples:\n  $ medallion dsr export --subject ann@example.com --out exports/\n  $ medallion dsr export --subject 21 --format csv --out exports/',
    )
    .action(
      async (
        options: RequestCommandOptions & { format: 'json' | 'csv'; out?: string },
        command: Command,
      ) => {
        if (options.format === 'csv' && !options.out)
          throw new PipelineError('--format csv writes one file per table: give --out <dir>');
        const { lake, request } = await openRequest(command, options);
        const result = await exportSubject(lake, request);
        const document = {
          requestId: result.requestId,
          received: request.received,
          regime: request.regime,
          generatedAt: request.now().toISOString(),
          identifiers: identifiersJson(result.identifiers),
          tables: result.found,
        };
        const rows = result.found.reduce((n, f) => n + f.rows.length, 0);
        if (!options.out) process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
        else {
          const folder = path.resolve(options.out, result.requestId);
          await mkdir(folder, { recursive: true });
          if (options.format === 'json')
            await writeFile(
              path.join(folder, 'export.json'),
              `${JSON.stringify(document, null, 2)}\n`,
            );
          else
            for (const found of result.found) {
              const name = (found.file ?? found.table).replace(/[^a-zA-Z0-9_.=-]+/g, '_');
              const rowsWithSource = found.rows.map((r) => ({
                _layer: found.layer,
                _table: found.table,
                _file: found.file ?? '',
                _upstream: (found.upstream ?? []).join(' '),
                ...r,
              }));
              await writeFile(
                path.join(folder, `${name}.csv`),
                `${formatRows(rowsWithSource, 'csv')}\n`,
              );
            }
          process.stderr.write(`wrote ${folder}\n`);
        }
        for (const found of result.found)
          process.stderr.write(`  ${found.file ?? found.table}  ${count(found.rows.length)}\n`);
        process.stderr.write(
          `${green('✓')} ${count(rows)} row(s) about the subject in ${result.found.length} table(s) and file(s) (request ${result.requestId})\n`,
        );
      },
    );

  requestOptions(
    dsr
      .command('erase')
      .description(
        'Delete everything about a person in every layer, rewrite bronze files and the lakehouse file, and prove zero residue.',
      ),
  )
    .option('--dry-run', 'show what would be erased, change nothing')
    .addHelpText(
      'after',
      '\nBronze files are rewritten first, then the lakehouse tables change in one transaction, then the\nlakehouse file is rewritten so no deleted bytes remain; a verification scan of every table and\nfile must find zero matches, else the command fails. Running it again resumes a crashed erase\nand is otherwise a no-op. The request log (audit/privacy/requests.jsonl) records it, the subject\nonly as a keyed hash.\n\nExamples:\n  $ medallion dsr erase --subject ann@example.com --dry-run\n  $ medallion dsr erase --subject ann@example.com --request-id DSR-2026-014 --received 2026-01-10',
    )
    .action(async (options: RequestCommandOptions & { dryRun?: boolean }, command: Command) => {
      const { lake, request } = await openRequest(command, options);
      const lock = options.dryRun ? undefined : await acquireLakeLock(lake.lakeRoot, 'dsr-erase');
      try {
        printErase(await eraseSubject(lake, { ...request, dryRun: options.dryRun === true }));
      } finally {
        await lock?.release();
      }
    });

  dsr
    .command('replay')
    .description(
      'Erase again everyone the request log says was erased, found by the keyed hashes of their identifiers: after a restore from backup.',
    )
    .option(
      '--log <file|folder>',
      "the request log to replay (default: the lake's; after a restore, the copy kept aside, or a folder holding a copy of the AWS log)",
    )
    .addHelpText(
      'after',
      '\nA backup older than an erasure brings the person back, and its own request log does not know\nthe erasure: keep audit/privacy/requests.jsonl aside, restore, then replay it. Each request is\nerased and verified again as `dsr erase` does, and logged in the lake under its own id.\n\nExample:\n  $ medallion dsr replay --log /safe/requests.jsonl',
    )
    .action(async (options: { log?: string }, command: Command) => {
      const lake = await openLake(command);
      const log = options.log
        ? await readRequestLogAt(options.log)
        : await readRequestLog(lake.lakeRoot);
      const lock = await acquireLakeLock(lake.lakeRoot, 'dsr-replay');
      try {
        const results = await replayErasures(lake, log, () => new Date());
        for (const result of results) printErase(result);
        if (results.length === 0) process.stderr.write('no erasures in the log\n');
      } finally {
        await lock.release();
      }
    });

  dsr
    .command('status')
    .description(
      'Each request with its received date, kind, status and deadline; overdue ones flagged.',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .option(
      '--log <file|folder>',
      "the request log to read (default: the lake's): a copy of a local log, or a folder holding a copy of the AWS one",
    )
    .addHelpText(
      'after',
      '\nDeadlines: GDPR one month from receipt, CCPA 45 days (--regime when the request is made).\nThe AWS log is one object per entry under privacy/requests/ in the audit bucket: copy it with\naws s3 sync and pass the folder.\n\nExamples:\n  $ medallion dsr status\n  $ aws s3 sync s3://<audit bucket>/privacy/requests/ aws-requests/\n  $ medallion dsr status --log aws-requests/',
    )
    .action(async (options: { format: 'table' | 'json'; log?: string }, command: Command) => {
      const today = new Date().toISOString().slice(0, 10);
      const log = options.log
        ? await readRequestLogAt(options.log)
        : await readRequestLog((await context(command)).lakeRoot);
      const requests = summarizeRequests(log, today);
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify(requests, null, 2)}\n`);
        return;
      }
      const rows = requests.map((r) => ({
        request: r.requestId,
        kind: r.kind,
        received: r.received,
        regime: r.regime,
        deadline: r.deadline,
        status: r.status,
        rows: r.rows,
        overdue: r.overdue ? (r.status === 'completed' ? yellow('late') : red('OVERDUE')) : '',
      }));
      process.stdout.write(`${formatRows(rows, 'table')}\n`);
    });

  return dsr;
}

/** What an erase removed, and the verification scan's evidence; a non-zero exit on residue. */
function printErase(result: EraseResult): void {
  const erased = Object.entries(result.erased);
  process.stdout.write(
    `${bold(result.dryRun ? 'Would erase' : 'Erased')} (request ${result.requestId})\n`,
  );
  for (const [place, n] of erased) process.stdout.write(`  ${place}  ${count(n)}\n`);
  if (erased.length === 0) process.stdout.write(`  ${dim('nothing: no rows about the subject')}\n`);
  if (result.dryRun) return;
  const tables = result.scan.filter((s) => s.kind === 'table').length;
  const data = result.scan.filter((s) => s.kind === 'data file').length;
  const files = result.scan.filter((s) => s.kind === 'file').length;
  process.stdout.write(
    `${bold('Verification')}: searched ${tables} tables, ${data} bronze and landing data files (row by row) and ${files} files (raw bytes, gzip decoded) for ${Object.values(identifiersJson(result.identifiers)).flat().length} identifiers: matches = ${result.residue}\n`,
  );
  for (const s of result.scan.filter((x) => x.matches > 0))
    process.stdout.write(`  ${red('✗')} ${s.place}: ${s.matches} match(es)\n`);
  if (result.residue > 0) {
    process.stderr.write(
      `${red('residue remains')}: the erase is logged as failed; fix the places above and run it again\n`,
    );
    process.exitCode = 1;
  } else process.stderr.write(`${green('✓')} zero residue in any layer\n`);
}
