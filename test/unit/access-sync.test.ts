import { describe, expect, it } from 'vitest';
import type { Classification } from '../../config/access-schema';
import type { CellsFilter } from '../../lambdas/core/access/cells';
import { parseAccessPolicy } from '../../lambdas/core/access/policy';
import {
  planAccessSync,
  syncLakeAccess,
  type ExistingFilter,
  type LakePermissions,
} from '../../lambdas/core/access/sync';
import { maskExpression } from '../../lambdas/core/access/masking';
import type { ExistingView } from '../../lambdas/core/access/persona-views';
import { ContractRegistry, parseContract } from '../../lambdas/core/contracts/contract';
import { testAthenaDialect } from '../helpers/athena';

const policy = parseAccessPolicy(
  `
personas:
  analyst:
    layers: [gold]
    columns: { public: clear, internal: clear, confidential: masked, pii: hidden }
    rows: { column: country_code, in: [US] }
  privacy_officer:
    layers: [gold]
    columns: { public: clear, internal: clear, confidential: clear, pii: clear }
`,
  'config/access.yaml',
  'dev',
);

const contracts = new ContractRegistry([
  parseContract(
    `
apiVersion: v3.1.0
kind: DataContract
id: gold.customers
name: customers
version: 1.0.0
status: active
domain: sales
team: { name: analytics-engineering }
description: { purpose: Customers. }
schema:
  - name: customers
    physicalName: gold.customers
    physicalType: table
    logicalType: object
    properties:
      - { name: customer_id, logicalType: integer, physicalType: BIGINT, classification: internal, primaryKey: true, required: true }
      - { name: email, logicalType: string, physicalType: VARCHAR, classification: pii }
      - { name: segment, logicalType: string, physicalType: VARCHAR, classification: confidential }
      - { name: country_code, logicalType: string, physicalType: VARCHAR, classification: public }
`,
    'config/contracts/gold.customers.yaml',
  ),
]);

const filter = (persona: string, columnNames: string[], rowFilter?: string): CellsFilter => ({
  persona,
  relation: 'gold.customers',
  name: `medallion_${persona}`,
  columnNames,
  ...(rowFilter ? { rowFilter } : {}),
});

describe('planning the access sync', () => {
  const analyst = filter('analyst', ['customer_id', 'country_code'], "country_code IN ('US')");

  it('creates what is missing, updates what differs, removes our filters no longer wanted, leaves others’ alone', () => {
    const existing: ExistingFilter[] = [
      { ...analyst, columnNames: ['customer_id', 'country_code', 'segment'] },
      { relation: 'gold.customers', name: 'medallion_former_persona', columnNames: ['email'] },
      { relation: 'gold.customers', name: 'someone_elses', columnNames: ['email'] },
    ];
    const officer = filter('privacy_officer', ['customer_id', 'email']);
    const plan = planAccessSync([analyst, officer], existing, 'medallion');
    expect(plan.create).toEqual([officer]);
    expect(plan.update).toEqual([analyst]);
    expect(plan.remove.map((f) => f.name)).toEqual(['medallion_former_persona']);
    expect(plan.grant).toEqual([analyst, officer]);
  });

  it('changes nothing when the lake already holds the policy', () => {
    const plan = planAccessSync([analyst], [analyst], 'medallion');
    expect(plan).toMatchObject({ create: [], update: [], remove: [] });
  });
});

const dialect = testAthenaDialect();
const context = {
  project: 'medallion',
  dialect,
  naming: { database: (persona: string, schema: string) => `medallion_dev_${persona}_${schema}` },
};

/** Lake Formation in memory: filters, grants, column tags and persona views, as the adapter would leave them. */
function memoryLake(listed: { relation: string; columns: string[]; source?: string }[]) {
  const views = new Map<string, ExistingView>();
  const filters = new Map<string, ExistingFilter>();
  const grants = new Set<string>();
  const tags = new Map<string, Classification>();
  const key = (f: { relation: string; name: string }) => `${f.relation} ${f.name}`;
  const calls: string[] = [];
  const permissions: LakePermissions = {
    listTables: async () => listed,
    listFilters: async () => [...filters.values()],
    createFilter: async (f) => void (calls.push(`create ${f.name}`), filters.set(key(f), f)),
    updateFilter: async (f) => void (calls.push(`update ${f.name}`), filters.set(key(f), f)),
    deleteFilter: async (f) => void (calls.push(`delete ${f.name}`), filters.delete(key(f))),
    grantSelect: async (f) => void grants.add(`${f.persona} ${key(f)}`),
    tagColumns: async (relation, classification, columns) => {
      for (const c of columns) tags.set(`${relation}.${c}`, classification);
    },
    listViews: async (databases) =>
      [...views.values()].filter((v) => databases.includes(v.database)),
    defineView: async (v) =>
      void (calls.push(`define ${v.database}.${v.name}`), views.set(`${v.database}.${v.name}`, v)),
    dropView: async (v) =>
      void (calls.push(`drop ${v.database}.${v.name}`), views.delete(`${v.database}.${v.name}`)),
  };
  return { permissions, filters, grants, tags, calls, views };
}

describe('the access sync', () => {
  const listed = [
    { relation: 'gold.customers', columns: ['customer_id', 'email', 'segment', 'country_code'] },
  ];

  it('leaves each persona a filter of its clear columns and rows, granted, and every column tagged', async () => {
    const lake = memoryLake(listed);
    const result = await syncLakeAccess(policy, contracts, lake.permissions, context);
    expect(result).toEqual({
      tables: 1,
      created: 2,
      updated: 0,
      removed: 0,
      granted: 2,
      views: 2,
      viewsDefined: 2,
      viewsDropped: 0,
    });
    expect([...lake.filters.values()]).toEqual([
      filter('analyst', ['customer_id', 'country_code'], "country_code IN ('US')"),
      filter('privacy_officer', ['customer_id', 'email', 'segment', 'country_code']),
    ]);
    expect([...lake.grants].sort()).toEqual([
      'analyst gold.customers medallion_analyst',
      'privacy_officer gold.customers medallion_privacy_officer',
    ]);
    expect(Object.fromEntries(lake.tags)).toEqual({
      'gold.customers.customer_id': 'internal',
      'gold.customers.email': 'pii',
      'gold.customers.segment': 'confidential',
      'gold.customers.country_code': 'public',
    });
  });

  it('leaves the cost reports table to the Access stack: no filter, tag or view over it', async () => {
    const auditors = parseAccessPolicy(
      `
personas:
  auditor:
    layers: [audit]
    columns: { public: clear, internal: clear, confidential: masked, pii: masked }
`,
      'config/access.yaml',
      'dev',
    );
    const lake = memoryLake([
      { relation: 'audit.runs', columns: ['run_id', 'job'] },
      { relation: 'audit.cost_reports', columns: ['report_day', 'dimension', 'key'] },
    ]);
    const result = await syncLakeAccess(auditors, contracts, lake.permissions, context);
    expect(result.tables).toBe(1);
    expect([...lake.filters.values()].map((f) => f.relation)).toEqual(['audit.runs']);
    expect([...lake.tags.keys()].filter((c) => c.startsWith('audit.cost_reports'))).toEqual([]);
    expect([...lake.views.values()].map((v) => v.name)).not.toContain('cost_reports');
  });

  it('a second run changes no filter', async () => {
    const lake = memoryLake(listed);
    await syncLakeAccess(policy, contracts, lake.permissions, context);
    lake.calls.length = 0;
    const again = await syncLakeAccess(policy, contracts, lake.permissions, context);
    expect(again).toMatchObject({ created: 0, updated: 0, removed: 0, viewsDefined: 0 });
    expect(lake.calls).toEqual([]);
  });

  it('serves a persona its masked columns masked through a view of its own, never in its filter', async () => {
    const lake = memoryLake(listed);
    await syncLakeAccess(policy, contracts, lake.permissions, context);
    const analyst = lake.views.get('medallion_dev_analyst_gold.customers') as
      { select: string } | undefined;
    // The access policy's hash mask, the same expression `query --as` uses locally.
    expect(analyst?.select).toBe(
      `select "customer_id", ${maskExpression('hash', '"segment"', dialect)} as "segment", "country_code" from "medallion_dev_gold"."customers" where "country_code" in ('US')`,
    );
    expect(analyst?.select).toContain('lower(to_hex(sha256(to_utf8(lower(');
    expect(lake.filters.get('gold.customers medallion_analyst')?.columnNames).not.toContain(
      'segment',
    );
    expect(lake.views.get('medallion_dev_privacy_officer_gold.customers')).toMatchObject({
      select:
        'select "customer_id", "email", "segment", "country_code" from "medallion_dev_gold"."customers"',
    });
  });

  it('reads a model published as a view at its current version, with no filter on either', async () => {
    const lake = memoryLake([
      {
        relation: 'gold.customers',
        columns: ['customer_id', 'email', 'segment', 'country_code'],
        source: 'gold.customers__v20260102_ab12cd34',
      },
      {
        relation: 'gold.customers__v20260102_ab12cd34',
        columns: ['customer_id', 'email', 'segment', 'country_code'],
      },
    ]);
    const result = await syncLakeAccess(policy, contracts, lake.permissions, context);
    expect(result).toMatchObject({ created: 0, granted: 0, views: 2 });
    expect(lake.views.get('medallion_dev_privacy_officer_gold.customers')).toMatchObject({
      select:
        'select "customer_id", "email", "segment", "country_code" from "medallion_dev_gold"."customers__v20260102_ab12cd34"',
    });
    expect(Object.keys(Object.fromEntries(lake.tags))).toEqual([]);
  });

  it('redefines a view whose definition changed and drops views the policy no longer wants', async () => {
    const lake = memoryLake(listed);
    await syncLakeAccess(policy, contracts, lake.permissions, context);
    lake.views.set('medallion_dev_analyst_gold.customers', {
      database: 'medallion_dev_analyst_gold',
      name: 'customers',
      select: 'select * from "medallion_dev_gold"."customers"',
    });
    lake.views.set('medallion_dev_analyst_gold.orders', {
      database: 'medallion_dev_analyst_gold',
      name: 'orders',
    });
    lake.calls.length = 0;
    const result = await syncLakeAccess(policy, contracts, lake.permissions, context);
    expect(result).toMatchObject({ viewsDefined: 1, viewsDropped: 1 });
    expect(lake.calls).toEqual([
      'drop medallion_dev_analyst_gold.orders',
      'define medallion_dev_analyst_gold.customers',
    ]);
  });
});
