/**
 * `medallion new contract|model|source|dataset`: writes a contract inferred from a sample file or
 * a query (types by DuckDB, classification by the PII scanner, rules as `dq suggest` proposes
 * them), a model skeleton with its contract inferred from the skeleton's output, and a source's
 * or dataset's config entry (comments kept) with its bronze contract.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { DuckDbLakehouse } from '../../adapters/duckdb/engine';
import { parseContract, type Contract, type ContractRegistry } from '../../core/contracts/contract';
import type { Classification } from '../../core/contracts/schema';
import { profileDataset } from '../../core/dq/profile';
import { suggestRules, type Suggestion } from '../../core/dq/suggest';
import { PipelineError } from '../../core/errors';
import { kafkaBronzeColumns } from '../../core/ingest/kafka';
import type { SqlEngine } from '../../core/ports';
import { scanColumns, scanSampleSize } from '../../core/privacy/pii-sampling';
import {
  portableType,
  renderContract,
  renderModel,
  sourceKind,
  withDataset,
  withSource,
  type ContractDraft,
  type InferredColumn,
  type ModelInput,
  type ScaffoldLayer,
  type SourceDraft,
} from '../../core/scaffold';
import { loadConfig, loadContracts } from '../../definitions/source-files';
import { projectRoot } from '../../definitions/project-root';
import { bold, dim, green } from './output';

interface GlobalOptions {
  env: string;
  config?: string;
  lake?: string;
}

interface CommonOptions {
  force?: boolean;
  dryRun?: boolean;
  owner?: string;
  description?: string;
  key?: string[];
}

/** A file to write: its path relative to the project root, and its text. */
interface Output {
  readonly file: string;
  readonly text: string;
  /** An existing file edited in place (a config), rather than created. */
  readonly edit?: boolean;
}

const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

/** `new`, over the project at `root` (the repository; tests pass a copy). */
export function newCommand(root: string = projectRoot): Command {
  const command = new Command('new').description(
    'Scaffold a contract, a model, a source or a dataset: config entry, contract inferred from data or SQL, model skeleton.',
  );
  const common = (c: Command) =>
    c
      .option('--key <columns>', 'primary key columns, comma-separated', list)
      .option('--owner <team>', 'owning team (default: the team most contracts of the layer name)')
      .option('--description <text>', 'what the dataset holds, the contract’s purpose')
      .option('--force', 'overwrite a contract or model file that exists')
      .option('--dry-run', 'print the files instead of writing them');

  common(
    command
      .command('contract')
      .description(
        'Write config/contracts/<id>.yaml with columns inferred from a sample file or a query over the lake.',
      )
      .argument('<id>', 'contract id: <source>.<dataset> for bronze, silver.<name> or gold.<name>')
      .option('--from-file <file>', 'sample file: .csv, .json, .jsonl, .ndjson or .parquet')
      .option('--from-query <sql>', 'a SELECT over the lake (run `npm run pipeline` first)'),
  )
    .addHelpText(
      'after',
      `
Types come from DuckDB (DESCRIBE), classification from the PII scanner (pii where it finds
personal data, else internal), rules from a profile of the sample as \`dq suggest\` proposes them.

Examples:
  $ medallion new contract shop.returns --from-file returns.csv --key return_id
  $ medallion new contract gold.big_orders --from-query "select * from silver.orders where quantity > 10"`,
    )
    .action(
      async (
        id: string,
        options: CommonOptions & { fromFile?: string; fromQuery?: string },
        cmd: Command,
      ) => {
        if (Boolean(options.fromFile) === Boolean(options.fromQuery))
          cmd.error('error: give --from-file or --from-query (one of them)');
        const contracts = await loadContracts(root);
        const layer = layerOfId(id);
        const request = {
          id,
          layer,
          ...(options.fromFile ? { file: options.fromFile } : { query: options.fromQuery! }),
          purpose: options.description ?? `${id}.`,
          owner: options.owner ?? defaultOwner(contracts, layer, id),
          ...(options.key ? { key: options.key } : {}),
        };
        const text =
          layer === 'bronze'
            ? await bronzeContract(root, cmd, request, await configuredKind(root, id))
            : await inferContract(root, cmd, request);
        await emit(root, [{ file: contractFile(id), text }], options, [
          `then run: npx medallion validate`,
        ]);
      },
    );

  common(
    command
      .command('model')
      .description(
        'Write models/<layer>/<name>.sql (a SELECT over its inputs, columns listed), its .yml and its contract.',
      )
      .argument('<name>', 'silver.<name> or gold.<name>')
      .requiredOption(
        '--from <inputs...>',
        'inputs: a bronze dataset (<source>.<dataset>, read with source()) or a model or seed (read with ref()); later ones are left-joined by --key',
      )
      .addOption(
        new Option('--materialization <kind>', 'how the model is built')
          .choices(['table', 'incremental', 'scd2'])
          .default('table'),
      ),
  )
    .addHelpText(
      'after',
      `
The contract's columns come from the skeleton itself: rendered and described on an empty DuckDB
whose input tables have their contracts' types, so the model validates as written.

Examples:
  $ medallion new model silver.returns --from shop.returns --materialization incremental --key return_id
  $ medallion new model gold.order_products --from silver.orders`,
    )
    .action(
      async (
        name: string,
        options: CommonOptions & {
          from: string[];
          materialization: 'table' | 'incremental' | 'scd2';
        },
      ) => {
        const contracts = await loadContracts(root);
        const [layer, model] = name.split('.');
        if ((layer !== 'silver' && layer !== 'gold') || !model || !/^[a-z][a-z0-9_]*$/.test(model))
          throw new PipelineError(
            `${name}: a model is named silver.<name> or gold.<name> (lower_snake_case)`,
          );
        const inputs: ModelInput[] = options.from.map((input) => modelInput(contracts, input));
        const description = options.description ?? `${name} from ${options.from.join(', ')}.`;
        const files = renderModel({
          name,
          description,
          materialization: options.materialization,
          inputs,
          ...(options.key ? { key: options.key } : {}),
        });
        const columns = await describeEmpty(root, contracts, inputs, files.plainSql);
        const contract = renderContract({
          id: name,
          layer,
          relation: name,
          purpose: description,
          owner: options.owner ?? defaultOwner(contracts, layer, name),
          columns,
          ...(options.key ? { key: options.key } : {}),
          inherited: inheritedProperties(contracts, options.from),
          inferredFrom: `models/${layer}/${model}.sql`,
        });
        await emit(
          root,
          [
            { file: `models/${layer}/${model}.sql`, text: files.sql },
            { file: `models/${layer}/${model}.yml`, text: files.yml },
            { file: contractFile(name), text: contract },
          ],
          options,
          [`then run: npx medallion validate`],
        );
      },
    );

  command
    .command('source')
    .description(
      'Add a source to config/<env>.yaml (every file with sources:, or those of --in), comments kept; landing sources need no config entry.',
    )
    .argument('<name>', 'source name, lower_snake_case')
    .addOption(
      new Option('--kind <kind>', 'kind of source')
        .choices(['warehouse', 'rest', 'kafka', 'landing'])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--engine <engine>', 'warehouse engine').choices(['snowflake', 'redshift']),
    )
    .option('--description <text>', 'what the source is')
    .option('--in <envs>', 'environments whose config/<env>.yaml to edit, comma-separated', list)
    .option('--dry-run', 'print the files instead of writing them')
    .addHelpText(
      'after',
      `
Then add its datasets with \`medallion new dataset <source>.<dataset>\`.

Examples:
  $ medallion new source shop --kind rest --description "Shop API"
  $ medallion new source erp --kind warehouse --engine redshift --in local,dev`,
    )
    .action(
      async (
        name: string,
        options: {
          kind: SourceDraft['kind'] | 'landing';
          engine?: 'snowflake' | 'redshift';
          description?: string;
          in?: string[];
          dryRun?: boolean;
        },
      ) => {
        if (!/^[a-z][a-z0-9_]*$/.test(name))
          throw new PipelineError(`${name}: a source is named in lower_snake_case`);
        if (options.kind === 'landing') {
          process.stderr.write(
            `${bold(name)} is a landing source: files dropped into <lake>/landing/${name}/<dataset>/ are ingested once each dataset has a bronze contract, so there is no config entry to write.\n` +
              `next: npx medallion new dataset ${name}.<dataset> --from-file <sample>\n`,
          );
          return;
        }
        const draft: SourceDraft = {
          name,
          kind: options.kind,
          description: options.description ?? `${name} (${options.kind}).`,
          ...(options.engine ? { engine: options.engine } : {}),
        };
        const outputs: Output[] = [];
        for (const file of await configFiles(root, options.in))
          outputs.push({
            file,
            text: withSource(await readFile(path.join(root, file), 'utf8'), file, draft),
            edit: true,
          });
        await emit(root, outputs, { dryRun: options.dryRun, force: true }, [
          `next: npx medallion new dataset ${name}.<dataset> [--from-file <sample>]`,
          afterSourceAdded(name, options.kind),
        ]);
      },
    );

  common(
    command
      .command('dataset')
      .description(
        'Add a dataset to its source in config/<env>.yaml (comments kept) and write its bronze contract.',
      )
      .argument('<id>', '<source>.<dataset>')
      .option('--from-file <file>', 'sample file the bronze contract’s columns are inferred from')
      .option(
        '--location <where>',
        'table (warehouse), path (rest) or topic (kafka); default: the dataset’s name',
      )
      .option('--watermark <column>', 'incremental extraction column (warehouse, rest)')
      .option('--in <envs>', 'environments whose config/<env>.yaml to edit, comma-separated', list),
  )
    .addHelpText(
      'after',
      `
A rest source keeps JSON values as text in bronze (every column VARCHAR), a kafka source writes
its fixed columns; a warehouse or landing dataset keeps the sample's types. A source in no config
file is a landing source: only the contract is written.

Examples:
  $ medallion new dataset shop.returns --from-file returns.csv --location /shop/v1/returns --key return_id
  $ medallion new dataset uploads.prices --from-file prices.parquet`,
    )
    .action(
      async (
        id: string,
        options: CommonOptions & {
          fromFile?: string;
          location?: string;
          watermark?: string;
          in?: string[];
        },
        cmd: Command,
      ) => {
        const [source, dataset] = id.split('.');
        if (!source || !dataset || !/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/.test(id))
          throw new PipelineError(
            `${id}: a dataset is named <source>.<dataset> (lower_snake_case)`,
          );
        const contracts = await loadContracts(root);
        const outputs: Output[] = [];
        let kind: SourceDraft['kind'] | undefined;
        for (const file of await configFiles(root, options.in)) {
          const text = await readFile(path.join(root, file), 'utf8');
          const found = sourceKind(text, source);
          if (!found) continue;
          if (kind && kind !== found)
            throw new PipelineError(
              `${file}: sources.${source} is ${found} here, ${kind} elsewhere`,
            );
          kind = found;
          outputs.push({
            file,
            text: withDataset(text, file, source, {
              name: dataset,
              ...(options.location ? { location: options.location } : {}),
              ...(options.watermark ? { watermark: options.watermark } : {}),
            }),
            edit: true,
          });
        }
        const text = await bronzeContract(
          root,
          cmd,
          {
            id,
            layer: 'bronze',
            ...(options.fromFile ? { file: options.fromFile } : {}),
            purpose: options.description ?? `${id} as the source delivers it.`,
            owner: options.owner ?? defaultOwner(contracts, 'bronze', id),
            ...(options.key ? { key: options.key } : {}),
          },
          kind,
        );
        const watermark = options.watermark ?? 'updated_at';
        const declared = parseContract(text, contractFile(id)).columns.map((c) => c.name);
        if ((kind === 'warehouse' || kind === 'rest') && !declared.includes(watermark))
          throw new PipelineError(
            `${id}: the watermark ${watermark} is not a column of the sample (${declared.join(', ')}): name the extraction column with --watermark`,
          );
        await emit(root, [...outputs, { file: contractFile(id), text }], options, [
          afterSourceAdded(source, kind),
        ]);
      },
    );
  return command;
}

/**
 * What follows a source's or dataset's config entry. Its `<source>_to_bronze` job and its branch
 * of `daily` are built from the config when the state machines load
 * (`lambdas/definitions/state-machine-files.ts`), so nothing is left to edit, only to check and
 * run. Landing datasets need no job of their own: the landing job finds any bronze contract.
 */
export function afterSourceAdded(source: string, kind: SourceDraft['kind'] | undefined): string {
  return kind
    ? `then: npx medallion validate, and npx medallion run --job ${source}_to_bronze (daily runs it too: its job and daily branch come from config)`
    : `then: drop files into <lake>/landing/${source}/<dataset>/, and run: npx medallion validate`;
}

/**
 * A bronze contract as its source's connector writes: a kafka drain's fixed columns, a rest
 * source's sample as text (JSON values stay text in bronze), any other sample as typed.
 */
async function bronzeContract(
  root: string,
  cmd: Command,
  request: InferRequest,
  kind: SourceDraft['kind'] | undefined,
): Promise<string> {
  if (kind === 'kafka')
    return renderContract({
      ...request,
      relation: bronzeRelation(request.id),
      columns: kafkaBronzeColumns,
      inferredFrom: 'the columns a Kafka drain writes',
    });
  if (!request.file && !request.query)
    throw new PipelineError(
      `${request.id}: give --from-file <sample> to infer the bronze contract’s columns from`,
    );
  return inferContract(root, cmd, { ...request, ...(kind === 'rest' ? { asText: true } : {}) });
}

/** The kind of the source of a bronze id in the config files, undefined for a landing source. */
async function configuredKind(root: string, id: string): Promise<SourceDraft['kind'] | undefined> {
  const source = id.split('.')[0]!;
  for (const file of await configFiles(root, undefined)) {
    const kind = sourceKind(await readFile(path.join(root, file), 'utf8'), source);
    if (kind) return kind;
  }
  return undefined;
}

function contractFile(id: string): string {
  return `config/contracts/${id}.yaml`;
}

function bronzeRelation(id: string): string {
  return `bronze.${id.replace('.', '_')}`;
}

/** `silver.x` and `gold.x` name their layer; any other id is a bronze `<source>.<dataset>`. */
function layerOfId(id: string): ScaffoldLayer {
  if (!/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/.test(id))
    throw new PipelineError(
      `${id}: a contract id is <source>.<dataset>, silver.<name> or gold.<name>`,
    );
  const prefix = id.split('.')[0];
  return prefix === 'silver' || prefix === 'gold' ? prefix : 'bronze';
}

/** The team most contracts of the layer name (of the same source first, for bronze). */
function defaultOwner(contracts: ContractRegistry, layer: ScaffoldLayer, id: string): string {
  const of = (filter: (c: ReturnType<ContractRegistry['all']>[number]) => boolean) => {
    const counts = new Map<string, number>();
    for (const c of contracts.all().filter(filter))
      counts.set(c.owner, (counts.get(c.owner) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  };
  const source = id.split('.')[0];
  return (
    (layer === 'bronze' ? of((c) => c.id.split('.')[0] === source) : undefined) ??
    of((c) => c.layer === layer) ??
    'data-platform'
  );
}

/** `config/<env>.yaml` files to edit: those named, else every one with a `sources:` map. */
async function configFiles(root: string, envs: readonly string[] | undefined): Promise<string[]> {
  if (envs) {
    for (const env of envs)
      if (!existsSync(path.join(root, 'config', `${env}.yaml`)))
        throw new PipelineError(`--in ${env}: no config/${env}.yaml`);
    return envs.map((env) => `config/${env}.yaml`);
  }
  const files: string[] = [];
  for (const name of readdirSync(path.join(root, 'config')).sort()) {
    if (!name.endsWith('.yaml')) continue;
    const text = await readFile(path.join(root, 'config', name), 'utf8');
    if (/^sources:/m.test(text)) files.push(`config/${name}`);
  }
  return files;
}

/** A model input: a bronze contract's id reads through source(), a model or seed through ref(). */
function modelInput(contracts: ContractRegistry, input: string): ModelInput {
  const contract = contracts.all().find((c) => c.id === input || c.relation === input);
  if (!contract)
    throw new PipelineError(
      `--from ${input}: no contract names it (bronze <source>.<dataset>, silver.<name> or gold.<name>)`,
    );
  if (contract.layer === 'bronze') {
    const [source, dataset] = contract.id.split('.') as [string, string];
    return { kind: 'source', source, dataset, columns: contract.columns };
  }
  return { kind: 'ref', name: contract.relation, columns: contract.columns };
}

/** Each input column's classification and description, the first input's where names repeat. */
function inheritedProperties(
  contracts: ContractRegistry,
  inputs: readonly string[],
): Map<string, { classification?: Classification; description?: string }> {
  const inherited = new Map<string, { classification?: Classification; description?: string }>();
  for (const input of inputs) {
    const contract = contracts.all().find((c) => c.id === input || c.relation === input)!;
    for (const p of contract.properties)
      if (!inherited.has(p.name))
        inherited.set(p.name, {
          ...(p.classification ? { classification: p.classification } : {}),
          description: p.description,
        });
  }
  return inherited;
}

/**
 * The skeleton's output columns: its SELECT described over empty inputs of their contracts' types
 * (bronze as the lakehouse shapes it, with its metadata columns; models and seeds as tables).
 */
async function describeEmpty(
  root: string,
  contracts: ContractRegistry,
  inputs: readonly ModelInput[],
  select: string,
): Promise<InferredColumn[]> {
  const bronze = inputs.flatMap((input) =>
    input.kind === 'source' ? [contracts.get(`${input.source}.${input.dataset}`)] : [],
  );
  return withScratch(
    root,
    async (engine) => {
      const d = engine.dialect;
      for (const input of inputs) {
        if (input.kind === 'source') continue;
        const columns = input.columns.map((c) => `${d.quote(c.name)} ${c.type}`).join(', ');
        await engine.execute(`create schema if not exists ${d.quote(input.name.split('.')[0]!)}`);
        await engine.execute(`create table ${d.relation(input.name)} (${columns})`);
      }
      return engine.describe(select);
    },
    bronze,
  );
}

interface InferRequest {
  readonly id: string;
  readonly layer: ScaffoldLayer;
  readonly file?: string;
  readonly query?: string;
  readonly purpose: string;
  readonly owner: string;
  readonly key?: readonly string[];
  /** Every column VARCHAR: a rest source's bronze keeps JSON values as text. */
  readonly asText?: boolean;
}

const fileReaders: Record<string, (file: string) => string> = {
  '.csv': (f) => `read_csv(${quoted(f)}, header = true)`,
  '.json': (f) => `read_json(${quoted(f)})`,
  '.jsonl': (f) => `read_json(${quoted(f)}, format = 'newline_delimited')`,
  '.ndjson': (f) => `read_json(${quoted(f)}, format = 'newline_delimited')`,
  '.parquet': (f) => `read_parquet(${quoted(f)})`,
};

function quoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * The contract of the data a file or query holds: columns from DESCRIBE, pii where the scanner
 * finds it, then rules proposed from a profile taken under that first contract.
 */
async function inferContract(root: string, cmd: Command, request: InferRequest): Promise<string> {
  const relation = request.layer === 'bronze' ? bronzeRelation(request.id) : request.id;
  const infer = async (engine: SqlEngine, from: string, shown: string) => {
    const described = await engine.describe(`select * from ${from}`).catch((error: unknown) => {
      throw new PipelineError(`Cannot read ${shown}: ${(error as Error).message}`, {
        cause: error,
      });
    });
    const columns = request.asText
      ? described.map((c) => ({ name: c.name, type: 'VARCHAR' }))
      : described;
    const findings = await scanColumns(engine, from, described, {
      limit: scanSampleSize,
      referenceYear: new Date().getUTCFullYear(),
    });
    const draft: ContractDraft = {
      id: request.id,
      layer: request.layer,
      relation,
      purpose: request.purpose,
      owner: request.owner,
      columns,
      ...(request.key ? { key: request.key } : {}),
      pii: new Set(findings.filter((f) => f.kind === 'pii').map((f) => f.column)),
      inferredFrom: shown,
    };
    const plain = parseContract(renderContract(draft), contractFile(request.id));
    const typed = `(select ${columns
      .map((c) => {
        const name = engine.dialect.quote(c.name);
        return `cast(${name} as ${portableType(c.type)}) as ${name}`;
      })
      .join(', ')} from ${from})`;
    const suggestions: Suggestion[] = suggestRules(
      plain,
      await profileDataset(reading(engine, relation, typed), plain),
    );
    return renderContract({ ...draft, suggestions });
  };
  if (request.file) {
    const absolute = path.resolve(request.file);
    const reader = fileReaders[path.extname(absolute).toLowerCase()];
    if (!reader)
      throw new PipelineError(
        `${request.file}: a sample is a .csv, .json, .jsonl, .ndjson or .parquet file`,
      );
    if (!existsSync(absolute)) throw new PipelineError(`No file ${absolute}`);
    return withScratch(root, (engine) => infer(engine, reader(absolute), request.file!));
  }
  const options = cmd.optsWithGlobals<GlobalOptions>();
  const { config } = await loadConfig({
    root,
    env: options.env,
    ...(options.config ? { configFile: options.config } : {}),
  });
  const contracts = await loadContracts(root);
  const lakehouse = await DuckDbLakehouse.open({
    lakeRoot: options.lake ? path.resolve(options.lake) : path.resolve(root, config.lake.root),
    threads: config.engine.threads,
    memoryLimit: config.engine.memoryLimit,
    bronze: contracts.all().filter((c) => c.layer === 'bronze'),
    readOnly: true,
  });
  try {
    return await infer(lakehouse, `(${request.query})`, 'a query over the lake');
  } finally {
    lakehouse.close();
  }
}

/** `engine` with `relation` read from `from`: a profile of a sample that is no table. */
function reading(engine: SqlEngine, relation: string, from: string): SqlEngine {
  const dialect = {
    ...engine.dialect,
    relation: (name: string) => (name === relation ? from : engine.dialect.relation(name)),
  };
  return {
    dialect,
    execute: (sql) => engine.execute(sql),
    query: (sql) => engine.query(sql),
    refreshSources: () => engine.refreshSources(),
    transaction: (work) => engine.transaction(work),
    relationExists: (name) => engine.relationExists(name),
    describe: (sql) => engine.describe(sql),
  };
}

/** A throwaway DuckDB, gone after `work`. */
async function withScratch<T>(
  root: string,
  work: (engine: DuckDbLakehouse) => Promise<T>,
  bronze: readonly Contract[] = [],
): Promise<T> {
  const { config } = await loadConfig({ root });
  const folder = mkdtempSync(path.join(os.tmpdir(), 'medallion-new-'));
  const engine = await DuckDbLakehouse.open({
    lakeRoot: folder,
    threads: config.engine.threads,
    memoryLimit: config.engine.memoryLimit,
    bronze,
  });
  try {
    return await work(engine);
  } finally {
    engine.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Writes (or with --dry-run prints) the files, refusing to overwrite one without --force. */
async function emit(
  root: string,
  outputs: readonly Output[],
  options: { dryRun?: boolean; force?: boolean },
  next: readonly string[],
): Promise<void> {
  const existing = outputs.filter((o) => !o.edit && existsSync(path.join(root, o.file)));
  if (existing.length > 0 && !options.force)
    throw new PipelineError(
      `${existing.map((o) => o.file).join(', ')} exists already: nothing was written (--force overwrites)`,
    );
  for (const output of outputs) {
    if (options.dryRun) {
      process.stdout.write(`${bold(`# ${output.file}`)}\n${output.text}\n`);
      continue;
    }
    const file = path.join(root, output.file);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, output.text);
    process.stderr.write(`${green(output.edit ? 'Edited' : 'Wrote')} ${output.file}\n`);
  }
  if (options.dryRun) process.stderr.write(`${dim('(dry run: nothing was written)')}\n`);
  for (const line of next) process.stderr.write(`${line}\n`);
}
