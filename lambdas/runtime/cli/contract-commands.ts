/**
 * `medallion contract diff|check`: what changed between two versions of a contract, and whether
 * the working contracts keep the compatibility promise of the versions before them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import {
  breaksMode,
  checkEvolution,
  diffContracts,
  isTransitive,
  type ContractChange,
} from '../../core/contracts/compatibility';
import { compatibilityOf, parseContract, type Contract } from '../../core/contracts/contract';
import type { ContractDocument } from '../../core/contracts/schema';
import { ContractVersions } from '../../core/contracts/versions';
import { describeError, PipelineError } from '../../core/errors';
import { fileCommits, listFiles, resolveRef, showFile } from '../git';
import { projectRoot } from '../../definitions/project-root';
import { context, openReadOnly } from './context';
import { bold, dim, formatRows, green, red, yellow, type OutputFormat } from './output';

const contractsFolder = 'config/contracts';

export function contractCommand(): Command {
  const contract = new Command('contract').description(
    'Data contracts: compare two versions, and check that changes keep each contract’s compatibility mode.',
  );

  contract
    .command('diff')
    .description(
      'List every change between two versions of a contract, and which compatibility modes each one breaks.',
    )
    .argument('<old>', 'a contract file, or REV:path for a committed version')
    .argument('<new>', 'a contract file, or REV:path')
    .addOption(formatOption())
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion contract diff HEAD:config/contracts/silver.orders.yaml config/contracts/silver.orders.yaml\n  $ medallion contract diff old/silver.orders.yaml new/silver.orders.yaml --format json',
    )
    .action(async (older: string, newer: string, options: { format: OutputFormat }) => {
      const [before, after] = [await readContract(older), await readContract(newer)];
      const changes = diffContracts(before, after);
      if (options.format === 'json') {
        process.stdout.write(
          `${JSON.stringify({ id: after.id, from: before.version, to: after.version, compatibility: compatibilityOf(after), changes: changes.map(withVerdicts) }, null, 2)}\n`,
        );
        return;
      }
      process.stderr.write(
        `${bold(after.id)} ${before.version} → ${after.version} ${dim(`(compatibility ${compatibilityOf(after)})`)}: ${changes.length} change(s)\n`,
      );
      if (changes.length > 0)
        process.stdout.write(`${formatRows(changes.map(tableRow), options.format)}\n`);
    });

  contract
    .command('check')
    .description(
      'Compare the working contracts with their previous versions; exit 1 when one breaks its compatibility mode without a major version bump, or changed without a new version.',
    )
    .option(
      '--against <rev>',
      'compare with the contracts committed at this git revision (default: the versions registered in the lake by earlier runs, else HEAD)',
    )
    .addOption(formatOption())
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion contract check\n  $ medallion contract check --against origin/main',
    )
    .action(async (options: { against?: string; format: OutputFormat }, command: Command) => {
      const { project, lakeRoot } = await context(command);
      const working = project.contracts.all();
      const baseline = options.against
        ? await gitBaseline(options.against, working)
        : ((await registeredBaseline(project, lakeRoot)) ?? (await gitBaseline('HEAD', working)));
      const results = working.map((c) => judge(c, baseline.versions.get(c.id) ?? []));
      const removed = [...baseline.versions.entries()]
        .filter(([id]) => !project.contracts.all().some((c) => c.id === id))
        .map(([id, versions]) => removedContract(id, versions.at(-1)!));
      report(baseline.name, [...results, ...removed], options.format);
      if ([...results, ...removed].some((r) => r.problems.length > 0)) process.exitCode = 1;
    });

  return contract;
}

interface Baseline {
  /** What the working contracts were compared with, for the report. */
  readonly name: string;
  /** Earlier versions of each contract, oldest first. */
  readonly versions: ReadonlyMap<string, ContractDocument[]>;
}

interface Judgement {
  readonly id: string;
  readonly file: string;
  readonly mode: string;
  readonly previous?: string;
  readonly current?: string;
  readonly verdict: 'new' | 'unchanged' | 'compatible' | 'removed' | 'failing';
  readonly changes: readonly ContractChange[];
  readonly problems: readonly string[];
}

function judge(contract: Contract, earlier: readonly ContractDocument[]): Judgement {
  const { changes, problems } = checkEvolution(earlier, contract.document, contract.compatibility);
  const previous = earlier.at(-1)?.version;
  return {
    id: contract.id,
    file: contract.file,
    mode: contract.compatibility,
    previous,
    current: contract.version,
    verdict:
      problems.length > 0
        ? 'failing'
        : previous === undefined
          ? 'new'
          : changes.length === 0
            ? 'unchanged'
            : 'compatible',
    changes,
    problems,
  };
}

/** A dataset whose contract disappeared: its consumers' queries fail unless nothing was promised. */
function removedContract(id: string, last: ContractDocument): Judgement {
  const mode = compatibilityOf(last);
  const removal: ContractChange = { kind: 'remove-dataset', detail: last.schema[0]!.physicalName };
  return {
    id,
    file: `${contractsFolder}/${id}.yaml`,
    mode,
    previous: last.version,
    verdict: breaksMode(removal, mode) ? 'failing' : 'removed',
    changes: [],
    problems: breaksMode(removal, mode)
      ? [
          `the contract was removed, so queries on ${last.schema[0]!.physicalName} would fail: its ${mode} compatibility promises they keep working. Deprecate it first (status: deprecated), or restore it`,
        ]
      : [],
  };
}

/** The versions earlier runs registered in the lake, or undefined when there are none. */
async function registeredBaseline(
  project: Parameters<typeof openReadOnly>[0],
  lakeRoot: string,
): Promise<Baseline | undefined> {
  if (!existsSync(path.join(lakeRoot, 'lakehouse.duckdb'))) return undefined;
  const lakehouse = await openReadOnly(project, lakeRoot);
  try {
    // A lake made before the registry existed has no table until its next run.
    if (!(await lakehouse.relationExists('audit.contract_versions'))) return undefined;
    const versions = await new ContractVersions(lakehouse).history();
    return versions.size === 0
      ? undefined
      : {
          name: `the versions registered in ${displayPath(lakeRoot)}`,
          versions,
        };
  } finally {
    lakehouse.close();
  }
}

/**
 * The contracts committed at `ref`. For a contract with a transitive mode, every version its
 * file had in the history of `ref` (the last text committed under each version number).
 */
async function gitBaseline(ref: string, working: readonly Contract[]): Promise<Baseline> {
  const commit = await resolveRef(projectRoot, ref);
  const transitive = new Map(working.map((c) => [c.file, isTransitive(c.compatibility)]));
  const versions = new Map<string, ContractDocument[]>();
  for (const name of await listFiles(projectRoot, commit, contractsFolder)) {
    if (!name.endsWith('.yaml')) continue;
    const file = name.includes('/') ? name : `${contractsFolder}/${name}`;
    const commits = transitive.get(file) ? await fileCommits(projectRoot, commit, file) : [commit];
    const byVersion = new Map<string, ContractDocument>();
    for (const at of commits) {
      const text = await showFile(projectRoot, at, file);
      if (text === undefined) continue;
      let document: ContractDocument;
      try {
        document = parseContract(text, `${at.slice(0, 7)}:${file}`).document;
      } catch (error) {
        if (at === commit) throw error;
        process.stderr.write(
          yellow(`Skipping ${file} at ${at.slice(0, 7)}: ${describeError(error)}\n`),
        );
        continue;
      }
      if (!byVersion.has(document.version)) byVersion.set(document.version, document);
    }
    const documents = [...byVersion.values()].reverse();
    if (documents.length > 0) versions.set(documents.at(-1)!.id, documents);
  }
  return { name: `the contracts committed at ${ref} (${commit.slice(0, 7)})`, versions };
}

async function readContract(spec: string): Promise<ContractDocument> {
  if (existsSync(spec)) return parseContract(await readFile(spec, 'utf8'), spec).document;
  const revision = /^([^:]+):(.+)$/.exec(spec);
  if (!revision) throw new PipelineError(`${spec}: no such file (use a path, or REV:path)`);
  const [, ref, file] = revision as unknown as [string, string, string];
  const text = await showFile(projectRoot, await resolveRef(projectRoot, ref), file);
  if (text === undefined) throw new PipelineError(`${file} does not exist at ${ref}`);
  return parseContract(text, spec).document;
}

function report(baseline: string, results: readonly Judgement[], format: OutputFormat): void {
  if (format === 'json') {
    process.stdout.write(
      `${JSON.stringify(
        {
          baseline,
          ok: results.every((r) => r.problems.length === 0),
          contracts: results.map((r) => ({ ...r, changes: r.changes.map(withVerdicts) })),
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  process.stderr.write(`${dim(`Compared with ${baseline}`)}\n`);
  const shown = results.filter((r) => r.verdict !== 'unchanged');
  if (shown.length > 0) {
    process.stdout.write(
      `${formatRows(
        shown.map((r) => ({
          contract: r.id,
          version:
            r.previous && r.current ? `${r.previous} → ${r.current}` : (r.current ?? r.previous),
          mode: r.mode,
          changes: r.changes.length,
          verdict: r.verdict,
        })),
        format,
      )}\n`,
    );
  }
  for (const r of results.filter((r) => r.problems.length > 0)) {
    for (const problem of r.problems)
      process.stdout.write(`${red('✗')} ${r.id} (${r.file}): ${problem}\n`);
  }
  const failing = results.filter((r) => r.problems.length > 0).length;
  const counts = (['unchanged', 'compatible', 'new', 'removed', 'failing'] as const)
    .map((v) => [v, results.filter((r) => r.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`)
    .join(', ');
  process.stderr.write(
    `${failing > 0 ? red(`${failing} contract(s) fail the check`) : green('Every contract keeps its compatibility promise')} ${dim(`(${results.length} contracts: ${counts})`)}\n`,
  );
}

/** A path relative to the working directory when it lies below it, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' ? '.' : relative.startsWith('..') ? file : relative;
}

function withVerdicts(change: ContractChange) {
  return {
    ...change,
    breaks: {
      BACKWARD: breaksMode(change, 'BACKWARD'),
      FORWARD: breaksMode(change, 'FORWARD'),
      FULL: breaksMode(change, 'FULL'),
    },
  };
}

function tableRow(change: ContractChange) {
  const mark = (mode: 'BACKWARD' | 'FORWARD' | 'FULL') => (breaksMode(change, mode) ? '✗' : '✓');
  return {
    change: change.kind,
    column: change.column ?? '',
    detail: change.detail,
    BACKWARD: mark('BACKWARD'),
    FORWARD: mark('FORWARD'),
    FULL: mark('FULL'),
  };
}

function formatOption(): Option {
  return new Option('--format <format>', 'output format')
    .choices(['table', 'json', 'csv'])
    .default('table');
}
