/**
 * SQL models: one SELECT template per model (`models/<layer>/<name>.sql`) with a sibling `.yml`.
 * Dependencies come only from `ref()`, `source()` and `changes()` calls found in the template's
 * syntax tree, so the graph is known before anything runs: an unknown name or a cycle fails at load.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { distance } from 'fastest-levenshtein';
import nunjucks from 'nunjucks';
import * as z from 'zod';
import type { ContractRegistry, Layer } from '../contracts/contract';
import { ModelGraphError } from '../errors';
import { parseYamlWith } from '../validation';

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a lower_snake_case column name');

export const modelConfigSchema = z
  .strictObject({
    description: z.string().min(1),
    /**
     * `table`: rebuilt on every run (from its previous content, `{{ this }}`, where the template
     * asks `is_incremental()`). `incremental`: MERGE by `unique_key` of the rows the run selects
     * (deletes where `delete_when`). `scd2`: type-2 history keyed by `unique_key`.
     */
    materialization: z.enum(['table', 'incremental', 'scd2']),
    unique_key: z.array(identifier).min(1).optional(),
    /** When several rows share a key, the one with the greatest of these columns wins. */
    latest_by: z.array(identifier).min(1).optional(),
    /** Boolean column: TRUE marks the key as deleted at the source. Not stored in the target. */
    delete_when: identifier.optional(),
    /** Validate rows against the contract and move failing ones to `quarantine.<name>`. */
    quarantine: z.boolean().default(false),
    /** The contract the output obeys. @default '<layer>.<name>' */
    contract: z.string().optional(),
    /** SCD2 only: the column that dates each version. */
    valid_from: identifier.optional(),
    /**
     * Incremental only: columns the change feed records with each key, as they were before the
     * run changed or deleted it and as it wrote them, so a reader that groups by them (orders per
     * day) learns every group a change left as well as the one it entered.
     */
    feed_columns: z.array(identifier).min(1).optional(),
    tags: z.array(z.string()).default([]),
  })
  .superRefine((c, ctx) => {
    if (c.materialization !== 'table' && !c.unique_key) {
      ctx.addIssue({
        code: 'custom',
        path: ['unique_key'],
        message: `a unique_key list (required by ${c.materialization})`,
        input: undefined,
      });
    }
    if (c.feed_columns && c.materialization !== 'incremental') {
      ctx.addIssue({
        code: 'custom',
        path: ['feed_columns'],
        message: `only an incremental model has a change feed; this one is ${c.materialization}`,
        input: undefined,
      });
    }
    if (c.materialization === 'scd2' && !c.valid_from) {
      ctx.addIssue({
        code: 'custom',
        path: ['valid_from'],
        message: 'the column that dates each version (required by scd2)',
        input: undefined,
      });
    }
  });

export type ModelConfig = z.output<typeof modelConfigSchema>;

export interface ModelFile {
  /** Path relative to the project root, e.g. `models/silver/orders.sql`. */
  readonly sqlPath: string;
  readonly sql: string;
  readonly ymlPath: string;
  /** Undefined when the sibling `.yml` is missing. */
  readonly yml: string | undefined;
}

export interface SeedFile {
  /** e.g. `models/seeds/countries.csv` */
  readonly path: string;
  readonly csv: string;
}

export interface Model {
  /** `silver.orders` */
  readonly name: string;
  readonly layer: Exclude<Layer, 'bronze'>;
  readonly sqlPath: string;
  readonly template: string;
  readonly config: ModelConfig;
  readonly contractId: string;
  readonly refs: readonly string[];
  /** `[source, dataset]` pairs. */
  readonly sources: readonly (readonly [string, string])[];
  /** Models whose change feed this model reads. */
  readonly changes: readonly string[];
}

export interface Seed {
  /** `seeds.countries` */
  readonly name: string;
  readonly path: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const layerOrder: Record<string, number> = { seeds: 0, silver: 1, gold: 2 };

/** The loaded model graph, in dependency order. */
export class ModelProject {
  readonly models: readonly Model[];

  constructor(
    models: readonly Model[],
    readonly seeds: readonly Seed[],
  ) {
    this.models = topologicalOrder(models, new Set(seeds.map((s) => s.name)));
  }

  get(name: string): Model {
    const model = this.models.find((m) => m.name === name);
    if (!model)
      throw new ModelGraphError(
        `No model named ${name}. Models: ${this.models.map((m) => m.name).join(', ')}`,
      );
    return model;
  }

  layer(layer: Model['layer']): Model[] {
    return this.models.filter((m) => m.layer === layer);
  }

  /**
   * The layer's models in groups, each model in the group after the last of its upstream models
   * in the layer: the models of one group are independent of each other.
   */
  levels(layer: Model['layer']): Model[][] {
    const levelOf = new Map<string, number>();
    const levels: Model[][] = [];
    for (const model of this.layer(layer)) {
      const upstream = [...model.refs, ...model.changes].map((name) => levelOf.get(name) ?? -1);
      const level = Math.max(-1, ...upstream) + 1;
      levelOf.set(model.name, level);
      (levels[level] ??= []).push(model);
    }
    return levels;
  }

  /** Models that read `name` through `ref()` or `changes()`. */
  dependents(name: string): Model[] {
    return this.models.filter((m) => m.refs.includes(name) || m.changes.includes(name));
  }
}

/**
 * Builds the project from model and seed files, checking every reference against the models,
 * seeds and contracts that exist.
 */
export function loadModelProject(
  files: readonly ModelFile[],
  seedFiles: readonly SeedFile[],
  contracts: ContractRegistry,
): ModelProject {
  const seeds = seedFiles.map(parseSeed);
  const models = files.map((f) => parseModel(f));
  const names = new Set([...models.map((m) => m.name), ...seeds.map((s) => s.name)]);
  for (const model of models) {
    for (const ref of model.refs) {
      if (!names.has(ref)) {
        throw new ModelGraphError(
          `${model.sqlPath}: ref('${ref}') names no model or seed${suggestName(ref, [...names])}`,
        );
      }
      const refLayer = ref.split('.')[0]!;
      if ((layerOrder[refLayer] ?? 0) > layerOrder[model.layer]!) {
        throw new ModelGraphError(
          `${model.sqlPath}: a ${model.layer} model cannot read ${ref} from a later layer`,
        );
      }
    }
    for (const changed of model.changes) {
      const upstream = models.find((m) => m.name === changed);
      if (!upstream)
        throw new ModelGraphError(
          `${model.sqlPath}: changes('${changed}') names no model${suggestName(
            changed,
            models.map((m) => m.name),
          )}`,
        );
      if (upstream.config.materialization !== 'incremental') {
        throw new ModelGraphError(
          `${model.sqlPath}: changes('${changed}') needs an incremental model; ${changed} is ${upstream.config.materialization}`,
        );
      }
    }
    for (const [source, dataset] of model.sources) {
      const contract = contracts.forRelation(`bronze.${source}_${dataset}`);
      if (!contract) {
        const known = contracts
          .all()
          .filter((c) => c.layer === 'bronze')
          .map((c) => c.id);
        throw new ModelGraphError(
          `${model.sqlPath}: source('${source}', '${dataset}') has no bronze contract${suggestName(`${source}.${dataset}`, known)}`,
        );
      }
    }
    const contract = contracts.get(model.contractId);
    if (contract.relation !== model.name) {
      throw new ModelGraphError(
        `${model.sqlPath}: contract ${contract.id} describes ${contract.relation}, not ${model.name}`,
      );
    }
  }
  return new ModelProject(models, seeds);
}

function parseModel(file: ModelFile): Model {
  const match = /(?:^|\/)models\/(silver|gold)\/([a-z_][a-z0-9_]*)\.sql$/.exec(file.sqlPath);
  if (!match)
    throw new ModelGraphError(
      `${file.sqlPath}: models live in models/silver/ or models/gold/ with lower_snake_case names`,
    );
  const layer = match[1] as Model['layer'];
  const name = `${layer}.${match[2]}`;
  if (file.yml === undefined)
    throw new ModelGraphError(`${file.sqlPath}: the sibling ${file.ymlPath} is missing`);
  const config = parseYamlWith(modelConfigSchema, file.yml, file.ymlPath);
  const calls = templateCalls(file.sql, file.sqlPath);
  const literal = (call: TemplateCall, arity: number) => {
    if (call.args.length !== arity || call.args.some((a) => a === undefined)) {
      throw new ModelGraphError(
        `${file.sqlPath}: ${call.name}() takes ${arity} quoted name(s), found ${call.args.length} argument(s)`,
      );
    }
    return call.args as string[];
  };
  const refs = new Set<string>();
  const sources = new Map<string, readonly [string, string]>();
  const changes = new Set<string>();
  for (const call of calls) {
    if (call.name === 'ref') refs.add(literal(call, 1)[0]!);
    if (call.name === 'changes') changes.add(literal(call, 1)[0]!);
    if (call.name === 'source') {
      const [source, dataset] = literal(call, 2) as [string, string];
      sources.set(`${source}.${dataset}`, [source, dataset]);
    }
  }
  if (config.quarantine && sources.size !== 1) {
    throw new ModelGraphError(
      `${file.sqlPath}: a model with quarantine: true maps the rows of exactly one source(); found ${sources.size}`,
    );
  }
  return {
    name,
    layer,
    sqlPath: file.sqlPath,
    template: file.sql,
    config,
    contractId: config.contract ?? name,
    refs: [...refs],
    sources: [...sources.values()],
    changes: [...changes],
  };
}

/**
 * Whether a model has an incremental form besides its full refresh: every incremental and scd2
 * model, and a `table` model whose template asks `is_incremental()` (it then rebuilds from its
 * previous content, `{{ this }}`, and the change feeds it reads).
 */
export function hasIncrementalForm(model: Model): boolean {
  return (
    model.config.materialization !== 'table' ||
    templateCalls(model.template, model.sqlPath).some((c) => c.name === 'is_incremental')
  );
}

interface TemplateCall {
  readonly name: string;
  /** Literal string arguments; undefined where an argument is not a literal. */
  readonly args: readonly (string | undefined)[];
}

interface TemplateNode {
  typename?: string;
  fields?: string[];
  children?: TemplateNode[];
  value?: unknown;
  name?: TemplateNode;
  args?: TemplateNode;
  [field: string]: unknown;
}

/** Every function call in a template, found by walking nunjucks' syntax tree (not by regex). */
function templateCalls(template: string, path: string): TemplateCall[] {
  let root: TemplateNode;
  try {
    root = (nunjucks as unknown as { parser: { parse(src: string): TemplateNode } }).parser.parse(
      template,
    );
  } catch (error) {
    throw new ModelGraphError(`${path}: template syntax error: ${(error as Error).message.trim()}`);
  }
  const calls: TemplateCall[] = [];
  const seen = new Set<TemplateNode>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object' || seen.has(node as TemplateNode)) return;
    const n = node as TemplateNode;
    seen.add(n);
    if (n.typename === 'FunCall' && n.name?.typename === 'Symbol') {
      calls.push({
        name: String(n.name.value),
        args: (n.args?.children ?? []).map((a) =>
          a.typename === 'Literal' && typeof a.value === 'string' ? a.value : undefined,
        ),
      });
    }
    for (const field of n.fields ?? []) {
      const value = n[field];
      if (Array.isArray(value)) value.forEach(visit);
      else visit(value);
    }
    n.children?.forEach(visit);
  };
  visit(root);
  return calls;
}

function parseSeed(file: SeedFile): Seed {
  const match = /(?:^|\/)models\/seeds\/([a-z_][a-z0-9_]*)\.csv$/.exec(file.path);
  if (!match)
    throw new ModelGraphError(
      `${file.path}: seeds live in models/seeds/ as lower_snake_case .csv files`,
    );
  let records: string[][];
  try {
    records = parseCsv(file.csv, { skip_empty_lines: true });
  } catch (error) {
    throw new ModelGraphError(`${file.path}: ${(error as Error).message}`);
  }
  const [columns = [], ...rows] = records;
  if (columns.length === 0 || columns.some((c) => !/^[a-z_][a-z0-9_]*$/.test(c))) {
    throw new ModelGraphError(`${file.path}: the header must be lower_snake_case column names`);
  }
  return { name: `seeds.${match[1]}`, path: file.path, columns, rows };
}

/** Orders models so each comes after everything it reads; a cycle is reported with its path. */
function topologicalOrder(models: readonly Model[], seeds: ReadonlySet<string>): Model[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const state = new Map<string, 'visiting' | 'done'>();
  const ordered: Model[] = [];
  const visit = (model: Model, path: string[]): void => {
    const current = state.get(model.name);
    if (current === 'done') return;
    if (current === 'visiting') {
      const cycle = [...path.slice(path.indexOf(model.name)), model.name];
      throw new ModelGraphError(`Models form a cycle: ${cycle.join(' → ')} (${model.sqlPath})`);
    }
    state.set(model.name, 'visiting');
    for (const dependency of [...model.refs, ...model.changes].sort()) {
      if (seeds.has(dependency)) continue;
      const upstream = byName.get(dependency);
      if (upstream) visit(upstream, [...path, model.name]);
    }
    state.set(model.name, 'done');
    ordered.push(model);
  };
  [...models].sort((a, b) => a.name.localeCompare(b.name)).forEach((m) => visit(m, []));
  return ordered;
}

/** ` (did you mean x?)` when a candidate is close enough to be the intended name, else ''. */
export function suggestName(name: string, candidates: readonly string[]): string {
  const best = candidates.map((c) => ({ c, d: distance(name, c) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(2, name.length / 4) ? ` (did you mean ${best.c}?)` : '';
}
