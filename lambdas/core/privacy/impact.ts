/**
 * The privacy impact report's content: every dataset holding personal data (pii or confidential
 * columns, by contract), where each such column flows (column lineage, down to gold), who reads it
 * and how (the access policy, when there is one), how long it is kept, and what else a privacy
 * officer must know about: open data subject requests, scanner findings that contradict
 * contracts. Pure: the CLI gathers the inputs and renders it as JSON or HTML.
 */
import type { Classification } from '../../../config/access-schema';
import type { PlatformConfig } from '../../../config/schema';
import { accessMatrix, personaNames, type AccessPolicy } from '../access/policy';
import { classifyTables, declaredTables } from '../access/tables';
import type { Contract, ContractRegistry } from '../contracts/contract';
import { retentionRules, type RetentionRule } from '../maintenance';
import type { Layer, LineageGraph } from '../lineage/graph';

/** Classifications a privacy officer answers for. */
const personal: readonly Classification[] = ['pii', 'confidential'];

export interface ImpactColumn {
  readonly name: string;
  readonly classification: Classification;
  /** Columns computed from this one, `<dataset>.<column>`, nearest first. */
  readonly flowsTo: readonly string[];
  /** What each persona gets of it (personas that cannot read the table are left out). */
  readonly readers: readonly { readonly persona: string; readonly visibility: string }[];
}

export interface ImpactDataset {
  readonly dataset: string;
  readonly layer: Layer;
  readonly owner?: string;
  readonly columns: readonly ImpactColumn[];
  readonly retention: string;
}

/** A data subject request as the report lists it (from `medallion dsr status`). */
export interface ImpactRequest {
  readonly id: string;
  readonly kind: string;
  readonly received: string;
  readonly deadline: string;
  readonly status: string;
  readonly overdue: boolean;
}

/** A scanner finding that contradicts a contract (from `medallion pii scan`). */
export interface ImpactFinding {
  readonly dataset: string;
  readonly column: string;
  readonly found: string;
  readonly declared: string;
}

export interface PrivacyImpactReport {
  readonly generatedAt: string;
  readonly env: string;
  readonly personas: readonly string[];
  readonly datasets: readonly ImpactDataset[];
  /** Dataset → dataset edges along which personal columns flow, for the picture. */
  readonly flows: readonly { readonly from: string; readonly to: string }[];
  /** Every dataset personal data reaches, with its layer. */
  readonly reached: readonly { readonly dataset: string; readonly layer: Layer }[];
  readonly requests: readonly ImpactRequest[];
  readonly findings: readonly ImpactFinding[];
  readonly summary: {
    readonly datasets: number;
    readonly piiColumns: number;
    readonly confidentialColumns: number;
    /** Personas that read at least one pii column in clear. */
    readonly clearPiiReaders: readonly string[];
    readonly openRequests: number;
    readonly overdueRequests: number;
  };
}

export interface PrivacyImpactInput {
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
  readonly graph: LineageGraph;
  readonly policy?: AccessPolicy;
  readonly requests?: readonly ImpactRequest[];
  readonly findings?: readonly ImpactFinding[];
  readonly now: Date;
}

export function privacyImpact(input: PrivacyImpactInput): PrivacyImpactReport {
  const { config, contracts, graph, policy } = input;
  const rules = retentionRules(config.maintenance, contracts.all());
  const matrix = policy
    ? accessMatrix(policy, classifyTables(declaredTables(contracts), contracts))
    : [];
  const datasets: ImpactDataset[] = [];
  const flows = new Map<string, { from: string; to: string }>();
  const reached = new Map<string, Layer>();
  for (const contract of contracts.all()) {
    const columns = contract.properties
      .filter((p) => personal.includes(p.classification))
      .map((p): ImpactColumn => {
        const downstream = graph.downstream(`${contract.id}.${p.name}`);
        reached.set(contract.id, contract.layer as Layer);
        for (const n of downstream.nodes) reached.set(n.dataset, n.layer);
        for (const edge of downstream.edges) {
          const [from, to] = [datasetOf(edge.from), datasetOf(edge.to)];
          if (from !== to) flows.set(`${from}>${to}`, { from, to });
        }
        return {
          name: p.name,
          classification: p.classification,
          flowsTo: downstream.nodes.flatMap((n) => (n.column ? [`${n.dataset}.${n.column}`] : [])),
          readers: matrix
            .filter(
              (m) =>
                m.relation === contract.relation &&
                m.column === p.name &&
                m.visibility !== 'hidden',
            )
            .map((m) => ({ persona: m.persona, visibility: m.visibility })),
        };
      });
    if (columns.length === 0) continue;
    datasets.push({
      dataset: contract.id,
      layer: contract.layer as Layer,
      ...(contract.owner ? { owner: contract.owner } : {}),
      columns,
      retention: retentionOf(config, rules, contract),
    });
  }
  const requests = input.requests ?? [];
  const open = requests.filter((r) => r.status !== 'completed');
  return {
    generatedAt: input.now.toISOString(),
    env: config.env,
    personas: policy ? personaNames(policy) : [],
    datasets,
    flows: [...flows.values()],
    reached: [...reached].map(([dataset, layer]) => ({ dataset, layer })),
    requests,
    findings: input.findings ?? [],
    summary: {
      datasets: datasets.length,
      piiColumns: count(datasets, 'pii'),
      confidentialColumns: count(datasets, 'confidential'),
      clearPiiReaders: [
        ...new Set(
          datasets.flatMap((d) =>
            d.columns
              .filter((c) => c.classification === 'pii')
              .flatMap((c) => c.readers.filter((r) => r.visibility === 'clear'))
              .map((r) => r.persona),
          ),
        ),
      ].sort(),
      openRequests: open.length,
      overdueRequests: open.filter((r) => r.overdue).length,
    },
  };
}

/** `gold.customer_360.email` → `gold.customer_360` (dataset ids have one dot). */
function datasetOf(columnRef: string): string {
  return columnRef.split('.').slice(0, 2).join('.');
}

function count(datasets: readonly ImpactDataset[], classification: Classification): number {
  return datasets.reduce(
    (n, d) => n + d.columns.filter((c) => c.classification === classification).length,
    0,
  );
}

/** How long a dataset's rows are kept, in words, from the contract or config that decides it. */
function retentionOf(
  config: PlatformConfig,
  rules: Readonly<Record<string, RetentionRule>>,
  contract: Contract,
): string {
  const layer = contract.layer;
  const rule = rules[contract.relation] ?? rules[layer];
  if (rule) return `${rule.days} days (${rule.declaredBy})`;
  const versions = config.storage.lifecycle.bronze.noncurrentVersionExpirationDays;
  if (layer === 'bronze')
    return `kept; replaced object versions expire after ${versions} days (storage.lifecycle.bronze)`;
  return 'rebuilt from bronze; follows bronze';
}
