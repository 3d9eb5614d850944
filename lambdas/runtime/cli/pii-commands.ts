/**
 * `medallion pii scan`: which columns of a dataset, a file or the whole lake hold personal data,
 * judged from a sample of their values, and which contracts classify such a column as less than
 * pii. Values are never printed: the evidence is shares and counts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DuckDbLakehouse } from '../../adapters/duckdb/engine';
import { classifyTables, isInternalRelation } from '../../core/access/tables';
import type { Classification } from '../../../config/access-schema';
import { PipelineError } from '../../core/errors';
import { scanColumns, scanSampleSize } from '../../core/privacy/pii-sampling';
import {
  contractMismatches,
  type ColumnFinding,
  type ContractMismatch,
} from '../../core/privacy/pii-scan';
import type { Project } from '../../definitions/project-files';
import { context, openReadOnly } from './context';
import { bold, count, dim, formatRows, green, red } from './output';

/** Exit code when a contract classifies a column weaker than the data it holds. */
export const contractWeakerExitCode = 3;

/** One table or file scanned: its findings and what its contract says of them. */
export interface ScannedSource {
  /** `silver.customers`, or the file's path. */
  readonly source: string;
  readonly contract?: string;
  readonly findings: readonly (ColumnFinding & { readonly classification?: Classification })[];
  readonly mismatches: readonly ContractMismatch[];
}

const fileReaders: Record<string, (file: string) => string> = {
  '.csv': (f) => `read_csv(${quoted(f)}, header = true, all_varchar = true)`,
  '.jsonl': (f) => `read_json(${quoted(f)}, format = 'newline_delimited')`,
  '.ndjson': (f) => `read_json(${quoted(f)}, format = 'newline_delimited')`,
  '.parquet': (f) => `read_parquet(${quoted(f)})`,
};

function quoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const sampleSize = (value: string) => {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export function piiCommand(): Command {
  const pii = new Command('pii').description(
    'Personal data: find the columns that hold it, whatever they are called or classified.',
  );

  pii
    .command('scan')
    .description(
      'Scan a dataset, a file or the whole lake for PII (e-mails, phones, names, addresses, birth dates, IPs, cards, IBANs, SSNs, NINOs, passports, free text holding any) and quasi-identifiers; flag contracts that classify such a column weaker than pii.',
    )
    .argument(
      '[target]',
      'a dataset (contract id or relation, e.g. silver.customers, quarantine.orders) or a file (.csv, .jsonl, .ndjson, .parquet)',
    )
    .option('--all', 'scan every table of every layer of the lake')
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .option(
      '--sample <n>',
      `non-null values read per column (a deterministic sample)`,
      sampleSize,
      scanSampleSize,
    )
    .addHelpText(
      'after',
      `
A column is PII when at least half of its sampled values validate as one entity (Luhn for cards,
mod-97 for IBANs, SSA ranges for SSNs, libphonenumber for phones): its name does not make it PII,
and an opaque name does not hide it. Names only support evidence values cannot give alone (a date
is a birth date in a column called dob). Postal codes, birth years and gender are reported as
quasi-identifiers. Values are never printed.

Exit codes:
  0  every contract classifies its PII columns as pii
  1  the scan could not run (no lake, unreadable file, unknown dataset)
  2  usage error
  ${contractWeakerExitCode}  a contract leaves a column holding PII unclassified, undeclared or weaker than pii

Examples:
  $ medallion pii scan silver.customers
  $ medallion pii scan exports/contacts.csv --format json
  $ medallion pii scan --all`,
    )
    .action(
      async (
        target: string | undefined,
        options: { all?: boolean; format: 'table' | 'json'; sample: number },
        command: Command,
      ) => {
        if (Boolean(target) === Boolean(options.all))
          command.error('error: give a dataset or file to scan, or --all (not both)');
        const { project, lakeRoot } = await context(command);
        const scanOptions = { limit: options.sample, referenceYear: new Date().getUTCFullYear() };
        const scanned =
          target && fileReaders[path.extname(target).toLowerCase()]
            ? [await scanFile(project, target, scanOptions)]
            : await scanLake(project, lakeRoot, target, scanOptions);
        const mismatches = scanned.flatMap((s) => s.mismatches);
        if (options.format === 'json')
          process.stdout.write(`${JSON.stringify({ sources: scanned, mismatches }, null, 2)}\n`);
        else process.stdout.write(`${renderTable(scanned)}\n`);
        process.stderr.write(`${summary(scanned)}\n`);
        if (mismatches.length > 0) process.exitCode = contractWeakerExitCode;
      },
    );

  return pii;
}

export type ScanSettings = { limit: number; referenceYear: number };

async function scanFile(
  project: Project,
  file: string,
  options: ScanSettings,
): Promise<ScannedSource> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new PipelineError(`No file ${absolute} to scan`);
  const from = fileReaders[path.extname(file).toLowerCase()]!(absolute);
  const root = mkdtempSync(path.join(os.tmpdir(), 'medallion-pii-'));
  const { engine } = project.config;
  const lakehouse = await DuckDbLakehouse.open({
    lakeRoot: root,
    threads: engine.threads,
    memoryLimit: engine.memoryLimit,
    bronze: [],
  });
  try {
    const columns = await lakehouse.describe(`select * from ${from}`).catch((error: unknown) => {
      throw new PipelineError(`Cannot read ${absolute}: ${(error as Error).message}`, {
        cause: error,
      });
    });
    return {
      source: file,
      findings: await scanColumns(lakehouse, from, columns, options),
      mismatches: [],
    };
  } finally {
    lakehouse.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** One relation of the lake (`target`), or every table of every layer. */
export async function scanLake(
  project: Project,
  lakeRoot: string,
  target: string | undefined,
  options: ScanSettings,
): Promise<ScannedSource[]> {
  const lakehouse = await openReadOnly(project, lakeRoot);
  try {
    const listed = (await lakehouse.columns()).filter((t) => !isInternalRelation(t.relation));
    const relation = target
      ? (project.contracts.all().find((c) => c.id === target)?.relation ?? target)
      : undefined;
    const chosen = relation ? listed.filter((t) => t.relation === relation) : listed;
    if (relation && chosen.length === 0)
      throw new PipelineError(
        `No dataset ${target} in the lake at ${lakeRoot} (see \`medallion query "show all tables"\`), and it is not a .csv, .jsonl, .ndjson or .parquet file`,
      );
    const classified = new Map(
      classifyTables(chosen, project.contracts).map((t) => [
        t.relation,
        new Map(t.columns.map((c) => [c.name, c.classification])),
      ]),
    );
    const scanned: ScannedSource[] = [];
    for (const table of chosen) {
      const from = lakehouse.dialect.relation(table.relation);
      const columns = await lakehouse.describe(`select * from ${from}`);
      const findings = await scanColumns(lakehouse, from, columns, options);
      const contract = project.contracts.forRelation(table.relation);
      const classes = classified.get(table.relation);
      scanned.push({
        source: table.relation,
        ...(contract ? { contract: contract.file } : {}),
        findings: findings.map((f) => {
          const classification = classes?.get(f.column);
          return classification ? { ...f, classification } : f;
        }),
        mismatches: contract ? contractMismatches(contract, findings) : [],
      });
    }
    return scanned;
  } finally {
    lakehouse.close();
  }
}

/** PII and quasi-identifier columns, one line each; columns with neither are only counted. */
function renderTable(scanned: readonly ScannedSource[]): string {
  const rows = scanned.flatMap((s) =>
    s.findings
      .filter((f) => f.kind !== 'none')
      .map((f) => {
        const mismatch = s.mismatches.some((m) => m.column === f.column);
        return {
          source: s.source,
          column: f.column,
          kind: f.kind === 'pii' ? 'pii' : 'quasi-id',
          entity: f.entity,
          confidence: f.confidence,
          share: `${(100 * f.evidence.share).toFixed(1)}% of ${count(f.evidence.sampled)}`,
          hint: f.evidence.nameHint ? 'name' : '',
          classified: f.classification ?? '',
          contract: mismatch ? red('weaker') : f.kind === 'pii' ? green('ok') : '',
        };
      }),
  );
  const problems = scanned.flatMap((s) => s.mismatches).map((m) => `${red('✗')} ${m.message}`);
  return [
    rows.length > 0 ? formatRows(rows, 'table') : dim('no PII or quasi-identifier found'),
    ...(problems.length > 0 ? ['', ...problems] : []),
  ].join('\n');
}

function summary(scanned: readonly ScannedSource[]): string {
  const findings = scanned.flatMap((s) => s.findings);
  const pii = findings.filter((f) => f.kind === 'pii').length;
  const quasi = findings.filter((f) => f.kind === 'quasi_identifier').length;
  const mismatches = scanned.flatMap((s) => s.mismatches).length;
  const line = `${bold(`${pii} PII column(s)`)} and ${quasi} quasi-identifier(s) in ${count(findings.length)} column(s) of ${scanned.length} source(s)`;
  if (mismatches > 0)
    return `${line}; ${red(`${mismatches} column(s) classified weaker than their data`)} (exit ${contractWeakerExitCode})`;
  const contracted = scanned.some((s) => s.contract);
  return contracted ? `${line}; ${green('no contract classifies them weaker than pii')}` : line;
}
