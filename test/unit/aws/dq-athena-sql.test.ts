/**
 * The quality gate's SQL as Athena gets it: every profile, check and evidence statement for the
 * project's silver and gold contracts (and a contract using every kind of rule), rendered with
 * the Athena dialect, must parse with the Trino grammar.
 */
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import { athenaDialect } from '../../../lambdas/adapters/aws/athena-dialect';
import { loadContracts } from '../../../lambdas/definitions/source-files';
import { lakeSchemas, type LakeSchema } from '../../../lambdas/core/aws-names';
import { ContractRegistry, parseContract } from '../../../lambdas/core/contracts/contract';
import { DatasetStatuses } from '../../../lambdas/core/catalog';
import { checkLayerQuality } from '../../../lambdas/core/dq/layer';
import { gateScope } from '../../../lambdas/core/models/layer';
import { loadProject } from '../../../lambdas/definitions/project-files';
import { profileDataset } from '../../../lambdas/core/dq/profile';
import type { Row, SqlEngine } from '../../../lambdas/core/ports';
import { projectRoot } from '../../../lambdas/definitions/project-root';
import { ManualClock } from '../../helpers/clock';
import { memoryLineage } from '../../helpers/lineage';

const trino = new TrinoSQL();
const dialect = athenaDialect({
  project: 'medallion',
  env: 'dev',
  locations: Object.fromEntries(lakeSchemas.map((s) => [s, `s3://b/${s}/`])) as Record<
    LakeSchema,
    string
  >,
  mergeTargets: [],
});

/** An engine that records every statement and answers with rows shaped like Athena's. */
function recordingEngine(contracts: ContractRegistry) {
  const statements: string[] = [];
  const engine: SqlEngine = {
    dialect,
    execute: async (sql) => {
      statements.push(sql);
      return 0;
    },
    query: async <T extends Row>(sql: string) => {
      statements.push(sql);
      if (sql.includes('"failing"')) return [{ total: 10, failing: 1 }] as unknown as T[];
      if (sql.includes('"newest"'))
        return [{ total: 10, newest: '2026-01-02 10:00:00.000' }] as unknown as T[];
      if (sql.startsWith('select count(*) as "rows"')) return [{ rows: 10 }] as unknown as T[];
      if (sql.includes('"value"') && sql.includes('history')) return [] as T[];
      return [{ value: 1, total: 10 }] as unknown as T[];
    },
    refreshSources: async () => {},
    transaction: async (work) => work(),
    relationExists: async () => true,
    describe: async (select) => {
      const relation = /from "medallion_dev_(\w+)"\."(\w+)"/.exec(select);
      return contracts.forRelation(`${relation![1]}.${relation![2]}`)?.columns ?? [];
    },
  };
  return { engine, statements };
}

function unparsable(statements: readonly string[]): string[] {
  return [...new Set(statements)].flatMap((sql) => {
    const errors = trino.validate(sql);
    return errors.length === 0
      ? []
      : [
          `${errors.map((e) => `${e.startLine}:${e.startColumn} ${e.message}`).join('\n')}\n--- in:\n${sql}`,
        ];
  });
}

describe('the quality gate on Athena', () => {
  it.each(['silver', 'gold'] as const)(
    'every statement for the %s contracts parses with the Trino grammar',
    async (layer) => {
      const contracts = await loadContracts(projectRoot);
      const { engine, statements } = recordingEngine(contracts);
      const result = await checkLayerQuality(
        {
          engine,
          contracts,
          clock: new ManualClock(),
          logger: { info: () => {}, warn: () => {} },
          lineage: memoryLineage(contracts).lineage,
        },
        { layer, runId: 'run-1', runDate: '2026-01-02' },
      );
      expect(result.scores.length).toBeGreaterThan(0);
      expect(
        statements.some((s) => s.startsWith('insert into "medallion_dev_audit"."dq_results"')),
      ).toBe(true);
      expect(
        statements.some((s) => s.startsWith('delete from "medallion_dev_audit"."dq_profiles"')),
      ).toBe(true);
      expect(unparsable(statements)).toEqual([]);
      // SQL rules name other datasets as `${silver.orders}`: Athena gets its Glue table.
      expect(statements.filter((s) => s.includes('${'))).toEqual([]);
      // Without a scope, `${rows}` is the whole table: nothing filters on the run.
      expect(statements.filter((s) => s.includes('_run_id ='))).toEqual([]);
    },
  );

  it.each(['silver', 'gold'] as const)(
    'scoped to the rows a run merged, every statement for the %s contracts parses with the Trino grammar',
    async (layer) => {
      const { contracts, models } = await loadProject({ root: projectRoot });
      const { engine, statements } = recordingEngine(contracts);
      await checkLayerQuality(
        {
          engine,
          contracts,
          clock: new ManualClock(),
          logger: { info: () => {}, warn: () => {} },
          lineage: memoryLineage(contracts).lineage,
        },
        {
          layer,
          runId: 'run-1',
          runDate: '2026-01-02',
          scope: gateScope(models, layer, { runDate: '2026-01-02', fullChecks: false, every: 7 }),
        },
      );
      expect(statements.filter((s) => s.includes(`_run_id = 'run-1'`)).length).toBeGreaterThan(0);
      // SQL rules' `${rows}`: the rows the run wrote, of the dataset and of the change feeds.
      if (layer === 'gold')
        for (const scoped of [
          `(select * from "medallion_dev_gold"."fact_orders" where _run_id = 'run-1') f`,
          `(select * from "medallion_dev_changelog"."silver_orders" where _run_id = 'run-1') d`,
          `(select * from "medallion_dev_silver"."customers" where _run_id = 'run-1')`,
        ])
          expect(statements.filter((s) => s.includes(scoped)).length).toBeGreaterThan(0);
      expect(unparsable(statements)).toEqual([]);
    },
  );

  it('a full profile (dq profile) asks Athena for no min, max or quartile of a pii column, and estimates quartiles with approx_percentile', async () => {
    const contracts = await loadContracts(projectRoot);
    const { engine, statements } = recordingEngine(contracts);
    await profileDataset(engine, contracts.get('silver.customers'));
    const profile = statements.find((s) => s.includes('"min_0"'))!;
    expect(profile).toContain('min("customer_id")');
    for (const pii of ['first_name', 'last_name', 'email', 'phone'])
      expect(profile).not.toMatch(new RegExp(`(min|max)\\("${pii}"\\)`));
    // Confidential: no extremes either.
    expect(profile).not.toContain('min("city")');
    expect(statements.some((s) => s.includes('approx_percentile('))).toBe(true);
    expect(unparsable(statements)).toEqual([]);
  });

  it('the gate profiles each dataset in one scan of what its checks read: the row count, the newest freshness value, the anomaly metrics', async () => {
    const contracts = await loadContracts(projectRoot);
    const { engine, statements } = recordingEngine(contracts);
    await checkLayerQuality(
      {
        engine,
        contracts,
        clock: new ManualClock(),
        logger: { info: () => {}, warn: () => {} },
        lineage: memoryLineage(contracts).lineage,
      },
      { layer: 'silver', runId: 'run-1', runDate: '2026-01-02' },
    );
    const scans = (relation: string) =>
      statements.filter((s) => s.startsWith('select count(*) as "rows"') && s.includes(relation));
    // silver.customers: a nullPercent anomaly rule on one column, a freshness SLA.
    expect(scans('"medallion_dev_silver"."customers"')).toEqual([
      'select count(*) as "rows", count("email") as "nn_0", cast(max("updated_at") as varchar) as "max_1" from "medallion_dev_silver"."customers"',
    ]);
    // No profile computes what no check reads: distinct counts, quartiles, top values.
    for (const unread of ['approx_distinct(', 'approx_percentile(', '"column_index"'])
      expect(statements.filter((s) => s.includes(unread))).toEqual([]);
  });

  it('every kind of rule renders as Trino SQL', async () => {
    const contract = parseContract(
      `apiVersion: v3.1.0
kind: DataContract
id: silver.things
name: things
version: 1.0.0
status: active
team: { name: t }
description: { purpose: p }
slaProperties: [{ property: freshness, value: 6, unit: h, element: things.updated_at }]
schema:
  - name: things
    physicalName: silver.things
    quality:
      - { metric: rowCount, mustBeBetween: [1, 1000000] }
      - { name: positive, type: sql, query: 'select count(*) from \${table} where amount <= 0', mustBe: 0 }
      - { name: pairs, metric: duplicateValues, arguments: { properties: [id, code] } }
      - { name: volume, type: custom, engine: medallion, implementation: { anomaly: { metric: rowCount, method: zscore } } }
    properties:
      - { name: id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true, unique: true }
      - name: code
        logicalType: string
        physicalType: VARCHAR
        logicalTypeOptions: { pattern: '^[A-Z]{3}$', minLength: 3, maxLength: 3 }
        quality:
          - { metric: missingValues, arguments: { missingValues: ['', N/A] }, mustBeLessThan: 5, unit: percent }
          - { metric: invalidValues, arguments: { pattern: '^[A-Z]+$' }, mustBeLessOrEqualTo: 2 }
          - { name: code_nulls, type: custom, engine: medallion, implementation: { anomaly: { metric: nullPercent, method: change, maxChange: 0.2 } } }
      - name: amount
        logicalType: number
        physicalType: 'DECIMAL(12,2)'
        logicalTypeOptions: { minimum: 0, exclusiveMaximum: 100 }
        quality:
          - { name: amount_median, type: custom, engine: medallion, implementation: { anomaly: { metric: median, method: change, maxChange: 0.5 } } }
          - { name: amount_spread, type: custom, engine: medallion, implementation: { anomaly: { metric: distinctCount, method: change, maxChange: 0.5 } } }
      - { name: parent_id, logicalType: integer, physicalType: BIGINT, relationships: [{ to: things.id }] }
      - { name: updated_at, logicalType: timestamp, physicalType: TIMESTAMP, logicalTypeOptions: { minimum: '2020-01-01T00:00:00Z' } }
`,
      'config/contracts/silver.things.yaml',
    );
    const contracts = new ContractRegistry([contract]);
    const { engine, statements } = recordingEngine(contracts);
    await checkLayerQuality(
      {
        engine,
        contracts,
        clock: new ManualClock(),
        logger: { info: () => {}, warn: () => {} },
        lineage: memoryLineage(contracts).lineage,
      },
      { layer: 'silver', runId: 'run-1', runDate: '2026-01-02' },
    );
    expect(statements.some((s) => s.includes('approx_percentile('))).toBe(true);
    expect(statements.some((s) => s.includes('left join (select distinct "id"'))).toBe(true);
    expect(unparsable(statements)).toEqual([]);
  });
});

describe('the catalog on Athena', () => {
  it('the statuses and run history the catalog sync reads parse with the Trino grammar', async () => {
    const contracts = await loadContracts(projectRoot);
    const { engine, statements } = recordingEngine(contracts);
    const statuses = new DatasetStatuses({
      ...engine,
      query: async <T extends Row>(sql: string) => {
        statements.push(sql);
        return [] as T[];
      },
    });
    await statuses.all();
    await statuses.history('gold.fact_orders', 5);
    expect(statements).toHaveLength(2);
    expect(statements.every((s) => s.includes('"medallion_dev_audit"."runs"'))).toBe(true);
    expect(unparsable(statements)).toEqual([]);
  });
});
