import { describe, expect, it } from 'vitest';
import { judgeAnomaly } from '../../lambdas/core/dq/anomaly';
import { describeThreshold, meets, type AnomalyRule } from '../../lambdas/core/dq/checks';
import { valuesShown, type ColumnProfile } from '../../lambdas/core/dq/profile';
import { qualityScore, type CheckResult } from '../../lambdas/core/dq/run';
import { sqlRuleQuery, unknownRuleReferences } from '../../lambdas/core/dq/scope';
import { suggestRules } from '../../lambdas/core/dq/suggest';
import { parseContract } from '../../lambdas/core/contracts/contract';
import { QualityStore, type QualityEvidence } from '../../lambdas/core/dq/store';
import { notPassedRows, type QualityReport } from '../../lambdas/core/dq/report';
import type { SqlEngine } from '../../lambdas/core/ports';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';

const zscore: AnomalyRule = {
  metric: 'rowCount',
  method: 'zscore',
  maxChange: 0.5,
  k: 3,
  window: 10,
  minHistory: 5,
};
const change: AnomalyRule = { ...zscore, method: 'change', minHistory: 1 };
/** Ten earlier runs around 1,000 rows, newest first. */
const steady = [1010, 990, 1005, 995, 1000, 1002, 998, 1003, 997, 1000];

describe('anomaly detection', () => {
  it('cold start: fewer runs than minHistory is "not enough history", never a failure', () => {
    expect(judgeAnomaly(zscore, 5_000_000, [1000, 1000])).toEqual({
      status: 'skip',
      score: null,
      message: 'not enough history: 2 earlier run(s), 5 needed',
    });
    expect(judgeAnomaly(change, 10, [])).toMatchObject({ status: 'skip' });
  });

  it('a value within mean ± kσ passes; a spike and a drop fail', () => {
    expect(judgeAnomaly(zscore, 1004, steady)).toMatchObject({ status: 'pass' });
    const spike = judgeAnomaly(zscore, 1500, steady);
    expect(spike.status).toBe('fail');
    expect(spike.score).toBeGreaterThan(3);
    expect(spike.message).toBe('1,500 against 1,000 ± 5.538 over 10 run(s): z = 90.29 (at most 3)');
    expect(judgeAnomaly(zscore, 400, steady)).toMatchObject({ status: 'fail' });
  });

  it('uses only the last `window` runs as the baseline', () => {
    const history = [1000, 1001, 999, 1000, 1002, 10, 10, 10, 10, 10];
    expect(judgeAnomaly({ ...zscore, window: 5 }, 1001, history)).toMatchObject({ status: 'pass' });
    expect(judgeAnomaly({ ...zscore, window: 10 }, 1001, history).score).toBeLessThan(3);
  });

  it('a constant history allows only that constant', () => {
    const flat = [50, 50, 50, 50, 50];
    expect(judgeAnomaly(zscore, 50, flat)).toMatchObject({ status: 'pass', score: 0 });
    expect(judgeAnomaly(zscore, 51, flat)).toMatchObject({ status: 'fail', score: Infinity });
  });

  it('the change method compares with the last run only', () => {
    expect(judgeAnomaly(change, 1400, [1000, 10])).toMatchObject({ status: 'pass', score: 0.4 });
    expect(judgeAnomaly(change, 1600, [1000])).toMatchObject({
      status: 'fail',
      message: '1,600 against 1,000 last run: 60.0% change (at most 50%)',
    });
    expect(judgeAnomaly(change, 400, [1000])).toMatchObject({ status: 'fail' });
    expect(judgeAnomaly(change, 1, [0])).toMatchObject({ status: 'fail', score: Infinity });
    expect(judgeAnomaly(change, 0, [0])).toMatchObject({ status: 'pass' });
  });

  it('no value this run (an empty dataset) is skipped', () => {
    expect(judgeAnomaly(zscore, null, steady)).toMatchObject({ status: 'skip' });
  });
});

describe('thresholds', () => {
  it('compare with every ODCS operator', () => {
    expect(meets(0, { operator: 'mustBe', value: 0, unit: 'rows' })).toBe(true);
    expect(meets(1, { operator: 'mustNotBe', value: 0, unit: 'rows' })).toBe(true);
    expect(meets(5, { operator: 'mustBeLessOrEqualTo', value: 5, unit: 'percent' })).toBe(true);
    expect(meets(5, { operator: 'mustBeLessThan', value: 5, unit: 'percent' })).toBe(false);
    expect(meets(1, { operator: 'mustBeGreaterThan', value: 0, unit: 'rows' })).toBe(true);
    expect(meets(0, { operator: 'mustBeGreaterOrEqualTo', value: 1, unit: 'rows' })).toBe(false);
    expect(meets(3, { operator: 'mustBeBetween', value: [1, 3], unit: 'rows' })).toBe(true);
    expect(meets(3, { operator: 'mustNotBeBetween', value: [1, 3], unit: 'rows' })).toBe(false);
    expect(describeThreshold({ operator: 'mustBeLessOrEqualTo', value: 5, unit: 'percent' })).toBe(
      'is at most 5%',
    );
  });
});

describe("a SQL rule's query", () => {
  const query =
    'select count(*) from ${rows} f join ${table} t on t.id = f.id join ${rows:silver.orders} o on o.id = f.id join ${silver.fx_rates} r on r.id = f.id';

  it('scoped, reads the rows the run wrote as ${rows}, every other reference whole', () => {
    const scope = { runId: "run-'1", firstBuild: false, uniqueKey: null, enforced: null };
    expect(sqlRuleQuery(query, 'gold.facts', duckdbDialect, scope)).toBe(
      `select count(*) from (select * from "gold"."facts" where _run_id = 'run-''1') f join "gold"."facts" t on t.id = f.id join (select * from "silver"."orders" where _run_id = 'run-''1') o on o.id = f.id join "silver"."fx_rates" r on r.id = f.id`,
    );
  });

  it('unscoped (a full check, a table model) or after a first build, reads every reference whole', () => {
    const whole =
      'select count(*) from "gold"."facts" f join "gold"."facts" t on t.id = f.id join "silver"."orders" o on o.id = f.id join "silver"."fx_rates" r on r.id = f.id';
    expect(sqlRuleQuery(query, 'gold.facts', duckdbDialect, undefined)).toBe(whole);
    const first = { runId: 'run-1', firstBuild: true, uniqueKey: null, enforced: null };
    expect(sqlRuleQuery(query, 'gold.facts', duckdbDialect, first)).toBe(whole);
  });

  it('names what it cannot stand for', () => {
    expect(unknownRuleReferences(query)).toEqual([]);
    expect(
      unknownRuleReferences('select ${row} from ${rows:orders} join ${Silver.x} where ${table'),
    ).toEqual(['${row}', '${rows:orders}', '${Silver.x}', '${table']);
  });
});

describe('the quality score', () => {
  const result = (fields: Partial<CheckResult>): CheckResult => ({
    dataset: 'silver.things',
    check: 'c',
    kind: 'rows',
    column: null,
    severity: 'error',
    dimension: 'completeness',
    description: '',
    status: 'pass',
    observed: 0,
    expected: '',
    failingRows: 0,
    totalRows: 100,
    sample: [],
    message: '',
    ...fields,
  });

  it('is the share of checks passed, weighed 3 for errors, 1 for warnings and 0 for info', () => {
    expect(qualityScore([])).toBe(100);
    expect(
      qualityScore([result({}), result({ severity: 'info', status: 'fail', failingRows: 100 })]),
    ).toBe(100);
    // A passed error check earns 3 of 3; a failed warning earns 0 of 1, however few rows failed.
    expect(
      qualityScore([
        result({}),
        result({
          kind: 'row_count',
          severity: 'warning',
          status: 'fail',
          failingRows: null,
          totalRows: null,
        }),
      ]),
    ).toBe(75);
    expect(qualityScore([result({ status: 'fail', failingRows: 1 })])).toBe(0);
    // A check that could not run earns nothing; a skipped one does not count.
    expect(qualityScore([result({ status: 'error' }), result({ status: 'skip' })])).toBe(0);
  });
});

describe('what a profile shows of a column’s values', () => {
  it.each([
    ['public', { extremes: true, quartiles: true, topValues: true }],
    ['internal', { extremes: true, quartiles: true, topValues: true }],
    ['confidential', { extremes: false, quartiles: true, topValues: true }],
    ['pii', { extremes: false, quartiles: false, topValues: false }],
  ] as const)('%s: %o', (classification, shown) => {
    expect(valuesShown(classification)).toEqual(shown);
  });
});

describe('rule suggestions', () => {
  const contract = parseContract(
    `apiVersion: v3.1.0
kind: DataContract
id: silver.things
name: things
version: 1.0.0
status: active
team: { name: t }
description: { purpose: p }
schema:
  - name: things
    physicalName: silver.things
    properties:
      - { name: id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }
      - { name: code, logicalType: string, physicalType: VARCHAR }
      - { name: status, logicalType: string, physicalType: VARCHAR }
      - { name: amount, logicalType: number, physicalType: DOUBLE }
      - { name: seen_at, logicalType: timestamp, physicalType: TIMESTAMP }
`,
    'config/contracts/silver.things.yaml',
  );
  const column = (
    fields: Partial<ColumnProfile> & { column: string; type: string },
  ): ColumnProfile => ({
    rows: 100,
    nulls: 0,
    nullPercent: 0,
    distinctCount: 100,
    min: null,
    max: null,
    mean: null,
    stddev: null,
    p25: null,
    median: null,
    p75: null,
    minLength: null,
    avgLength: null,
    maxLength: null,
    topValues: [],
    ...fields,
  });

  it('proposes required, unique, accepted values, a minimum, a fixed length and a volume rule', () => {
    const suggestions = suggestRules(contract, {
      dataset: 'silver.things',
      rows: 100,
      columns: [
        column({ column: 'id', type: 'BIGINT', min: '1', mean: 50 }),
        column({ column: 'code', type: 'VARCHAR', minLength: 3, maxLength: 3 }),
        column({
          column: 'status',
          type: 'VARCHAR',
          nulls: 4,
          nullPercent: 4,
          distinctCount: 2,
          topValues: [
            { value: 'new', count: 60 },
            { value: 'done', count: 36 },
            { value: null, count: 4 },
          ],
        }),
        column({ column: 'amount', type: 'DOUBLE', min: '0.5', mean: 12 }),
        column({ column: 'seen_at', type: 'TIMESTAMP' }),
      ],
    });
    expect(suggestions.map((s) => [s.column, s.because, s.add])).toEqual([
      ['code', 'no NULL in any row', { required: true }],
      ['code', 'every value distinct', { unique: true }],
      [
        'code',
        'every value is 3 characters long',
        { logicalTypeOptions: { minLength: 3, maxLength: 3 } },
      ],
      [
        'status',
        '4% NULL',
        {
          quality: [
            { metric: 'nullValues', mustBeLessOrEqualTo: 8, unit: 'percent', severity: 'warning' },
          ],
        },
      ],
      [
        'status',
        'only 2 distinct value(s)',
        {
          quality: [
            { metric: 'invalidValues', arguments: { validValues: ['done', 'new'] }, mustBe: 0 },
          ],
        },
      ],
      ['amount', 'no NULL in any row', { required: true }],
      ['amount', 'never negative (min 0.5)', { logicalTypeOptions: { minimum: 0 } }],
      ['seen_at', 'no NULL in any row', { required: true }],
      [
        undefined,
        '100 rows now; alert on a jump rather than a fixed number',
        expect.objectContaining({
          quality: [expect.objectContaining({ name: 'things_volume', type: 'custom' })],
        }),
      ],
    ]);
  });

  it('proposes nothing for an empty dataset', () => {
    expect(suggestRules(contract, { dataset: 'silver.things', rows: 0, columns: [] })).toEqual([]);
  });
});

describe('quality evidence', () => {
  const evidence = (dataset: string, message: string): QualityEvidence => ({
    runId: 'run-1',
    runDate: '2026-01-02',
    at: '2026-01-02T03:00:00.000Z',
    quality: {
      dataset,
      layer: 'silver',
      score: 100,
      rows: 1,
      checks: 1,
      failedErrors: 0,
      failedWarnings: 0,
    },
    profile: { dataset, rows: 1, columns: [] },
    results: [
      {
        dataset,
        check: 'id.required',
        kind: 'rows',
        column: 'id',
        severity: 'error',
        dimension: 'completeness',
        description: 'id is required',
        status: 'pass',
        observed: 0,
        expected: '0 rows',
        failingRows: 0,
        totalRows: 1,
        sample: [],
        message,
      },
    ],
  });
  const save = async (all: QualityEvidence[]) => {
    const sent: string[] = [];
    const engine = {
      dialect: duckdbDialect,
      execute: async (sql: string) => (sent.push(sql), 0),
      transaction: (work: () => Promise<unknown>) => work(),
    } as unknown as SqlEngine;
    await new QualityStore(engine).save(all);
    return sent;
  };

  it("a layer's evidence is saved with one INSERT per audit table, not three per dataset", async () => {
    const sent = await save(['silver.a', 'silver.b', 'silver.c'].map((d) => evidence(d, 'ok')));
    expect(sent.map((s) => /^insert into "audit"\."(\w+)"/.exec(s)?.[1])).toEqual([
      'dq_scores',
      'dq_results',
    ]);
    expect(sent[0]!.match(/'silver\.\w'/g)).toEqual(["'silver.a'", "'silver.b'", "'silver.c'"]);
  });

  it("a long one is split below Athena's 256 KB query limit", async () => {
    const sent = await save(
      Array.from({ length: 40 }, (_, i) => evidence(`silver.d${i}`, 'é'.repeat(10_000))),
    );
    const results = sent.filter((s) => s.includes('"dq_results"'));
    expect(results.length).toBeGreaterThan(1);
    for (const statement of results)
      expect(new TextEncoder().encode(statement).length).toBeLessThanOrEqual(262_144);
    expect(results.join().match(/'silver\.d\d+'/g)).toHaveLength(40);
  });
});

describe('the quality report as a table', () => {
  it('lists each check that did not pass with its failing rows, message and first samples', () => {
    const check = {
      check: 'orders_currency_accepted',
      kind: 'acceptedValues',
      column: 'currency',
      severity: 'error',
      dimension: 'validity',
      status: 'fail',
      observed: 2,
      expected: 'in USD, EUR',
      failingRows: 2,
      totalRows: 10,
      message: "2 row(s) with currency not in ('USD', 'EUR')",
      sample: [{ order_id: 1, currency: 'XXX' }, { order_id: 2, currency: 'YYY' }, {}, {}],
    };
    const quality = { layer: 'silver', score: 90, rows: 10, checks: 5, failedWarnings: 0 };
    const report: QualityReport = {
      runId: 'run-1',
      runDate: '2026-01-01',
      datasets: [
        {
          ...quality,
          dataset: 'silver.customers',
          failedErrors: 0,
          trend: [],
          notPassed: [],
          profile: [],
          partialProfile: true,
        },
        {
          ...quality,
          dataset: 'silver.orders',
          failedErrors: 1,
          trend: [],
          notPassed: [check],
          profile: [],
          partialProfile: true,
        },
      ],
    };
    expect(notPassedRows(report, 2)).toEqual([
      {
        dataset: 'silver.orders',
        check: 'orders_currency_accepted',
        severity: 'error',
        status: 'fail',
        'failing rows': 2,
        message: "2 row(s) with currency not in ('USD', 'EUR')",
        sample: '{"order_id":1,"currency":"XXX"}; {"order_id":2,"currency":"YYY"}',
      },
    ]);
  });
});
