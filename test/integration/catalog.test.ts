import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { LocalCatalogWriter } from '../../lambdas/adapters/local/catalog-writer';
import { loadProject, type Project } from '../../lambdas/definitions/project-files';
import {
  buildCatalog,
  DatasetStatuses,
  searchCatalog,
  tableParameters,
  withCurrentRun,
} from '../../lambdas/core/catalog';
import { QualityStore } from '../../lambdas/core/dq/store';
import { buildLineageGraph } from '../../lambdas/core/lineage/graph';
import { RunHistory } from '../../lambdas/core/runs';
import type { DatasetStats } from '../../lambdas/core/stats';
import { createCatalogSyncHandler } from '../../lambdas/handlers/catalog-sync';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { silentLogger } from '../helpers/clock';
import { emptyLakehouse } from '../helpers/lake';
import { MemoryObjectStore } from '../helpers/memory-store';
import { loadAccessPolicy } from '../../lambdas/definitions/source-files';
import { accessMatrix, personaNames } from '../../lambdas/core/access/policy';
import type { LakePermissions } from '../../lambdas/core/access/sync';

const stats = (dataset: string, rowsOut: number): DatasetStats => ({
  dataset,
  layer: 'gold',
  rowsIn: rowsOut,
  rowsOut,
  quarantined: 0,
  duplicates: 0,
  inserted: rowsOut,
  updated: 0,
  deleted: 0,
  seconds: 1,
});

describe('the catalog', () => {
  let project: Project;
  beforeAll(async () => {
    project = await loadProject({ root: projectRoot });
  });
  const catalog = (statuses = new Map(), now = new Date('2026-01-03T00:00:00Z')) =>
    buildCatalog(project.contracts, statuses, now, buildLineageGraph(project).datasetEdges);

  it('search finds PII columns by their classification, and says which', () => {
    const hits = searchCatalog(catalog(), 'PII');
    const byDataset = Object.fromEntries(hits.map((h) => [h.entry.dataset, h.matches]));
    expect(byDataset['gold.customer_360']).toEqual([
      'column full_name (pii)',
      'column email (pii)',
    ]);
    expect(byDataset['snowflake.customers']).toEqual(
      expect.arrayContaining(['column email (pii)', 'column phone (pii)']),
    );
    // Every dataset found has a column classified pii, and every such dataset is found.
    const withPii = project.contracts
      .all()
      .filter((c) => c.properties.some((p) => p.classification === 'pii'))
      .map((c) => c.id)
      .sort();
    expect(hits.map((h) => h.entry.dataset).sort()).toEqual(withPii);
  });

  it('search looks at names, owners, domains, tags and descriptions, datasets before columns', () => {
    const revenue = searchCatalog(catalog(), 'revenue');
    expect(revenue[0]!.matches).toContain('tag revenue');
    expect(revenue.slice(0, 2).map((h) => h.entry.dataset)).toEqual([
      'gold.fact_orders',
      'gold.revenue_daily',
    ]);
    expect(revenue.map((h) => h.entry.dataset)).toContain('gold.customer_360');
    expect(searchCatalog(catalog(), 'analytics-engineering').map((h) => h.matches[0])).toEqual(
      expect.arrayContaining(['owner analytics-engineering']),
    );
    expect(searchCatalog(catalog(), 'no such thing anywhere')).toEqual([]);
  });

  it('an entry has its neighbours, and freshness against the SLA from the last update', () => {
    const statuses = new Map([
      [
        'gold.fact_orders',
        { dataset: 'gold.fact_orders', lastRunId: 'r1', updatedAt: '2026-01-01T12:00:00.000Z' },
      ],
    ]);
    const entry = catalog(statuses).find((e) => e.dataset === 'gold.fact_orders')!;
    expect(entry.upstream).toEqual(['silver.fx_rates', 'silver.order_events', 'silver.orders']);
    expect(entry.downstream).toEqual([
      'gold.customer_360',
      'gold.product_performance',
      'gold.revenue_daily',
    ]);
    expect(entry.freshness).toEqual({ ageHours: 36, slaHours: 24, fresh: false });
  });

  it('a run’s own results overlay the history, and become the table parameters', () => {
    const statuses = withCurrentRun(
      new Map([
        ['gold.fact_orders', { dataset: 'gold.fact_orders', lastRunId: 'r1', dqScore: 90 }],
      ]),
      {
        runId: 'r2',
        at: '2026-01-02T03:00:00.000Z',
        steps: [stats('gold.fact_orders', 120)],
        scores: [
          {
            dataset: 'gold.fact_orders',
            layer: 'gold',
            score: 100,
            rows: 1000,
            checks: 9,
            failedErrors: 0,
            failedWarnings: 0,
          },
        ],
      },
    );
    const entry = catalog(statuses).find((e) => e.dataset === 'gold.fact_orders')!;
    expect(tableParameters(entry)).toEqual({
      contract_version: project.contracts.get('gold.fact_orders').version,
      last_run_id: 'r2',
      row_count: '1000',
      dq_score: '100',
      updated_at: '2026-01-02T03:00:00.000Z',
    });
    const untouched = catalog().find((e) => e.dataset === 'gold.dim_date')!;
    expect(tableParameters(untouched)).toEqual({ contract_version: untouched.version });
  });
});

describe('dataset statuses and the catalog sync, on DuckDB', () => {
  let lakehouse: DuckDbLakehouse;
  let close: () => void;
  let project: Project;
  beforeEach(async () => {
    ({ lakehouse, close } = await emptyLakehouse());
    project = await loadProject({ root: projectRoot });
  });
  afterEach(() => close());

  const record = async (runId: string, startedAt: string, rows: number) => {
    const history = new RunHistory(lakehouse);
    const run = { runId, job: 'daily', env: 'local', runDate: startedAt.slice(0, 10), startedAt };
    await history.started({ ...run, status: 'running' });
    await history.finished(
      { ...run, status: 'succeeded', endedAt: startedAt.replace('T02', 'T03'), seconds: 3600 },
      [{ ...stats('gold.fact_orders', rows), step: 'silver_to_gold' }],
    );
  };

  it('reads each dataset’s last run, rows and score from the audit tables', async () => {
    await record('r1', '2026-01-01T02:00:00.000Z', 10);
    await record('r2', '2026-01-02T02:00:00.000Z', 20);
    await new QualityStore(lakehouse).save([
      {
        runId: 'r2',
        runDate: '2026-01-02',
        at: '2026-01-02T03:30:00.000Z',
        quality: {
          dataset: 'gold.fact_orders',
          layer: 'gold',
          score: 97.5,
          rows: 30,
          checks: 9,
          failedErrors: 0,
          failedWarnings: 1,
        },
        profile: { dataset: 'gold.fact_orders', rows: 30, columns: [] },
        results: [],
      },
    ]);
    const statuses = new DatasetStatuses(lakehouse);
    expect((await statuses.all()).get('gold.fact_orders')).toEqual({
      dataset: 'gold.fact_orders',
      lastRunId: 'r2',
      updatedAt: '2026-01-02T03:00:00.000Z',
      rowsWritten: 20,
      dqScore: 97.5,
      rowCount: 30,
      checkedAt: '2026-01-02T03:30:00.000Z',
    });
    expect((await statuses.history('gold.fact_orders', 5)).map((r) => r.run_id)).toEqual([
      'r2',
      'r1',
    ]);
  });

  it('the sync writes every existing table’s parameters and comments, and reports those not built yet', async () => {
    await record('r1', '2026-01-01T02:00:00.000Z', 10);
    await lakehouse.execute('create table gold.fact_orders (order_id bigint)');
    const store = new MemoryObjectStore();
    const sync = createCatalogSyncHandler({
      contracts: project.contracts,
      statuses: new DatasetStatuses(lakehouse),
      writer: new LocalCatalogWriter(store, lakehouse),
      clock: { now: () => new Date('2026-01-02T04:00:00.000Z') },
      logger: silentLogger,
    });
    const result = await sync({
      runId: 'r2',
      request: {
        date: '2026-01-02',
        gold: { step: 'silver_to_gold', datasets: [stats('gold.fact_orders', 25)] },
      },
    });
    expect(result.updated).toBe(1);
    expect(result.missing).toHaveLength(project.contracts.all().length - 1);
    const written = JSON.parse((await store.getText('catalog/gold/fact_orders.json'))!) as {
      parameters: Record<string, string>;
      columnComments: Record<string, string>;
    };
    expect(written.parameters).toEqual({
      contract_version: project.contracts.get('gold.fact_orders').version,
      last_run_id: 'r2',
      updated_at: '2026-01-02T04:00:00.000Z',
    });
    expect(written.columnComments.order_id).toBe('Order identifier. [internal]');
  });
  it('on AWS the sync then applies the access policy to the tables runs created; locally it is not wired', async () => {
    const policy = (await loadAccessPolicy(projectRoot, 'dev'))!;
    const applied: string[] = [];
    const permissions: LakePermissions = {
      listTables: async () => [{ relation: 'gold.fact_orders', columns: ['order_id'] }],
      listFilters: async () => [],
      createFilter: async (f) => void applied.push(`filter ${f.name} ${f.relation}`),
      updateFilter: async () => {},
      deleteFilter: async () => {},
      grantSelect: async (f) => void applied.push(`grant ${f.persona}`),
      tagColumns: async (relation, classification, columns) =>
        void applied.push(`tag ${relation} ${columns.join(',')}=${classification}`),
      listViews: async () => [],
      defineView: async (v) => void applied.push(`view ${v.database}.${v.name}`),
      dropView: async () => {},
    };
    const handler = (access?: Parameters<typeof createCatalogSyncHandler>[0]['access']) =>
      createCatalogSyncHandler({
        contracts: project.contracts,
        statuses: new DatasetStatuses(lakehouse),
        writer: new LocalCatalogWriter(new MemoryObjectStore(), lakehouse),
        clock: { now: () => new Date('2026-01-02T04:00:00.000Z') },
        logger: silentLogger,
        ...(access ? { access } : {}),
      });
    const event = { runId: 'r2', request: { date: '2026-01-02' } };
    expect((await handler()(event)).access).toBeUndefined();
    const context = {
      project: 'medallion',
      dialect: lakehouse.dialect,
      naming: { database: (persona: string, schema: string) => `${persona}_${schema}` },
    };
    const result = await handler({ policy, permissions, context })(event);
    const readers = personaNames(policy).filter((p) =>
      accessMatrix(policy, [
        {
          relation: 'gold.fact_orders',
          columns: [{ name: 'order_id', classification: 'internal' }],
        },
      ]).some((m) => m.persona === p && m.visibility === 'clear'),
    );
    expect(result.access).toEqual({
      tables: 1,
      created: readers.length,
      updated: 0,
      removed: 0,
      granted: readers.length,
      views: readers.length,
      viewsDefined: readers.length,
      viewsDropped: 0,
    });
    expect(applied).toContain('tag gold.fact_orders order_id=internal');
    expect(applied.filter((a) => a.startsWith('view ')).sort()).toEqual(
      readers.map((p) => `view ${p}_gold.fact_orders`).sort(),
    );
    expect(applied.filter((a) => a.startsWith('grant ')).sort()).toEqual(
      readers.map((p) => `grant ${p}`).sort(),
    );
  });
});
