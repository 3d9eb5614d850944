import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { ContractRegistry, parseContract } from '../../lambdas/core/contracts/contract';
import { checksFor, type Check } from '../../lambdas/core/dq/checks';
import { gateProfile, profileDataset } from '../../lambdas/core/dq/profile';
import { buildQualityReport } from '../../lambdas/core/dq/report';
import { qualityScore, runChecks, type CheckResult } from '../../lambdas/core/dq/run';
import { QualityStore } from '../../lambdas/core/dq/store';
import type { ConfigError } from '../../lambdas/core/errors';
import { RecordingSqlEngine } from '../../lambdas/core/recording-engine';
import { renderQualityReportHtml } from '../../lambdas/runtime/reports/quality-html';
import { memoryLineage } from '../helpers/lineage';

/** silver.things, with a rule of every kind; silver.parents is what `parent_id` references. */
const things = `
apiVersion: v3.1.0
kind: DataContract
id: silver.things
name: things
version: 1.0.0
status: active
team: { name: data-platform }
description: { purpose: Things. }
slaProperties:
  - { property: freshness, value: 1, unit: d, element: things.updated_at }
schema:
  - name: things
    physicalName: silver.things
    quality:
      - { metric: rowCount, mustBeGreaterThan: 0 }
      - { name: no_negative_amounts, type: sql, query: 'select count(*) from \${table} where amount < 0', mustBe: 0 }
      - { name: code_and_status_unique, metric: duplicateValues, arguments: { properties: [code, status] }, severity: warning }
    properties:
      - { name: id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }
      - name: code
        logicalType: string
        physicalType: VARCHAR
        logicalTypeOptions: { pattern: '^[A-Z]{3}$', maxLength: 3 }
      - name: status
        logicalType: string
        physicalType: VARCHAR
        quality:
          - { metric: invalidValues, arguments: { validValues: [new, done] } }
      - name: amount
        logicalType: number
        physicalType: DECIMAL(12,2)
        logicalTypeOptions: { maximum: 1000 }
      - name: note
        logicalType: string
        physicalType: VARCHAR
        quality:
          - { metric: nullValues, mustBeLessOrEqualTo: 25, unit: percent, severity: warning }
      - name: parent_id
        logicalType: integer
        physicalType: BIGINT
        relationships: [{ to: parents.parent_id }]
      - { name: updated_at, logicalType: timestamp, physicalType: TIMESTAMP }
`;
const parents = `
apiVersion: v3.1.0
kind: DataContract
id: silver.parents
name: parents
version: 1.0.0
status: active
team: { name: data-platform }
description: { purpose: Parents. }
schema:
  - name: parents
    physicalName: silver.parents
    properties:
      - { name: parent_id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }
`;

const registry = new ContractRegistry([
  parseContract(things, 'config/contracts/silver.things.yaml'),
  parseContract(parents, 'config/contracts/silver.parents.yaml'),
]);
const contract = registry.get('silver.things');
const now = new Date('2026-01-03T00:00:00.000Z');

type Thing = [
  number | null,
  string | null,
  string | null,
  number | null,
  string | null,
  number | null,
  string | null,
];
/** Four clean rows: every check passes on them. */
const clean: Thing[] = [
  [1, 'ABC', 'new', 10, 'a', 1, '2026-01-02 10:00:00'],
  [2, 'DEF', 'done', 20, 'b', 1, '2026-01-02 11:00:00'],
  [3, 'GHI', 'new', 30, null, 2, '2026-01-02 12:00:00'],
  [4, 'JKL', null, null, 'd', null, '2026-01-02 13:00:00'],
];

describe('data-quality checks on DuckDB', () => {
  let root: string;
  let lakehouse: DuckDbLakehouse;
  let checks: Check[];

  /** Replaces silver.things with these rows and runs every check. */
  async function check(rows: readonly Thing[]): Promise<Record<string, CheckResult>> {
    await lakehouse.execute(
      'create or replace table silver.things (id bigint, code varchar, status varchar, amount decimal(12,2), note varchar, parent_id bigint, updated_at timestamp)',
    );
    if (rows.length > 0) {
      const literal = (v: unknown) =>
        v === null ? 'null' : typeof v === 'string' ? `'${v}'` : String(v);
      await lakehouse.execute(
        `insert into silver.things values ${rows.map((r) => `(${r.map(literal).join(', ')})`).join(', ')}`,
      );
    }
    // What the gate reads: its own profile, of what the checks read.
    const profile = await gateProfile(lakehouse, contract, checks);
    const results = await runChecks(lakehouse, checks, {
      referenceTime: now,
      profile,
      history: async () => [],
    });
    return Object.fromEntries(results.map((r) => [r.check, r]));
  }
  const failing = (results: Record<string, CheckResult>) =>
    Object.values(results)
      .filter((r) => r.status !== 'pass')
      .map((r) => `${r.check}:${r.status}`)
      .sort();

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-dq-'));
    lakehouse = await DuckDbLakehouse.open({
      lakeRoot: root,
      threads: 1,
      memoryLimit: '256MB',
      bronze: [],
    });
    await lakehouse.execute(
      'create table silver.parents as select * from (values (1), (2)) as t(parent_id)',
    );
    checks = checksFor(contract, registry, lakehouse.dialect);
  });
  afterAll(() => {
    lakehouse.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('derives one check per rule of the contract, in a stable order', () => {
    expect(checks.map((c) => `${c.name} ${c.kind} ${c.severity}`)).toEqual([
      'schema schema error',
      'pii_scan pii error',
      'id.required rows error',
      'code.pattern rows error',
      'code.max_length rows error',
      'status.accepted_values rows error',
      'amount.maximum rows error',
      'id.primary_key unique error',
      'note.null_values rows warning',
      'parent_id.references_parents reference error',
      'freshness freshness error',
      'row_count row_count error',
      'no_negative_amounts sql error',
      'code_and_status_unique unique warning',
    ]);
  });

  it('clean rows pass every check, and score 100', async () => {
    const results = await check(clean);
    expect(failing(results)).toEqual([]);
    expect(qualityScore(Object.values(results))).toBe(100);
    expect(results['id.required']).toMatchObject({ failingRows: 0, totalRows: 4, observed: 0 });
  });

  it('each broken rule fails its own check, with the failing rows as a sample', async () => {
    const results = await check([
      ...clean,
      [null, 'abc', 'lost', 5000, null, 9, '2026-01-02 14:00:00'],
      [1, 'TOOLONG', 'new', -1, null, 1, '2026-01-02 15:00:00'],
    ]);
    expect(failing(results)).toEqual([
      'amount.maximum:fail',
      'code.max_length:fail',
      'code.pattern:fail',
      'id.primary_key:fail',
      'id.required:fail',
      'no_negative_amounts:fail',
      'note.null_values:fail',
      'parent_id.references_parents:fail',
      'status.accepted_values:fail',
    ]);
    expect(results['status.accepted_values']).toMatchObject({
      failingRows: 1,
      totalRows: 6,
      sample: [expect.objectContaining({ status: 'lost', code: 'abc' })],
      message: '1 of 6 rows (16.67%) fail: is one of its accepted values',
    });
    expect(results['id.primary_key']).toMatchObject({
      failingRows: 2,
      sample: [{ id: 1, occurrences: 2 }],
    });
    expect(results['parent_id.references_parents']).toMatchObject({
      failingRows: 1,
      sample: [expect.objectContaining({ parent_id: 9 })],
    });
    // 3 of 6 notes are NULL: 50% > 25%.
    expect(results['note.null_values']).toMatchObject({ observed: 50, severity: 'warning' });
    expect(results['no_negative_amounts']).toMatchObject({ observed: 1, status: 'fail' });
    // Passed: schema, PII scan, freshness and row count (error, 3 each) and the warning on code
    // and status (1): 13 of 12 × 3 + 2 × 1 = 38.
    expect(qualityScore(Object.values(results))).toBe(34.2);
  });

  it('NULLs fail only completeness; other rules and keys let them through', async () => {
    const results = await check([[1, null, null, null, null, null, null]]);
    expect(failing(results)).toEqual([
      // The newest updated_at is NULL, so nothing is fresh; the one note is NULL: 100% > 25%.
      'freshness:fail',
      'note.null_values:fail',
    ]);
    expect(results['code.pattern']).toMatchObject({ status: 'pass', failingRows: 0 });
    expect(results['parent_id.references_parents']).toMatchObject({ status: 'pass' });
  });

  it('an empty table is a result: row checks pass, the row count and freshness fail', async () => {
    const results = await check([]);
    expect(failing(results)).toEqual(['freshness:fail', 'row_count:fail']);
    expect(results['id.required']).toMatchObject({ status: 'pass', message: 'no rows to check' });
    expect(results['note.null_values']).toMatchObject({ status: 'pass', observed: 0 });
    expect(results['freshness']!.message).toBe('no updated_at at all: nothing is fresh');
  });

  it('freshness compares the newest value with the end of the run’s day', async () => {
    const results = await check([[1, 'ABC', 'new', 1, 'a', 1, '2026-01-01 12:00:00']]);
    expect(results['freshness']).toMatchObject({ status: 'fail', observed: 36 });
  });

  it('a schema that differs from the contract fails, listing each difference', async () => {
    await lakehouse.execute(
      'create or replace table silver.things (id integer, code varchar, status varchar, amount decimal(12,2), parent_id bigint, updated_at timestamp, extra varchar)',
    );
    const [schema] = await runChecks(lakehouse, checks.slice(0, 1), {
      referenceTime: now,
      profile: { dataset: contract.id, rows: 0, columns: [] },
      history: async () => [],
    });
    expect(schema).toMatchObject({
      status: 'fail',
      observed: 3,
      message:
        'id: expected BIGINT, found INTEGER; note: expected VARCHAR, found missing; extra: expected not in the contract, found VARCHAR',
    });
  });

  it('PII in a column the contract leaves unclassified or does not declare fails the gate, naming dataset, column and entity', async () => {
    await lakehouse.execute(
      `create or replace table silver.things as select i::bigint as id, 'ABC' as code, 'new' as status,
         1.0::decimal(12,2) as amount, 'ann' || i || '@example.com' as note, 1::bigint as parent_id,
         timestamp '2026-01-02 10:00:00' as updated_at, '+44 20 7946 ' || lpad(i::varchar, 4, '0') as mobile,
         'ann@example.com' as _platform_note
       from range(1, 41) t(i)`,
    );
    const [pii] = await runChecks(lakehouse, [checks.find((c) => c.kind === 'pii')!], {
      referenceTime: now,
      profile: { dataset: contract.id, rows: 40, columns: [] },
      history: async () => [],
    });
    expect(pii).toMatchObject({
      check: 'pii_scan',
      status: 'fail',
      severity: 'error',
      observed: 2,
      sample: [
        { column: 'note', entity: 'email' },
        { column: 'mobile', entity: 'phone' },
      ],
    });
    expect(pii!.message).toBe(
      'silver.things.note holds email (100% of 40 sampled values) but has no classification in config/contracts/silver.things.yaml: classify it pii; ' +
        'silver.things.mobile holds phone (100% of 40 sampled values) but is not in the contract in config/contracts/silver.things.yaml: classify it pii',
    );
    expect(JSON.stringify(pii)).not.toContain('example.com');
  });

  it('the PII check passes when unclassified columns hold none', async () => {
    const results = await check(clean);
    expect(results['pii_scan']).toMatchObject({
      status: 'pass',
      message: 'no PII in id, code, status, note, parent_id (unclassified or undeclared)',
    });
  });

  it('a check that cannot run is an error, not a crash', async () => {
    const [broken] = await runChecks(
      lakehouse,
      [{ ...checks.find((c) => c.kind === 'sql')!, query: 'select nope from ${table}' } as Check],
      {
        referenceTime: now,
        profile: { dataset: contract.id, rows: 0, columns: [] },
        history: async () => [],
      },
    );
    expect(broken).toMatchObject({
      status: 'error',
      message: expect.stringContaining('could not run'),
    });
    expect(qualityScore([broken!])).toBe(0);
  });

  it('row checks share one scan, and a broken one among them still fails alone', async () => {
    await check(clean);
    const rowChecks = checks.filter((c) => c.kind === 'rows');
    expect(rowChecks.length).toBeGreaterThan(2);
    const broken = { ...rowChecks[0]!, failing: 'nope > 1' } as Check;
    const statements: string[] = [];
    const engine = {
      ...lakehouse,
      dialect: lakehouse.dialect,
      query: (sql: string) => {
        statements.push(sql);
        return lakehouse.query(sql);
      },
    } as typeof lakehouse;
    const ctx = {
      referenceTime: now,
      profile: { dataset: contract.id, rows: 0, columns: [] },
      history: async () => [],
    };
    const together = await runChecks(engine, rowChecks, ctx);
    expect(statements.filter((s) => s.startsWith('select count(*)'))).toHaveLength(1);
    const alone = await runChecks(engine, [broken, ...rowChecks.slice(1)], ctx);
    expect(alone[0]).toMatchObject({ status: 'error', message: expect.stringContaining('nope') });
    expect(alone.slice(1)).toEqual(together.slice(1));
  });

  it('profiles every column in one scan, with top values for the few-valued ones', async () => {
    await check(clean);
    const profile = await profileDataset(lakehouse, contract);
    const byName = Object.fromEntries(profile.columns.map((c) => [c.column, c]));
    expect(profile.rows).toBe(4);
    expect(byName.amount).toMatchObject({
      nulls: 1,
      nullPercent: 25,
      min: '10.00',
      max: '30.00',
      mean: 20,
    });
    expect(byName.amount!.stddev).toBeCloseTo(10, 6);
    expect(byName.code).toMatchObject({
      minLength: 3,
      maxLength: 3,
      avgLength: 3,
      distinctCount: 4,
    });
    expect(byName.status!.topValues).toEqual([
      { value: 'new', count: 2 },
      { value: 'done', count: 1 },
      { value: null, count: 1 },
    ]);
  });
});

/** silver.things with an anomaly rule on four columns, one per kind of metric. */
const watched = parseContract(
  things
    .replace(
      '          - { metric: nullValues, mustBeLessOrEqualTo: 25, unit: percent, severity: warning }',
      `          - { metric: nullValues, mustBeLessOrEqualTo: 25, unit: percent, severity: warning }
          - { name: note_nulls, type: custom, engine: medallion, implementation: { anomaly: { metric: nullPercent, method: change, maxChange: 0.5 } } }`,
    )
    .replace(
      '          - { metric: invalidValues, arguments: { validValues: [new, done] } }',
      `          - { metric: invalidValues, arguments: { validValues: [new, done] } }
          - { name: status_values, type: custom, engine: medallion, implementation: { anomaly: { metric: distinctCount, method: change, maxChange: 0.5 } } }`,
    )
    .replace(
      '        logicalTypeOptions: { maximum: 1000 }',
      `        logicalTypeOptions: { maximum: 1000 }
        quality:
          - { name: amount_median, type: custom, engine: medallion, implementation: { anomaly: { metric: median, method: change, maxChange: 0.5 } } }
          - { name: amount_spread, type: custom, engine: medallion, implementation: { anomaly: { metric: stddev, method: change, maxChange: 0.5 } } }`,
    ),
  'config/contracts/silver.things.yaml',
);

describe('the quality gate’s profile on DuckDB', () => {
  let root: string;
  let lakehouse: DuckDbLakehouse;
  const watchedRegistry = new ContractRegistry([
    watched,
    parseContract(parents, 'config/contracts/silver.parents.yaml'),
  ]);

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-gate-profile-'));
    lakehouse = await DuckDbLakehouse.open({
      lakeRoot: root,
      threads: 1,
      memoryLimit: '256MB',
      bronze: [],
    });
    await lakehouse.execute(
      'create table silver.things (id bigint, code varchar, status varchar, amount decimal(12,2), note varchar, parent_id bigint, updated_at timestamp)',
    );
    await lakehouse.execute(
      `insert into silver.things values ${clean
        .map(
          (r) =>
            `(${r.map((v) => (v === null ? 'null' : typeof v === 'string' ? `'${v}'` : String(v))).join(', ')})`,
        )
        .join(', ')}`,
    );
  });
  afterAll(() => {
    lakehouse.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads the row count and the newest freshness value in one scan, and nothing else', async () => {
    const recording = new RecordingSqlEngine(lakehouse, () => 'gate');
    const profile = await gateProfile(
      recording,
      contract,
      checksFor(contract, registry, lakehouse.dialect),
    );
    expect(recording.take().map((s) => s.sql)).toEqual([
      'select count(*) as "rows", cast(max("updated_at") as varchar) as "max_0" from "silver"."things"',
    ]);
    expect(profile).toEqual({
      dataset: 'silver.things',
      rows: 4,
      partial: true,
      columns: [
        {
          column: 'updated_at',
          type: 'TIMESTAMP',
          rows: 4,
          nulls: null,
          nullPercent: null,
          distinctCount: null,
          min: null,
          max: '2026-01-02 13:00:00',
          mean: null,
          stddev: null,
          p25: null,
          median: null,
          p75: null,
          minLength: null,
          avgLength: null,
          maxLength: null,
          topValues: null,
        },
      ],
    });
  });

  it('computes exactly the metrics its anomaly checks read, as the full profile computes them', async () => {
    const recording = new RecordingSqlEngine(lakehouse, () => 'gate');
    const profile = await gateProfile(
      recording,
      watched,
      checksFor(watched, watchedRegistry, lakehouse.dialect),
    );
    // A distinct count or a median is exact up to a million rows: the rows are counted first.
    expect(recording.take().map((s) => s.sql)).toEqual([
      'select count(*) as "rows" from "silver"."things"',
      'select count(*) as "rows", count("status") as "nn_0", count(distinct "status") as "d_0", stddev_samp(cast("amount" as double)) as "sd_1", quantile_cont(cast("amount" as double), [0.5]) as "med_1", count("note") as "nn_2", cast(max("updated_at") as varchar) as "max_3" from "silver"."things"',
    ]);
    const full = await profileDataset(lakehouse, watched);
    const fullOf = (column: string) => full.columns.find((c) => c.column === column)!;
    const partialOf = (column: string) => profile.columns.find((c) => c.column === column)!;
    expect(profile.columns.map((c) => c.column)).toEqual([
      'status',
      'amount',
      'note',
      'updated_at',
    ]);
    expect(partialOf('status')).toMatchObject({
      distinctCount: fullOf('status').distinctCount,
      nulls: null,
      topValues: null,
    });
    expect(partialOf('amount')).toMatchObject({
      stddev: fullOf('amount').stddev,
      median: fullOf('amount').median,
      mean: null,
      p25: null,
      min: null,
    });
    expect(partialOf('note')).toMatchObject({
      nulls: fullOf('note').nulls,
      nullPercent: 25,
      distinctCount: null,
    });
  });

  it('is stored as partial: what it did not compute is NULL, in the store, the report and the lineage facet', async () => {
    const checks = checksFor(watched, watchedRegistry, lakehouse.dialect);
    const store = new QualityStore(lakehouse);
    const evidence = (
      runId: string,
      at: string,
      profile: Parameters<QualityStore['save']>[0][number]['profile'],
    ) => ({
      runId,
      runDate: at.slice(0, 10),
      at,
      quality: {
        dataset: watched.id,
        layer: 'silver',
        score: 100,
        rows: profile.rows,
        checks: 0,
        failedErrors: 0,
        failedWarnings: 0,
      },
      profile,
      results: [],
    });
    // An old run profiled in full, a new one only for its checks.
    await store.save([
      evidence('old-run', '2026-01-01T10:00:00.000Z', await profileDataset(lakehouse, watched)),
    ]);
    const partial = await gateProfile(lakehouse, watched, checks);
    await store.save([evidence('new-run', '2026-01-02T10:00:00.000Z', partial)]);

    const stored = await lakehouse.query(
      "select column_name, null_percent, distinct_count, median, top_values, partial from audit.dq_profiles where run_id = 'new-run' order by column_name",
    );
    expect(stored).toEqual([
      {
        column_name: 'amount',
        null_percent: null,
        distinct_count: null,
        median: 20,
        top_values: null,
        partial: true,
      },
      {
        column_name: 'note',
        null_percent: 25,
        distinct_count: null,
        median: null,
        top_values: null,
        partial: true,
      },
      {
        column_name: 'status',
        null_percent: null,
        distinct_count: 2,
        median: null,
        top_values: null,
        partial: true,
      },
      {
        column_name: 'updated_at',
        null_percent: null,
        distinct_count: null,
        median: null,
        top_values: null,
        partial: true,
      },
    ]);

    // Anomaly history reads both: a metric the new run computed from both runs, one it did not
    // from the old run alone (never a 0 it did not measure).
    expect(await store.history(watched.id, 'nullPercent', 'note', 'next-run', 10)).toEqual([
      25, 25,
    ]);
    expect(await store.history(watched.id, 'distinctCount', 'code', 'next-run', 10)).toEqual([4]);

    const classification = (_dataset: string, column: string) =>
      watched.column(column)?.classification ?? 'pii';
    const report = (await buildQualityReport(store, classification, { runId: 'new-run' }))!;
    expect(report.datasets[0]).toMatchObject({ dataset: 'silver.things', partialProfile: true });
    expect(report.datasets[0]!.profile.find((p) => p.column_name === 'status')).toMatchObject({
      top_values: null,
    });
    expect(renderQualityReportHtml(report, now)).toContain('medallion dq profile silver.things');
    const old = (await buildQualityReport(store, classification, { runId: 'old-run' }))!;
    expect(old.datasets[0]).toMatchObject({ partialProfile: false });

    const facet = memoryLineage(watchedRegistry).lineage.qualityInput(watched.id, partial, [])
      .inputFacets!.dataQualityMetrics as unknown as {
      rowCount: number;
      columnMetrics: Record<string, object>;
    };
    expect(facet.rowCount).toBe(4);
    expect(facet.columnMetrics).toEqual({
      status: { distinctCount: 2 },
      amount: { quantiles: { '0.5': 20 } },
      note: { nullCount: 1, count: 3 },
      updated_at: {},
    });
  });
});

describe('quality rules that cannot be checked', () => {
  it('are refused when the contract loads, naming the rule', () => {
    const bad = things
      .replace('relationships: [{ to: parents.parent_id }]', 'relationships: [{ to: nowhere.id }]')
      .replace('mustBe: 0 }', '}');
    try {
      checksFor(parseContract(bad, 'config/contracts/silver.things.yaml'), registry, {
        quote: (s: string) => `"${s}"`,
        regexMatches: () => 'true',
        string: (s: string) => `'${s}'`,
      } as never);
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => [p.path, p.expected])).toEqual([
        [
          'schema.0.properties.5.relationships.0.to',
          'a <dataset>.<column> of a contract (its schema name, same layer first)',
        ],
        ['schema.0.quality.1', 'a sql rule with a query and one operator (mustBe...)'],
      ]);
    }
  });
});

/** silver.people: an id, and a column of each classification. */
const people = parseContract(
  `
apiVersion: v3.1.0
kind: DataContract
id: silver.people
name: people
version: 1.0.0
status: active
team: { name: data-platform }
description: { purpose: People. }
schema:
  - name: people
    physicalName: silver.people
    properties:
      - { name: person_id, logicalType: integer, physicalType: BIGINT, classification: internal }
      - { name: email, logicalType: string, physicalType: VARCHAR, classification: pii }
      - { name: birth_year, logicalType: integer, physicalType: INTEGER, classification: pii }
      - { name: city, logicalType: string, physicalType: VARCHAR, classification: confidential }
      - { name: segment, logicalType: string, physicalType: VARCHAR, classification: public }
`,
  'config/contracts/silver.people.yaml',
);

/** The quantile of sorted values, interpolated between the two nearest ranks (as quantile_cont). */
function exactQuantile(sorted: readonly number[], fraction: number): number {
  const position = fraction * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

describe('column profiles on DuckDB', () => {
  let root: string;
  let lakehouse: DuckDbLakehouse;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-profile-'));
    lakehouse = await DuckDbLakehouse.open({
      lakeRoot: root,
      threads: 1,
      memoryLimit: '256MB',
      bronze: [],
    });
    await lakehouse.execute('create schema if not exists silver');
  });
  afterAll(() => {
    lakehouse.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** 100,000 ids stored in an order whose first 10,000 rows are the smallest ids. */
  const ids = Array.from({ length: 100_000 }, (_, i) =>
    i < 10_000 ? i + 1 : 10_000 + ((i * 7_919) % 90_000) + 1,
  );
  const sortedIds = [...ids].sort((a, b) => a - b);
  const exact = [0.25, 0.5, 0.75].map((f) => exactQuantile(sortedIds, f));
  async function loadIds(): Promise<void> {
    await lakehouse.execute(
      'create or replace table silver.people (person_id bigint, email varchar, birth_year integer, city varchar, segment varchar)',
    );
    await lakehouse.execute(
      'insert into silver.people (person_id) select case when i < 10000 then i + 1 else 10000 + (i * 7919) % 90000 + 1 end from range(100000) r(i)',
    );
  }

  it('quartiles are exact on 100,000 rows whose first rows are not representative', async () => {
    await loadIds();
    const [first] = await lakehouse.query<{ id: number }>(
      'select cast(max(person_id) as double) as "id" from (select person_id from silver.people limit 10000)',
    );
    expect(Number(first!.id)).toBe(10_000);
    const profile = await profileDataset(lakehouse, people);
    const id = profile.columns.find((c) => c.column === 'person_id')!;
    expect([id.p25, id.median, id.p75]).toEqual(exact);
  });

  it('beyond exact sizes, quartiles come from a sketch of every row, within 1% of the exact ones', async () => {
    await loadIds();
    const [row] = await lakehouse.query(
      `select ${duckdbDialect.quantiles('person_id', [0.25, 0.5, 0.75], false)} as "q" from silver.people`,
    );
    const sketched = (row!.q as number[]).map(Number);
    sketched.forEach((q, i) => expect(Math.abs(q - exact[i]!)).toBeLessThan(1_000));
  });

  const person = (i: number) =>
    `(${i}, 'person${i}@example.com', ${1950 + (i % 40)}, '${i % 2 === 0 ? 'Lyon' : 'Porto'}', '${i % 3 === 0 ? 'retail' : 'business'}')`;
  async function loadPeople(): Promise<void> {
    await lakehouse.execute(
      'create or replace table silver.people (person_id bigint, email varchar, birth_year integer, city varchar, segment varchar)',
    );
    await lakehouse.execute(
      `insert into silver.people values ${Array.from({ length: 12 }, (_, i) => person(i + 1)).join(', ')}`,
    );
  }

  it('a pii column keeps counts, lengths and mean: no min, max, quartile or top value', async () => {
    await loadPeople();
    const profile = await profileDataset(lakehouse, people);
    const byName = Object.fromEntries(profile.columns.map((c) => [c.column, c]));
    expect(JSON.stringify(profile)).not.toContain('@example.com');
    expect(byName.email).toMatchObject({
      distinctCount: 12,
      nulls: 0,
      min: null,
      max: null,
      minLength: 'person1@example.com'.length,
      topValues: [],
    });
    expect(byName.birth_year).toMatchObject({ min: null, max: null, p25: null, median: null });
    expect(byName.birth_year!.mean).toBeCloseTo(1956.5, 6);
    // Confidential: the distribution and frequent values, not the extremes of single rows.
    expect(byName.city).toMatchObject({ min: null, max: null, distinctCount: 2 });
    expect(byName.city!.topValues).toEqual([
      { value: 'Lyon', count: 6 },
      { value: 'Porto', count: 6 },
    ]);
    expect(byName.segment).toMatchObject({ min: 'business', max: 'retail' });
  });

  it('audit.dq_profiles stores no pii value', async () => {
    await loadPeople();
    const profile = await profileDataset(lakehouse, people);
    const store = new QualityStore(lakehouse);
    await store.save([
      {
        runId: 'run-1',
        runDate: '2026-01-02',
        at: now.toISOString(),
        quality: {
          dataset: people.id,
          layer: 'silver',
          score: 100,
          rows: profile.rows,
          checks: 0,
          failedErrors: 0,
          failedWarnings: 0,
        },
        profile,
        results: [],
      },
    ]);
    const stored = await lakehouse.query('select * from audit.dq_profiles');
    expect(stored).toHaveLength(5);
    expect(JSON.stringify(stored)).not.toContain('@example.com');
    expect(stored.find((r) => r.column_name === 'birth_year')).toMatchObject({
      min_value: null,
      max_value: null,
      median: null,
    });
  });

  it('dq report masks pii in evidence saved in clear, as JSON and as HTML', async () => {
    await lakehouse.execute(
      `insert into audit.dq_scores (run_id, run_date, dataset, layer, score, row_count, checks, failed_errors, failed_warnings, checked_at)
       values ('old-run', date '2026-01-01', 'silver.people', 'silver', 100, 2, 0, 0, 0, timestamp '2026-01-01 10:00:00')`,
    );
    await lakehouse.execute(
      `insert into audit.dq_profiles (run_id, run_date, dataset, column_name, data_type, row_count, nulls, distinct_count, min_value, max_value, median, top_values, profiled_at)
       values ('old-run', date '2026-01-01', 'silver.people', 'email', 'VARCHAR', 2, 0, 2, 'ann@example.com', 'bob@example.com', null, '[{"value":"ann@example.com","count":1}]', timestamp '2026-01-01 10:00:00'),
              ('old-run', date '2026-01-01', 'silver.people', 'segment', 'VARCHAR', 2, 0, 1, 'retail', 'retail', null, '[{"value":"retail","count":2}]', timestamp '2026-01-01 10:00:00')`,
    );
    const classification = (_dataset: string, column: string) =>
      people.column(column)?.classification ?? 'pii';
    const report = (await buildQualityReport(new QualityStore(lakehouse), classification, {
      runId: 'old-run',
    }))!;
    expect(JSON.stringify(report)).not.toContain('@example.com');
    expect(renderQualityReportHtml(report, now)).not.toContain('@example.com');
    expect(report.datasets[0]!.profile).toEqual([
      expect.objectContaining({ column_name: 'email', min_value: null, top_values: [] }),
      expect.objectContaining({
        column_name: 'segment',
        min_value: 'retail',
        top_values: [{ value: 'retail', count: 2 }],
      }),
    ]);
  });
});
