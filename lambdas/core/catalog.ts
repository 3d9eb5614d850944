/**
 * The data catalog: every contracted dataset with its schema, owner, tags and classifications
 * (from its contract), its neighbours (from the lineage), and how it is doing (from run history
 * and quality scores: rows, last update, freshness against its SLA, DQ score). The CLI searches
 * and shows it; the catalog-sync step writes the same figures into each Glue table's Parameters.
 */
import type { Contract, ContractRegistry } from './contracts/contract';
import type { DatasetEdge } from './lineage/graph';
import type { DatasetQuality } from './dq/store';
import type { SqlEngine } from './ports';
import type { DatasetStats } from './stats';
import { isoTimestamp } from './time';

export interface DatasetStatus {
  readonly dataset: string;
  /** Last run that wrote it, and when that run ended. */
  readonly lastRunId?: string;
  readonly updatedAt?: string;
  /** Rows the last run wrote. */
  readonly rowsWritten?: number;
  /** Rows in the dataset at its last quality check. */
  readonly rowCount?: number;
  readonly dqScore?: number;
  readonly checkedAt?: string;
}

export interface CatalogColumn {
  readonly name: string;
  readonly type: string;
  readonly description: string;
  readonly classification: string;
  readonly tags: readonly string[];
}

export interface CatalogEntry {
  readonly dataset: string;
  readonly layer: Contract['layer'];
  /** The table engines query: `silver.orders`, `bronze.snowflake_orders`. */
  readonly relation: string;
  readonly description: string;
  readonly owner: string;
  readonly version: string;
  readonly domain?: string;
  readonly tags: readonly string[];
  readonly columns: readonly CatalogColumn[];
  /** Datasets it is built from and datasets built from it (one hop). */
  readonly upstream: readonly string[];
  readonly downstream: readonly string[];
  readonly status: DatasetStatus;
  /** Hours since it was last written, and whether that is within its freshness SLA. */
  readonly freshness?: {
    readonly ageHours: number;
    readonly slaHours?: number;
    readonly fresh?: boolean;
  };
}

export interface SearchHit {
  readonly entry: CatalogEntry;
  /** Where the term was found: `name`, `owner`, `column email (pii)`... */
  readonly matches: readonly string[];
}

const hoursPerUnit: Record<string, number> = { h: 1, d: 24, w: 168 };

export function buildCatalog(
  contracts: ContractRegistry,
  statuses: ReadonlyMap<string, DatasetStatus>,
  now: Date,
  /** Which dataset feeds which (the lineage graph's `datasetEdges`); none leaves neighbours empty. */
  edges: readonly DatasetEdge[] = [],
): CatalogEntry[] {
  return contracts
    .all()
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((contract) => {
      const status = statuses.get(contract.id) ?? { dataset: contract.id };
      const sla = contract.document.slaProperties.find((s) => s.property === 'freshness');
      const slaHours = sla
        ? Number(sla.value) * (hoursPerUnit[String(sla.unit ?? 'd')] ?? NaN)
        : undefined;
      const ageHours = status.updatedAt
        ? Math.round((now.getTime() - Date.parse(status.updatedAt)) / 36_000) / 100
        : undefined;
      const document = contract.document as typeof contract.document & { tags?: unknown };
      return {
        dataset: contract.id,
        layer: contract.layer,
        relation: contract.relation,
        description: contract.document.description.purpose,
        owner: contract.owner,
        version: contract.version,
        ...(contract.document.domain ? { domain: contract.document.domain } : {}),
        tags: stringList(document.tags),
        columns: contract.properties.map((p) => ({
          name: p.name,
          type: p.physicalType,
          description: p.description ?? '',
          classification: p.classification,
          tags: stringList((p as typeof p & { tags?: unknown }).tags),
        })),
        upstream: [...new Set(edges.filter((e) => e.to === contract.id).map((e) => e.from))],
        downstream: [...new Set(edges.filter((e) => e.from === contract.id).map((e) => e.to))],
        status,
        ...(ageHours === undefined
          ? {}
          : {
              freshness: {
                ageHours,
                ...(slaHours !== undefined && Number.isFinite(slaHours)
                  ? { slaHours, fresh: ageHours <= slaHours }
                  : {}),
              },
            }),
      };
    });
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Datasets matching a term (case-insensitive, anywhere in the text) in their name, description,
 * owner, domain or tags, or in a column's name, description, tags or classification, best first:
 * a match on the dataset itself ranks above matches on its columns.
 */
export function searchCatalog(entries: readonly CatalogEntry[], term: string): SearchHit[] {
  const needle = term.trim().toLowerCase();
  if (needle === '') return entries.map((entry) => ({ entry, matches: [] }));
  const has = (text: string | undefined) => text?.toLowerCase().includes(needle) ?? false;
  const hits: (SearchHit & { rank: number })[] = [];
  for (const entry of entries) {
    const matches: string[] = [];
    if (has(entry.dataset) || has(entry.relation)) matches.push('name');
    if (has(entry.description)) matches.push('description');
    if (has(entry.owner)) matches.push(`owner ${entry.owner}`);
    if (has(entry.domain)) matches.push(`domain ${entry.domain}`);
    for (const tag of entry.tags.filter(has)) matches.push(`tag ${tag}`);
    const own = matches.length;
    for (const column of entry.columns) {
      const why = [
        has(column.name) ? 'name' : undefined,
        has(column.description) ? 'description' : undefined,
        has(column.classification) ? column.classification : undefined,
        ...column.tags.filter(has).map((t) => `tag ${t}`),
      ].filter(Boolean);
      if (why.length > 0) matches.push(`column ${column.name} (${why.join(', ')})`);
    }
    if (matches.length > 0) hits.push({ entry, matches, rank: own > 0 ? 0 : 1 });
  }
  return hits
    .sort((a, b) => a.rank - b.rank || a.entry.dataset.localeCompare(b.entry.dataset))
    .map(({ entry, matches }) => ({ entry, matches }));
}

/**
 * What the catalog-sync step writes to a table's Parameters: strings, as Glue stores them. Only
 * figures that exist are written, so a dataset no run has touched keeps just its version.
 */
export function tableParameters(entry: CatalogEntry): Record<string, string> {
  const { status } = entry;
  return {
    contract_version: entry.version,
    ...(status.lastRunId ? { last_run_id: status.lastRunId } : {}),
    ...(status.rowCount !== undefined ? { row_count: String(status.rowCount) } : {}),
    ...(status.dqScore !== undefined ? { dq_score: String(status.dqScore) } : {}),
    ...(status.updatedAt ? { updated_at: status.updatedAt } : {}),
  };
}

/** A column's comment in the catalog: its description and classification. */
export function columnComment(column: CatalogColumn): string {
  return `${column.description}${column.description ? ' ' : ''}[${column.classification}]`.slice(
    0,
    255,
  );
}

/**
 * The statuses with what the current run did on top: run history records a run's steps when the
 * run ends, after its last step, so the run's own task results (rows written, quality scores)
 * come from the state machine's state instead.
 */
export function withCurrentRun(
  statuses: ReadonlyMap<string, DatasetStatus>,
  run: {
    readonly runId: string;
    readonly at: string;
    readonly steps: readonly DatasetStats[];
    readonly scores: readonly DatasetQuality[];
  },
): Map<string, DatasetStatus> {
  const result = new Map(statuses);
  const merge = (dataset: string, figures: Omit<DatasetStatus, 'dataset'>) =>
    result.set(dataset, { ...result.get(dataset), ...figures, dataset });
  for (const step of run.steps) {
    merge(step.dataset, { lastRunId: run.runId, updatedAt: run.at, rowsWritten: step.rowsOut });
  }
  for (const score of run.scores) {
    merge(score.dataset, { dqScore: score.score, rowCount: score.rows, checkedAt: run.at });
  }
  return result;
}

/** A run that wrote a dataset, as `catalog show` lists it. */
export type DatasetRun = {
  readonly run_id: string;
  readonly job: string;
  readonly run_date: string;
  readonly status: string;
  readonly rows_out: number;
  readonly updated_at: string;
};

/** Reads each dataset's latest run and quality figures from the audit tables. */
export class DatasetStatuses {
  constructor(private readonly engine: SqlEngine) {}

  async all(): Promise<Map<string, DatasetStatus>> {
    const d = this.engine.dialect;
    const [runs, datasets, scores] = [
      d.relation('audit.runs'),
      d.relation('audit.run_datasets'),
      d.relation('audit.dq_scores'),
    ];
    const rows = await this.engine.query<{
      dataset: string;
      run_id: string | null;
      updated_at: string | null;
      rows_out: number | null;
      score: number | null;
      row_count: number | null;
      checked_at: string | null;
    }>(`with written as (
  select w.dataset, r.run_id, cast(coalesce(r.ended_at, r.started_at) as varchar) as updated_at, w.rows_out,
    row_number() over (partition by w.dataset order by r.started_at desc) as n
  from ${datasets} w join ${runs} r on r.run_id = w.run_id
), scored as (
  select dataset, score, row_count, cast(checked_at as varchar) as checked_at,
    row_number() over (partition by dataset order by checked_at desc) as n
  from ${scores}
)
select coalesce(w.dataset, s.dataset) as dataset, w.run_id, w.updated_at, w.rows_out, s.score, s.row_count, s.checked_at
from (select * from written where n = 1) w
full outer join (select * from scored where n = 1) s on s.dataset = w.dataset`);
    return new Map(
      rows.map((r) => [
        r.dataset,
        {
          dataset: r.dataset,
          ...(r.run_id ? { lastRunId: r.run_id } : {}),
          ...(r.updated_at ? { updatedAt: isoTimestamp(r.updated_at) } : {}),
          ...(r.rows_out === null ? {} : { rowsWritten: Number(r.rows_out) }),
          ...(r.score === null ? {} : { dqScore: Number(r.score) }),
          ...(r.row_count === null ? {} : { rowCount: Number(r.row_count) }),
          ...(r.checked_at ? { checkedAt: isoTimestamp(r.checked_at) } : {}),
        },
      ]),
    );
  }

  /** Each dataset's latest `limit` DQ scores, oldest first: the trend the docs site draws. */
  async scoreTrends(
    limit: number,
  ): Promise<Map<string, { readonly checkedAt: string; readonly score: number }[]>> {
    const d = this.engine.dialect;
    const rows = await this.engine.query<{ dataset: string; score: number; checked_at: string }>(
      `select dataset, score, cast(checked_at as varchar) as checked_at from (
  select dataset, score, checked_at, row_number() over (partition by dataset order by checked_at desc) as n
  from ${d.relation('audit.dq_scores')}
) s where n <= ${Math.trunc(limit)}
order by dataset, checked_at`,
    );
    const trends = new Map<string, { checkedAt: string; score: number }[]>();
    for (const r of rows) {
      const list = trends.get(r.dataset) ?? [];
      list.push({ checkedAt: isoTimestamp(r.checked_at), score: Number(r.score) });
      trends.set(r.dataset, list);
    }
    return trends;
  }

  /** The latest runs that wrote a dataset, newest first. */
  async history(dataset: string, limit: number): Promise<DatasetRun[]> {
    const d = this.engine.dialect;
    const rows = await this.engine
      .query<DatasetRun>(`select r.run_id, r.job, cast(r.run_date as varchar) as run_date, r.status, w.rows_out,
  cast(coalesce(r.ended_at, r.started_at) as varchar) as updated_at
from ${d.relation('audit.run_datasets')} w join ${d.relation('audit.runs')} r on r.run_id = w.run_id
where w.dataset = ${d.string(dataset)}
order by r.started_at desc
limit ${Math.trunc(limit)}`);
    return rows.map((r) => ({
      ...r,
      rows_out: Number(r.rows_out),
      updated_at: isoTimestamp(r.updated_at),
    }));
  }
}
