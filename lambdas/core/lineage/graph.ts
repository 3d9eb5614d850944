/**
 * The lineage graph of a project, derived from its definitions: each source system feeds its
 * bronze datasets column for column (ingestion copies), and each model's SQL gives its columns'
 * inputs (see columns.ts). Datasets are named by their contract id (`snowflake.orders` is the
 * bronze copy of Snowflake's ORDERS, `gold.fact_orders`...), source systems by OpenLineage's
 * naming (`snowflake://account/DB.SCHEMA.TABLE`, `kafka://cluster/topic`, `https://host/path`).
 */
import type { PlatformConfig, SourceConfig } from '../../../config/schema';
import type { Contract, ContractRegistry } from '../contracts/contract';
import { bronzeMetadataColumns, bronzePartitionColumn } from '../ingest/bronze';
import { kafkaBronzeColumns } from '../ingest/kafka';
import type { ModelProject } from '../models/project';
import { renderModel } from '../models/render';
import {
  columnLineage,
  type InputField,
  type ModelColumnLineage,
  type Transformation,
} from './columns';
import { lineageDialect } from './dialect';
import { externalDatasetRef } from './naming';

export type Layer = 'source' | 'bronze' | 'silver' | 'gold' | 'seeds';

export interface LineageColumn {
  readonly name: string;
  readonly classification?: string;
  readonly description?: string;
}

export interface LineageNode {
  readonly id: string;
  readonly layer: Layer;
  readonly owner?: string;
  readonly description?: string;
  readonly columns: readonly LineageColumn[];
}

export interface ColumnRef {
  readonly dataset: string;
  readonly column: string;
}

export interface ColumnEdge {
  readonly from: ColumnRef;
  readonly to: ColumnRef;
  readonly transformations: readonly Transformation[];
}

/** A dataset feeding another: by ingestion, or as an input of its model. */
export interface DatasetEdge {
  readonly from: string;
  readonly to: string;
  readonly via: 'ingestion' | 'model';
}

export interface LineageAnswer {
  readonly root: { readonly dataset: string; readonly column?: string };
  readonly direction: 'upstream' | 'downstream';
  /** Every dataset (and column, for a column question) reached, nearest first. */
  readonly nodes: readonly {
    readonly dataset: string;
    readonly column?: string;
    readonly depth: number;
    readonly layer: Layer;
    readonly owner?: string;
    readonly classification?: string;
  }[];
  /** The edges walked, in the direction of data flow. */
  readonly edges: readonly {
    readonly from: string;
    readonly to: string;
    readonly transformations?: readonly Transformation[];
  }[];
}

/** An input column of a model, named by dataset id. */
export interface DatasetInputField extends ColumnRef {
  readonly transformations: readonly Transformation[];
}

/**
 * Each model's column lineage with inputs named by dataset id: what lineage events carry, and
 * what the transform function's bundle ships as `lineage.json` (its SQL parser stays out).
 */
export type ProjectColumnLineage = Readonly<
  Record<
    string,
    {
      readonly columns: Readonly<Record<string, readonly DatasetInputField[]>>;
      readonly dataset: readonly DatasetInputField[];
    }
  >
>;

export type ImpactedItem = LineageAnswer['nodes'][number] & {
  /** How the change reaches it: `direct identity`, `indirect join`, `rows of silver.orders`... */
  readonly how: readonly string[];
};

function describe(t: Transformation): string {
  return `${t.type.toLowerCase()} ${t.subtype.toLowerCase().replace('_', ' ')}${t.masking ? ' (masked)' : ''}`;
}

export class LineageGraph {
  constructor(
    readonly nodes: ReadonlyMap<string, LineageNode>,
    readonly columnEdges: readonly ColumnEdge[],
    readonly datasetEdges: readonly DatasetEdge[],
    /** Per model, its SQL's lineage (with what could not be resolved). */
    readonly models: ReadonlyMap<string, ModelColumnLineage>,
    /** Relations models read, by the dataset id they stand for. */
    private readonly relations: ReadonlyMap<string, string>,
  ) {}

  /** `gold.fact_orders` or `gold.fact_orders.amount_usd`, checked against the graph. */
  parse(target: string): { dataset: string; column?: string } {
    if (this.nodes.has(target)) return { dataset: target };
    const cut = target.lastIndexOf('.');
    const dataset = target.slice(0, cut);
    const column = target.slice(cut + 1);
    const node = this.nodes.get(dataset);
    if (node?.columns.some((c) => c.name === column)) return { dataset, column };
    if (node) {
      throw new Error(
        `${dataset} has no column ${column} (columns: ${node.columns.map((c) => c.name).join(', ')})`,
      );
    }
    const near = [...this.nodes.keys()].filter((id) => id.includes(target.split('.')[1] ?? target));
    throw new Error(
      `No dataset ${target} in the lineage graph${near.length > 0 ? ` (did you mean ${near.slice(0, 5).join(', ')}?)` : ''}`,
    );
  }

  /**
   * What a change to a column would touch: the columns computed from it (downstream), and the
   * datasets whose rows it decides (it is a join key, a filter or a grouping of their model),
   * with everything downstream of those.
   */
  impact(target: string): ImpactedItem[] {
    const root = this.parse(target);
    if (!root.column) throw new Error(`${target} is a dataset: name a column (${target}.<column>)`);
    const answer = this.downstream(target);
    const items: ImpactedItem[] = answer.nodes.map((n) => ({
      ...n,
      how: [
        ...new Set(
          answer.edges
            .filter((e) => e.to === `${n.dataset}.${n.column}`)
            .flatMap((e) => (e.transformations ?? []).map(describe)),
        ),
      ],
    }));
    const depthOf = new Map<string, number>([
      [`${root.dataset}.${root.column}`, 0],
      ...answer.nodes.map((n) => [`${n.dataset}.${n.column}`, n.depth] as const),
    ]);
    const rowsDecided = new Map<string, { depth: number; how: Set<string> }>();
    for (const [dataset, lineage] of this.models) {
      for (const input of lineage.dataset) {
        const at = depthOf.get(`${this.datasetOf(input.relation)}.${input.column}`);
        if (at === undefined) continue;
        const entry = rowsDecided.get(dataset) ?? { depth: at + 1, how: new Set<string>() };
        entry.depth = Math.min(entry.depth, at + 1);
        for (const t of input.transformations) entry.how.add(describe(t));
        rowsDecided.set(dataset, entry);
      }
    }
    for (const [dataset, { depth, how }] of rowsDecided) {
      const node = this.nodes.get(dataset);
      items.push({
        dataset,
        depth,
        layer: node?.layer ?? 'source',
        ...(node?.owner ? { owner: node.owner } : {}),
        how: [...how, 'which rows exist'],
      });
      for (const n of this.downstream(dataset).nodes) {
        if (
          rowsDecided.has(n.dataset) ||
          items.some((i) => i.dataset === n.dataset && i.column === undefined)
        )
          continue;
        items.push({ ...n, depth: depth + n.depth, how: [`rows of ${dataset}`] });
      }
    }
    return items.sort((a, b) => a.depth - b.depth);
  }

  columnLineage(): ProjectColumnLineage {
    const named = (fields: readonly InputField[]): DatasetInputField[] =>
      fields.map((f) => ({
        dataset: this.datasetOf(f.relation),
        column: f.column,
        transformations: f.transformations,
      }));
    return Object.fromEntries(
      [...this.models].map(([dataset, lineage]) => [
        dataset,
        {
          columns: Object.fromEntries(
            Object.entries(lineage.columns).map(([column, fields]) => [column, named(fields)]),
          ),
          dataset: named(lineage.dataset),
        },
      ]),
    );
  }

  /** The dataset id of a relation a model reads (`bronze.snowflake_orders` → `snowflake.orders`). */
  datasetOf(relation: string): string {
    return this.relations.get(relation) ?? relation;
  }

  upstream(target: string, depth = Infinity): LineageAnswer {
    return this.walk(this.parse(target), 'upstream', depth);
  }

  downstream(target: string, depth = Infinity): LineageAnswer {
    return this.walk(this.parse(target), 'downstream', depth);
  }

  private walk(
    root: { dataset: string; column?: string },
    direction: 'upstream' | 'downstream',
    maxDepth: number,
  ): LineageAnswer {
    const up = direction === 'upstream';
    const nodes: LineageAnswer['nodes'][number][] = [];
    const edges: LineageAnswer['edges'][number][] = [];
    const seen = new Set<string>();
    const key = (dataset: string, column?: string) => (column ? `${dataset}.${column}` : dataset);
    let frontier = [root];
    seen.add(key(root.dataset, root.column));
    for (let depth = 1; frontier.length > 0 && depth <= maxDepth; depth++) {
      const next: { dataset: string; column?: string }[] = [];
      for (const at of frontier) {
        const neighbours: {
          dataset: string;
          column?: string;
          transformations?: readonly Transformation[];
        }[] =
          at.column === undefined
            ? this.datasetEdges
                .filter((e) => (up ? e.to : e.from) === at.dataset)
                .map((e) => ({ dataset: up ? e.from : e.to }))
            : this.columnEdges
                .filter((e) => {
                  const end = up ? e.to : e.from;
                  return end.dataset === at.dataset && end.column === at.column;
                })
                .map((e) => ({ ...(up ? e.from : e.to), transformations: e.transformations }));
        for (const n of neighbours) {
          const id = key(n.dataset, n.column);
          const here = key(at.dataset, at.column);
          edges.push({
            from: up ? id : here,
            to: up ? here : id,
            ...(n.transformations ? { transformations: n.transformations } : {}),
          });
          if (seen.has(id)) continue;
          seen.add(id);
          const node = this.nodes.get(n.dataset);
          const column = n.column ? node?.columns.find((c) => c.name === n.column) : undefined;
          nodes.push({
            dataset: n.dataset,
            ...(n.column ? { column: n.column } : {}),
            depth,
            layer: node?.layer ?? 'source',
            ...(node?.owner ? { owner: node.owner } : {}),
            ...(column?.classification ? { classification: column.classification } : {}),
          });
          next.push({ dataset: n.dataset, column: n.column });
        }
      }
      frontier = next;
    }
    return { root, direction, nodes, edges: dedupe(edges) };
  }
}

function dedupe<T>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = JSON.stringify(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const historyColumns = ['valid_from', 'valid_to', 'is_current'];

/**
 * A type-2 model's lineage with its history columns: `valid_from` is the versioning column,
 * `valid_to` and `is_current` are computed from it; only declared columns are kept.
 */
function withHistoryColumns(
  lineage: ModelColumnLineage,
  versioned: string | undefined,
  declared: readonly string[],
): ModelColumnLineage {
  if (!versioned) return lineage;
  const source = lineage.columns[versioned] ?? [];
  const computed = source.map((input) => ({
    ...input,
    transformations: input.transformations.map((t) =>
      t.type === 'DIRECT' ? { ...t, subtype: 'TRANSFORMATION' as const } : t,
    ),
  }));
  const all: Record<string, ModelColumnLineage['columns'][string]> = {
    ...lineage.columns,
    valid_from: source,
    valid_to: computed,
    is_current: computed,
  };
  return {
    ...lineage,
    columns: Object.fromEntries(declared.map((c) => [c, all[c] ?? []])),
  };
}

/** Columns every silver table keeps from bronze, and the run id every layer adds. */
const silverProvenance = ['_ingested_at', '_source_ref', '_source_row', '_run_id'];

export function buildLineageGraph(project: {
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
  readonly models: ModelProject;
}): LineageGraph {
  const { config, contracts, models } = project;
  const nodes = new Map<string, LineageNode>();
  const columnEdges: ColumnEdge[] = [];
  const datasetEdges: DatasetEdge[] = [];
  const byRelation = new Map<string, { id: string; columns: readonly string[] }>();

  const contractNode = (c: Contract): LineageNode => ({
    id: c.id,
    layer: c.layer,
    owner: c.owner,
    description: c.document.description.purpose,
    columns: c.properties.map((p) => ({
      name: p.name,
      classification: p.classification,
      ...(p.description ? { description: p.description } : {}),
    })),
  });

  for (const contract of contracts.all()) {
    nodes.set(contract.id, contractNode(contract));
    const own = contract.properties.map((p) => p.name);
    if (contract.layer === 'bronze') {
      const sourceName = contract.id.split('.')[0]!;
      const source = config.sources[sourceName];
      const bronzeColumns =
        source?.kind === 'kafka'
          ? kafkaBronzeColumns.map((c) => c.name)
          : [...own, ...(source?.kind === 'rest' ? ['_extra'] : [])];
      byRelation.set(contract.relation, {
        id: contract.id,
        columns: [
          ...bronzeColumns,
          ...bronzeMetadataColumns.map((c) => c.name),
          bronzePartitionColumn,
        ],
      });
      if (source) {
        const external = externalDataset(config, source, contract.id.split('.')[1]!);
        nodes.set(external, {
          id: external,
          layer: 'source',
          description: source.description,
          columns: contract.properties.map((p) => ({ name: p.name })),
        });
        datasetEdges.push({ from: external, to: contract.id, via: 'ingestion' });
        for (const p of contract.properties) {
          columnEdges.push({
            from: { dataset: external, column: p.name },
            to: { dataset: contract.id, column: p.name },
            transformations: [{ type: 'DIRECT', subtype: 'IDENTITY', masking: false }],
          });
        }
      }
    } else {
      byRelation.set(contract.relation, {
        id: contract.id,
        columns: [...own, ...(contract.layer === 'silver' ? silverProvenance : ['_run_id'])],
      });
    }
  }
  for (const seed of models.seeds) {
    nodes.set(seed.name, {
      id: seed.name,
      layer: 'seeds',
      description: `Reference data from ${seed.path}`,
      columns: seed.columns.map((name) => ({ name })),
    });
    byRelation.set(seed.name, { id: seed.name, columns: seed.columns });
  }

  const lineages = new Map<string, ModelColumnLineage>();
  for (const model of models.models) {
    const contract = contracts.forRelation(model.name) ?? contracts.get(model.name);
    const { sql } = renderModel(model, lineageDialect, {
      incremental: false,
      runDate: '2026-01-01',
      source: (source, dataset) => `bronze.${source}_${dataset}`,
      // A change feed: the upstream model's keys (and feed columns) and when they changed.
      changes: (name) => {
        const upstream = models.get(name);
        const keys = [
          ...(upstream.config.unique_key ?? []),
          ...(upstream.config.feed_columns ?? []),
        ];
        return `(select ${[...keys, 'cast(null as boolean) as _previous', 'cast(null as bigint) as _seq', 'cast(null as timestamp) as _changed_at'].join(', ')} from ${name})`;
      },
    });
    // Type-2 history columns are the materialization's, computed from the versioning column.
    const versioned = model.config.materialization === 'scd2' ? model.config.valid_from : undefined;
    const declared = contract.properties.map((p) => p.name);
    const selected = versioned
      ? [...new Set([...declared.filter((c) => !historyColumns.includes(c)), versioned])]
      : declared;
    const lineage = withHistoryColumns(
      columnLineage(sql, (relation) => byRelation.get(relation)?.columns, selected),
      versioned,
      declared,
    );
    lineages.set(contract.id, lineage);
    const idOf = (relation: string) => byRelation.get(relation)?.id ?? relation;
    for (const relation of lineage.inputs) {
      datasetEdges.push({ from: idOf(relation), to: contract.id, via: 'model' });
    }
    for (const [column, inputs] of Object.entries(lineage.columns)) {
      for (const input of inputs) {
        columnEdges.push({
          from: { dataset: idOf(input.relation), column: input.column },
          to: { dataset: contract.id, column },
          transformations: input.transformations,
        });
      }
    }
  }
  return new LineageGraph(
    nodes,
    columnEdges,
    dedupe(datasetEdges),
    lineages,
    new Map([...byRelation].map(([relation, { id }]) => [relation, id])),
  );
}

/** A source dataset's node id: its OpenLineage namespace and name (`kafka://local-simulator/order_events`). */
function externalDataset(config: PlatformConfig, source: SourceConfig, dataset: string): string {
  const { namespace, name } = externalDatasetRef(config, source, dataset);
  return source.kind === 'rest' ? `${namespace}${name}` : `${namespace}/${name}`;
}
