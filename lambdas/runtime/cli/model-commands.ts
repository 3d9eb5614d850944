/**
 * `medallion compile|show|ls`: the models as a data engineer works on them. `compile` prints the
 * SQL a run sends for the selected models, on DuckDB or Athena; `show` runs one model's SELECT on
 * the local lake without writing anything; `ls` lists the models, sources, contracts and seeds
 * with their owners and tags.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { athenaDialect, mergeTargetsOf } from '../../adapters/aws/athena-dialect';
import { duckdbDialect } from '../../adapters/duckdb/dialect';
import { PrivacyKeyFile } from '../../adapters/local/privacy-key-file';
import { lakeSchemas, type LakeSchema } from '../../core/aws-names';
import type { Contract } from '../../core/contracts/contract';
import { PipelineError } from '../../core/errors';
import { compileModel, hasIncrementalForm, type CompiledModel } from '../../core/models/compile';
import { selectModels, isSelective } from '../../core/models/selection';
import { transformJobs } from '../../core/run-dates';
import { RunHistory } from '../../core/runs';
import type { SqlDialect } from '../../core/ports';
import type { Project } from '../../definitions/project-files';
import { context, openReadOnly } from './context';
import { count, formatRows, yellow, type OutputFormat } from './output';

type Engine = 'duckdb' | 'athena';

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export function compileCommand(): Command {
  return new Command('compile')
    .description(
      'Print the SQL a run sends for the selected models: the template rendered for the engine, ref(), source() and changes() resolved to the relations the build reads.',
    )
    .argument(
      '<selector...>',
      'models to compile (silver.orders, +gold.fact_orders, tag:x, layer:x)',
    )
    .addOption(
      new Option('--engine <engine>', 'the engine to render for')
        .choices(['duckdb', 'athena'])
        .default('duckdb'),
    )
    .option('--exclude <selector...>', 'leave these models out')
    .option(
      '--incremental',
      'the form a later run sends (bronze since the last watermark, change feeds since the last read) instead of a first build or --full-refresh',
    )
    .addHelpText(
      'after',
      '\nEach model is headed by a comment naming it and its form. Athena SQL is parsed with the Trino\ngrammar Athena uses; a model whose SQL does not parse fails, naming the line.\n\nExamples:\n  $ medallion compile silver.orders\n  $ medallion compile +gold.fact_orders --engine athena\n  $ medallion compile silver.customers --incremental > customers.sql',
    )
    .action(
      async (
        selectors: string[],
        options: { engine: Engine; exclude?: string[]; incremental?: boolean },
        command: Command,
      ) => {
        const { project } = await context(command);
        const models = selectModels(project.models, {
          select: selectors,
          exclude: options.exclude,
        });
        if (models.length === 0) throw new PipelineError(`No model left once --exclude applies`);
        const dialect = options.engine === 'athena' ? athenaDialectOf(project) : duckdbDialect;
        const now = new Date().toISOString();
        const compiled = models.map((model) =>
          compileModel(model, project.models, dialect, {
            incremental: options.incremental === true,
            runDate: now.slice(0, 10),
            snapshotAt: now,
          }),
        );
        const unparsable: string[] = [];
        for (const model of compiled) {
          process.stdout.write(`${header(model)}\n${model.sql}\n\n`);
          if (options.engine === 'athena') unparsable.push(...(await trinoErrors(model)));
        }
        if (unparsable.length > 0)
          throw new PipelineError(`Athena would not parse:\n  ${unparsable.join('\n  ')}`);
      },
    );
}

export function showCommand(): Command {
  return new Command('show')
    .description(
      "Run one model's SELECT on the local lake (its full-refresh form, over everything bronze holds) and print the rows, writing nothing.",
    )
    .argument('<model>', 'the model (silver.orders, or orders when the name is unique)')
    .option('--limit <n>', 'rows to print', positiveInt, 20)
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .addHelpText(
      'after',
      '\nThe models it reads (ref) are read as the lake holds them: run their job first.\n\nExamples:\n  $ medallion show silver.orders\n  $ medallion show gold.revenue_daily --limit 5 --format json',
    )
    .action(
      async (name: string, options: { limit: number; format: OutputFormat }, command: Command) => {
        const { project, lakeRoot } = await context(command);
        const [model, ...others] = selectModels(project.models, { select: [name] });
        if (!model || others.length > 0)
          throw new PipelineError(
            `show runs one model; "${name}" selects ${[model, ...others].map((m) => m!.name).join(', ')}`,
          );
        const lakehouse = await openReadOnly(project, lakeRoot);
        try {
          const runDate =
            (await new RunHistory(lakehouse).lastCompletedDate(transformJobs)) ??
            new Date().toISOString().slice(0, 10);
          const compiled = (privacyKey?: Uint8Array) =>
            compileModel(model, project.models, lakehouse.dialect, {
              incremental: false,
              runDate,
              snapshotAt: new Date().toISOString(),
              privacyKey,
            });
          const first = compiled();
          const { sql } = first.needsPrivacyKey
            ? compiled(await PrivacyKeyFile.ofProject(project.root).key())
            : first;
          const rows = await lakehouse
            .query(`select * from (${sql}) as m limit ${options.limit + 1}`)
            .catch((error: unknown) => {
              throw new PipelineError(
                `${model.name}: its SELECT failed on the lake (have its inputs been built? \`medallion status\`): ${(error as Error).message.split('\n')[0]}`,
              );
            });
          process.stdout.write(`${formatRows(rows.slice(0, options.limit), options.format)}\n`);
          if (rows.length > options.limit)
            process.stderr.write(
              `${yellow(`the first ${count(options.limit)} rows: more past --limit ${options.limit}`)}\n`,
            );
        } finally {
          lakehouse.close();
        }
      },
    );
}

type ItemType = 'model' | 'source' | 'contract' | 'seed';

export function lsCommand(): Command {
  return new Command('ls')
    .description(
      'List the models, sources (bronze datasets), contracts and seeds, with layer, materialization, tags, owner, contract and description.',
    )
    .option(
      '--select <selector...>',
      'models only, those selected (same selectors as run --select)',
    )
    .option('--exclude <selector...>', 'models only, without these')
    .addOption(
      new Option('--type <type>', 'one kind of item').choices([
        'model',
        'source',
        'contract',
        'seed',
      ]),
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion ls\n  $ medallion ls --type source\n  $ medallion ls --select layer:gold --format json\n  $ medallion ls --select +gold.fact_orders',
    )
    .action(
      async (
        options: {
          select?: string[];
          exclude?: string[];
          type?: ItemType;
          format: 'table' | 'json';
        },
        command: Command,
      ) => {
        const { project } = await context(command);
        const selection = { select: options.select, exclude: options.exclude };
        if (isSelective(selection) && options.type !== undefined && options.type !== 'model')
          throw new PipelineError(
            `--select and --exclude choose models; --type ${options.type} lists none`,
          );
        const types: readonly ItemType[] = isSelective(selection)
          ? ['model']
          : options.type
            ? [options.type]
            : ['model', 'source', 'contract', 'seed'];
        const rows = types.flatMap((type) => itemsOf(project, type, selection));
        process.stdout.write(`${formatRows(rows, options.format)}\n`);
      },
    );
}

interface Item extends Record<string, unknown> {
  readonly name: string;
  readonly type: ItemType;
  readonly layer: string;
  readonly materialization: string;
  readonly tags: string;
  readonly owner: string;
  readonly contract: string;
  readonly description: string;
}

function itemsOf(
  project: Project,
  type: ItemType,
  selection: { select?: string[]; exclude?: string[] },
): Item[] {
  const contracts = project.contracts;
  const contractOf = (c: Contract | undefined) => (c ? `${c.id}@${c.version}` : '');
  const purpose = (c: Contract) => c.document.description.purpose;
  switch (type) {
    case 'model':
      return selectModels(project.models, selection).map((m) => {
        const contract = contracts.get(m.contractId);
        return {
          name: m.name,
          type,
          layer: m.layer,
          materialization: m.config.materialization,
          tags: m.config.tags.join(', '),
          owner: contract.owner,
          contract: contractOf(contract),
          description: m.config.description,
        };
      });
    case 'source':
      return contracts
        .all()
        .filter((c) => c.layer === 'bronze')
        .map((c) => ({
          name: c.id,
          type,
          layer: c.layer,
          materialization: project.config.sources[c.id.split('.')[0]!]?.kind ?? '',
          tags: '',
          owner: c.owner,
          contract: contractOf(c),
          description: purpose(c),
        }));
    case 'contract':
      return contracts.all().map((c) => ({
        name: c.relation,
        type,
        layer: c.layer,
        materialization: '',
        tags: '',
        owner: c.owner,
        contract: contractOf(c),
        description: purpose(c),
      }));
    case 'seed':
      return project.models.seeds.map((s) => ({
        name: s.name,
        type,
        layer: 'seeds',
        materialization: 'seed',
        tags: '',
        owner: '',
        contract: '',
        description: `${count(s.rows.length)} rows from ${s.path}`,
      }));
  }
}

/** `-- silver.orders: incremental form (...)`, and the notes, as SQL comments. */
function header(compiled: CompiledModel): string {
  const other = hasIncrementalForm(compiled.model)
    ? compiled.form === 'incremental'
      ? ' (without --incremental: the full-refresh form)'
      : ' (--incremental: the form later runs send)'
    : '';
  return [
    `-- ${compiled.model.name}: ${compiled.form} form${other}`,
    ...compiled.notes.map((n) => `-- ${n}`),
  ].join('\n');
}

/**
 * Athena's SQL for this project and environment. A SELECT names relations, never locations:
 * the locations given only satisfy the dialect.
 */
function athenaDialectOf(project: Project): SqlDialect {
  const locations = Object.fromEntries(
    lakeSchemas.map((s) => [s, `s3://${project.config.project}-${project.config.env}-${s}/`]),
  ) as Record<LakeSchema, string>;
  return athenaDialect({
    project: project.config.project,
    env: project.config.env,
    locations,
    mergeTargets: mergeTargetsOf(project.models),
  });
}

/** Athena parses a SELECT as Trino does: the errors dt-sql-parser's Trino grammar finds, by line. */
async function trinoErrors(compiled: CompiledModel): Promise<string[]> {
  const { TrinoSQL } = await import('dt-sql-parser');
  return new TrinoSQL()
    .validate(compiled.sql)
    .map(
      (e) =>
        `${compiled.model.name}, line ${e.startLine}:${e.startColumn} of its SQL (below its header): ${e.message}`,
    );
}
