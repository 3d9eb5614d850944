import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbLakehouse, openDuckDb } from '../../lambdas/adapters/duckdb/engine';
import { DuckDbParquetSink } from '../../lambdas/adapters/duckdb/parquet-sink';
import { FsObjectStore } from '../../lambdas/adapters/local/object-store';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { checksFor, type Check } from '../../lambdas/core/dq/checks';
import { checkLayerQuality } from '../../lambdas/core/dq/layer';
import { runChecks, type CheckResult, type RunScope } from '../../lambdas/core/dq/run';
import { QualityStore } from '../../lambdas/core/dq/store';
import { ModelGraphError } from '../../lambdas/core/errors';
import { bronzeKey, bronzeMetadataColumns } from '../../lambdas/core/ingest/bronze';
import { gateScope } from '../../lambdas/core/models/layer';
import { loadModelProject, type ModelFile } from '../../lambdas/core/models/project';
import { RecordingSqlEngine } from '../../lambdas/core/recording-engine';
import type { SqlEngine } from '../../lambdas/core/ports';
import { ManualClock, silentLogger } from '../helpers/clock';
import { testContract } from '../helpers/contracts';
import { emptyLakehouse } from '../helpers/lake';
import { buildLayer } from '../helpers/layers';
import { memoryLineage } from '../helpers/lineage';

/**
 * The quality gate of merged datasets as a specification: checks local to a row or a key read
 * the rows the run wrote, the merge's guarantees are reported rather than measured again, and a
 * full check (periodic or asked for) reads every table whole. A tiny domain: bronze
 * `shop.orders`, silver `orders` (validated with quarantine, merged by order_id), gold
 * `order_status` (incremental from the change feed, no quarantine) and `order_history` (type 2).
 */
const contracts = new ContractRegistry([
  testContract(
    'shop.orders',
    'bronze.shop_orders',
    `      - { name: order_id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }
      - { name: amount, logicalType: number, physicalType: DOUBLE }
      - { name: status, logicalType: string, physicalType: VARCHAR }
      - { name: updated_at, logicalType: timestamp, physicalType: TIMESTAMP }
      - { name: is_deleted, logicalType: boolean, physicalType: BOOLEAN }`,
  ),
  testContract(
    'silver.orders',
    'silver.orders',
    `      - { name: order_id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }
      - { name: amount, logicalType: number, physicalType: DOUBLE, required: true, logicalTypeOptions: { minimum: 0 } }
      - name: status
        logicalType: string
        physicalType: VARCHAR
        required: true
        quality: [{ name: status_is_lower_case, metric: invalidValues, arguments: { pattern: '^[a-z]+$' } }]
      - { name: updated_at, logicalType: timestamp, physicalType: TIMESTAMP, required: true }`,
  ),
  testContract(
    'gold.order_status',
    'gold.order_status',
    `      - { name: order_id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }
      - { name: status, logicalType: string, physicalType: VARCHAR }
      - { name: amount_cents, logicalType: integer, physicalType: BIGINT, logicalTypeOptions: { maximum: 100000 } }
    quality:
      - name: status_is_lower_case
        type: sql
        query: select count(*) from \${rows} where status <> lower(status)
        mustBe: 0
      - name: orders_reconcile_with_silver
        type: sql
        query: >-
          select count(*) from (select g.order_id from \${rows} g
          where not exists (select 1 from \${silver.orders} o where o.order_id = g.order_id)
          union select o.order_id from \${rows:silver.orders} o
          where not exists (select 1 from \${table} g where g.order_id = o.order_id)
          union select d.order_id from \${rows:changelog.silver_orders} d where d._change_type = 'delete'
          and exists (select 1 from \${table} g where g.order_id = d.order_id)
          and not exists (select 1 from \${silver.orders} o where o.order_id = d.order_id)
          union select d.order_id from \${rows:changelog.gold_order_status} d where d._change_type = 'delete'
          and exists (select 1 from \${silver.orders} o where o.order_id = d.order_id)
          and not exists (select 1 from \${table} g where g.order_id = d.order_id)) differing
        mustBe: 0`,
  ),
  testContract(
    'gold.order_history',
    'gold.order_history',
    `      - { name: order_id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }
      - { name: status, logicalType: string, physicalType: VARCHAR }
      - { name: updated_at, logicalType: timestamp, physicalType: TIMESTAMP }
      - { name: valid_from, logicalType: timestamp, physicalType: TIMESTAMP, required: true, primaryKey: true, primaryKeyPosition: 2 }
      - { name: valid_to, logicalType: timestamp, physicalType: TIMESTAMP }
      - { name: is_current, logicalType: boolean, physicalType: BOOLEAN, required: true }`,
  ),
]);

const file = (sqlPath: string, sql: string, yml: string): ModelFile => ({
  sqlPath,
  sql,
  ymlPath: sqlPath.replace('.sql', '.yml'),
  yml,
});
const models = [
  file(
    'models/silver/orders.sql',
    `select order_id, amount, status, updated_at, is_deleted, _ingested_at, _source_ref, _source_row from {{ source('shop', 'orders') }}`,
    'description: d\nmaterialization: incremental\nunique_key: [order_id]\nlatest_by: [updated_at, _ingested_at]\ndelete_when: is_deleted\nquarantine: true\n',
  ),
  file(
    'models/gold/order_status.sql',
    `select k.order_id, o.status, cast(o.amount * 100 as bigint) as amount_cents, o.order_id is null as _deleted
     from {{ changes('silver.orders') }} k left join {{ ref('silver.orders') }} o on o.order_id = k.order_id`,
    'description: d\nmaterialization: incremental\nunique_key: [order_id]\ndelete_when: _deleted\n',
  ),
  file(
    'models/gold/order_history.sql',
    `select k.order_id, o.status, coalesce(o.updated_at, k._changed_at) as updated_at, o.order_id is null as _deleted
     from {{ changes('silver.orders') }} k left join {{ ref('silver.orders') }} o on o.order_id = k.order_id`,
    'description: d\nmaterialization: scd2\nunique_key: [order_id]\nvalid_from: updated_at\ndelete_when: _deleted\n',
  ),
];
const project = loadModelProject(models, [], contracts);
/** Fridays: no periodic full check (weekly, on Sundays). */
const [day1, day2] = ['2026-01-01', '2026-01-02'];

type Order = [number, number | null, string | null, string, boolean];
type Saved = Pick<CheckResult, 'status' | 'failingRows' | 'totalRows' | 'sample' | 'message'>;

describe('the quality gate of merged datasets', () => {
  let root: string;
  let worker: DuckDBInstance;
  let lakehouse: DuckDbLakehouse;
  let clock: ManualClock;
  let batches = 0;

  /** Lands rows in bronze as an ingestion would: one Parquet object with the metadata columns. */
  const ingest = async (rows: Order[]) => {
    clock = new ManualClock(new Date(clock.now().getTime() + 60_000));
    const meta = { ingestedAt: clock.now(), runId: `ingest-${++batches}`, source: 'shop' };
    const sink = new DuckDbParquetSink(worker, new FsObjectStore(root));
    await sink.writeRows(
      bronzeKey('shop', 'orders', meta, 0),
      [...contracts.get('shop.orders').columns, ...bronzeMetadataColumns],
      rows.map(([id, amount, status, updated, deleted], i) => [
        id,
        amount,
        status,
        new Date(updated),
        deleted,
        meta.ingestedAt,
        meta.runId,
        'shop',
        `shop:orders@${meta.runId}`,
        i + 1,
      ]),
    );
  };
  const deps = (engine: SqlEngine = lakehouse) => ({
    engine,
    contracts,
    project,
    clock,
    logger: silentLogger,
    lineage: memoryLineage(contracts).lineage,
  });
  /** Builds a layer as run `runId`, then gates it as the state machine does, with the plan's scope. */
  const run = async (
    layer: 'silver' | 'gold',
    runId: string,
    runDate: string,
    options: { fullChecks?: boolean; engine?: SqlEngine } = {},
  ) => {
    await buildLayer(deps(), { layer, runId, runDate });
    const result = await checkLayerQuality(deps(options.engine), {
      layer,
      runId,
      runDate,
      scope: gateScope(project, layer, {
        runDate,
        fullChecks: options.fullChecks === true,
        every: 7,
      }),
    });
    return { result, checks: await results(runId) };
  };
  /** The gate's results of a run as the quality store keeps them, by `<dataset> <check>`. */
  const results = async (runId: string): Promise<Record<string, Saved>> => {
    const saved = await new QualityStore(lakehouse).results(runId);
    return Object.fromEntries(
      saved.map((r) => [
        `${String(r.dataset)} ${String(r.check_name)}`,
        {
          status: r.status as Saved['status'],
          failingRows: r.failing_rows === null ? null : Number(r.failing_rows),
          totalRows: r.total_rows === null ? null : Number(r.total_rows),
          sample: JSON.parse(String(r.sample)) as Saved['sample'],
          message: String(r.message),
        },
      ]),
    );
  };

  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-dq-scope-'));
    clock = new ManualClock();
    worker = await openDuckDb({ threads: 1, memoryLimit: '256MB' }, path.join(root, '_tmp'), true);
    lakehouse = await DuckDbLakehouse.open({
      lakeRoot: root,
      threads: 1,
      memoryLimit: '512MB',
      bronze: [contracts.get('shop.orders')],
    });
    await ingest([
      [1, 10, 'placed', '2026-01-01T10:00:00Z', false],
      [2, 20, 'PAID', '2026-01-01T11:00:00Z', false],
      [3, -5, 'placed', '2026-01-01T12:00:00Z', false],
      [4, 7, 'placed', '2026-01-01T13:00:00Z', false],
    ]);
  });
  afterEach(() => {
    lakehouse.close();
    worker.closeSync();
    rmSync(root, { recursive: true, force: true });
  });

  it("reports the merge's unique key as unique by construction, and the rules quarantine enforced from the quarantine", async () => {
    const { checks } = await run('silver', 'silver-1', day1);
    expect(checks['silver.orders order_id.primary_key']).toMatchObject({
      status: 'pass',
      failingRows: 0,
      message: 'unique by construction: the merge verified order_id on its source',
    });
    // Order 3 (amount -5) was quarantined: a real measurement of this run, not a re-test.
    expect(checks['silver.orders amount.minimum']).toMatchObject({
      status: 'pass',
      failingRows: 0,
      totalRows: 3,
    });
    expect(checks['silver.orders amount.minimum']!.message).toBe(
      '0 of 3 rows written by this run fail: enforced at write (quarantine: true), which kept out 1 row(s) of this run for it (their first failing rule)',
    );
    expect(checks['silver.orders status.required']!.message).toContain('kept out 0 row(s)');
  });

  it('catches a violation the run wrote, of a rule not enforced at write, among the rows the run wrote', async () => {
    const first = await run('silver', 'silver-1', day1);
    expect(first.checks['silver.orders status_is_lower_case']).toMatchObject({
      status: 'fail',
      failingRows: 1,
      totalRows: 3,
      message: '1 of 3 rows written by this run (33.33%) fail: invalid status is 0',
    });
    await ingest([
      [5, 1, 'SHIPPED', '2026-01-02T10:00:00Z', false],
      [1, 11, 'paid', '2026-01-02T11:00:00Z', false],
    ]);
    const second = await run('silver', 'silver-2', day2);
    // Order 2's PAID, written by the first run, is not read again: 1 of the 2 rows of this run fails.
    expect(second.checks['silver.orders status_is_lower_case']).toMatchObject({
      status: 'fail',
      failingRows: 1,
      totalRows: 2,
      sample: [expect.objectContaining({ order_id: 5, status: 'SHIPPED' })],
    });
    expect(second.result.gate).toBe('fail');
  });

  it('a full check reads every table whole: an old violating row is caught again', async () => {
    await run('silver', 'silver-1', day1);
    await ingest([[1, 11, 'paid', '2026-01-02T11:00:00Z', false]]);
    const scoped = await run('silver', 'silver-2', day2);
    expect(scoped.checks['silver.orders status_is_lower_case']).toMatchObject({
      status: 'pass',
      totalRows: 1,
    });
    await ingest([[4, 8, 'paid', '2026-01-02T12:00:00Z', false]]);
    const full = await run('silver', 'silver-3', day2, { fullChecks: true });
    expect(full.checks['silver.orders status_is_lower_case']).toMatchObject({
      status: 'fail',
      failingRows: 1,
      totalRows: 3,
      message: '1 of 3 rows (33.33%) fail: invalid status is 0',
    });
    // A full check measures what the scoped gate takes from the merge.
    expect(full.checks['silver.orders amount.minimum']!.message).toBe(
      '0 of 3 rows (0%) fail: is not below its minimum',
    );
  });

  it('a duplicate key inserted by hand is no merge of the run: the periodic full check catches it', async () => {
    await run('silver', 'silver-1', day1);
    await lakehouse.execute(
      `insert into silver.orders (order_id, amount, status, updated_at, _run_id) values (1, 99, 'placed', timestamp '2026-01-01 09:00:00', 'by-hand')`,
    );
    await ingest([[5, 1, 'placed', '2026-01-02T10:00:00Z', false]]);
    const scoped = await run('silver', 'silver-2', day2);
    expect(scoped.checks['silver.orders order_id.primary_key']!.status).toBe('pass');
    await ingest([[6, 1, 'placed', '2026-01-04T10:00:00Z', false]]);
    // 2026-01-04 is a Sunday: the weekly full check.
    const sunday = await run('silver', 'silver-3', '2026-01-04');
    expect(sunday.checks['silver.orders order_id.primary_key']).toMatchObject({
      status: 'fail',
      failingRows: 2,
      sample: [{ order_id: 1, occurrences: 2 }],
    });
    expect(sunday.result.gate).toBe('fail');
  });

  it("scopes a type-2 table's key check to the keys the run wrote, each compared with the whole table", async () => {
    await run('silver', 'silver-1', day1);
    await run('gold', 'gold-1', day1);
    await ingest([[1, 11, 'paid', '2026-01-02T11:00:00Z', false]]);
    await run('silver', 'silver-2', day2);
    const second = await run('gold', 'gold-2', day2);
    // Order 1's old version was closed and its new one opened: 2 rows of this run, no clash.
    expect(second.checks['gold.order_history order_id_valid_from.primary_key']).toMatchObject({
      status: 'pass',
      totalRows: 2,
      message:
        '0 of 2 rows written by this run (0%) fail: (order_id, valid_from) identifies one row',
    });
    // A version the run writes with the start of an older one breaks the key: the scoped check sees it.
    await lakehouse.execute(
      `update gold.order_history set valid_from = timestamp '2026-01-01 10:00:00' where order_id = 1 and is_current`,
    );
    const clash = await checkLayerQuality(deps(), {
      layer: 'gold',
      runId: 'gold-2',
      runDate: day2,
      scope: gateScope(project, 'gold', { runDate: day2, fullChecks: false, every: 7 }),
    });
    expect(clash.summary).toContain('gold.order_history order_id_valid_from.primary_key (error)');
    // The incremental gold model wrote its key from a verified source.
    expect((await results('gold-2'))['gold.order_status order_id.primary_key']!.message).toBe(
      'unique by construction: the merge verified order_id on its source',
    );
  });

  it('sends only scoped SQL: row checks filter on the run, no unique check scans a merged table', async () => {
    await run('silver', 'silver-1', day1);
    await ingest([[5, 1, 'placed', '2026-01-02T10:00:00Z', false]]);
    const recording = new RecordingSqlEngine(lakehouse, () => 'SilverQuality');
    await buildLayer(deps(), { layer: 'silver', runId: 'silver-2', runDate: day2 });
    await checkLayerQuality(deps(recording), {
      layer: 'silver',
      runId: 'silver-2',
      runDate: day2,
      scope: gateScope(project, 'silver', { runDate: day2, fullChecks: false, every: 7 }),
    });
    const sent = recording.take().map((s) => s.sql);
    const rowChecks = sent.filter((sql) => sql.includes('case when'));
    expect(rowChecks).toHaveLength(1);
    expect(rowChecks[0]).toContain(`where _run_id = 'silver-2'`);
    expect(sent.filter((sql) => /having count\(\*\) > 1/.test(sql))).toEqual([]);
    expect(
      sent
        .filter((sql) => sql.includes('"quarantine"."orders"'))
        .map((sql) => sql.replace(/\s+/g, ' ')),
    ).toEqual([
      `select _rule as "rule", count(*) as "n" from "quarantine"."orders" where _run_id = 'silver-2' group by _rule`,
    ]);
  });

  /** Silver then gold as one run of the pipeline does, both under `runId`; the gold gate's results. */
  const runBoth = async (
    runId: string,
    runDate: string,
    options: { fullChecks?: boolean } = {},
  ) => {
    await run('silver', runId, runDate, options);
    return run('gold', runId, runDate, options);
  };

  it("a SQL rule's ${rows} reads the rows the run wrote: a violation the run wrote is caught, an older one is not read again", async () => {
    // Order 2's PAID passes silver (its lower-case rule is a warning metric) and reaches gold.
    const first = await runBoth('run-1', day1);
    expect(first.checks['gold.order_status status_is_lower_case']).toMatchObject({
      status: 'fail',
      message: 'the query returned 1; it is 0',
    });
    await ingest([
      [5, 1, 'SHIPPED', '2026-01-02T10:00:00Z', false],
      [1, 11, 'paid', '2026-01-02T11:00:00Z', false],
    ]);
    await run('silver', 'run-2', day2);
    const recording = new RecordingSqlEngine(lakehouse, () => 'GoldQuality');
    await buildLayer(deps(), { layer: 'gold', runId: 'run-2', runDate: day2 });
    await checkLayerQuality(deps(recording), {
      layer: 'gold',
      runId: 'run-2',
      runDate: day2,
      scope: gateScope(project, 'gold', { runDate: day2, fullChecks: false, every: 7 }),
    });
    const sent = recording.take().map((s) => s.sql);
    expect(sent).toContain(
      `select count(*) from (select * from "gold"."order_status" where _run_id = 'run-2') where status <> lower(status)`,
    );
    // Order 5's SHIPPED, written by this run, fails; order 2's PAID, written by run-1, is not read.
    expect((await results('run-2'))['gold.order_status status_is_lower_case']).toMatchObject({
      status: 'fail',
      message: 'the query returned 1; it is 0',
    });
    const reconcile = sent.find((sql) => sql.includes('differing'))!;
    for (const scoped of [
      `(select * from "gold"."order_status" where _run_id = 'run-2') g`,
      `(select * from "silver"."orders" where _run_id = 'run-2') o`,
      `(select * from "changelog"."silver_orders" where _run_id = 'run-2') d`,
      `(select * from "changelog"."gold_order_status" where _run_id = 'run-2') d`,
    ])
      expect(reconcile).toContain(scoped);
    // `${table}` and `${silver.orders}` stay whole tables: a key the run wrote is looked up in all of them.
    expect(reconcile).toContain('not exists (select 1 from "gold"."order_status" g where');
    expect(reconcile).toContain('not exists (select 1 from "silver"."orders" o where');
  });

  it('after a first build, which wrote every row, a SQL rule reads the table whole', async () => {
    await run('silver', 'run-1', day1);
    await buildLayer(deps(), { layer: 'gold', runId: 'run-1', runDate: day1 });
    const recording = new RecordingSqlEngine(lakehouse, () => 'GoldQuality');
    const result = await checkLayerQuality(deps(recording), {
      layer: 'gold',
      runId: 'run-1',
      runDate: day1,
      scope: gateScope(project, 'gold', {
        runDate: day1,
        fullChecks: false,
        every: 7,
        firstBuilds: ['gold.order_status', 'gold.order_history'],
      }),
    });
    const sent = recording.take().map((s) => s.sql);
    expect(sent).toContain(
      `select count(*) from "gold"."order_status" where status <> lower(status)`,
    );
    expect(sent.filter((sql) => sql.includes('(select * from'))).toEqual([]);
    expect(result.summary).toContain(
      'gold.order_status status_is_lower_case (error): the query returned 1',
    );
  });

  it('a full check reads the whole table: an old violating row of a SQL rule is caught again', async () => {
    await runBoth('run-1', day1);
    await ingest([[1, 11, 'paid', '2026-01-02T11:00:00Z', false]]);
    const scoped = await runBoth('run-2', day2);
    expect(scoped.checks['gold.order_status status_is_lower_case']).toMatchObject({
      status: 'pass',
      message: 'the query returned 0; it is 0',
    });
    const full = await runBoth('run-3', day2, { fullChecks: true });
    expect(full.checks['gold.order_status status_is_lower_case']).toMatchObject({
      status: 'fail',
      message: 'the query returned 1; it is 0',
    });
    expect(full.checks['gold.order_status orders_reconcile_with_silver']!.status).toBe('pass');
  });

  it('a key the run deleted from silver but left in gold is found through the change feed', async () => {
    await runBoth('run-1', day1);
    await ingest([[4, 7, 'placed', '2026-01-02T10:00:00Z', true]]);
    const deleted = await runBoth('run-2', day2);
    expect(deleted.checks['gold.order_status orders_reconcile_with_silver']!.status).toBe('pass');
    // Gold keeps order 4 as a merge that missed the delete would: a row no run-2 write touched.
    await lakehouse.execute(
      `insert into gold.order_status (order_id, status, amount_cents, _run_id) values (4, 'placed', 700, 'run-1')`,
    );
    const missed = await checkLayerQuality(deps(), {
      layer: 'gold',
      runId: 'run-2',
      runDate: day2,
      scope: gateScope(project, 'gold', { runDate: day2, fullChecks: false, every: 7 }),
    });
    expect(
      (await results('run-2'))['gold.order_status orders_reconcile_with_silver'],
    ).toMatchObject({ status: 'fail', message: 'the query returned 1; it is 0' });
    expect(missed.gate).toBe('fail');
  });

  it('a SQL rule naming nothing it can stand for is a contract error', () => {
    const typo = testContract(
      'gold.typo',
      'gold.typo',
      `      - { name: id, logicalType: integer, physicalType: BIGINT }
    quality:
      - { name: odd, type: sql, query: 'select count(*) from \${row} where id < 0', mustBe: 0 }`,
    );
    expect(() => checksFor(typo, new ContractRegistry([typo]), lakehouse.dialect)).toThrow(
      'only ${table}, ${rows}, ${<schema>.<name>} and ${rows:<schema>.<name>} in the query, not ${row}',
    );
  });

  it('a first build without staging verifies its key on the model’s result, before writing anything', async () => {
    await run('silver', 'silver-1', day1);
    const twice = file(
      'models/gold/order_status.sql',
      `select order_id, status, cast(amount * 100 as bigint) as amount_cents, false as _deleted from {{ ref('silver.orders') }}
       union all select order_id, status, 0, false from {{ ref('silver.orders') }} where order_id = 1`,
      'description: d\nmaterialization: incremental\nunique_key: [order_id]\ndelete_when: _deleted\n',
    );
    const recording = new RecordingSqlEngine(lakehouse, () => 'BuildGoldModel');
    const failed = await buildLayer(
      { ...deps(recording), project: loadModelProject([models[0]!, twice], [], contracts) },
      { layer: 'gold', runId: 'gold-1', runDate: day1 },
    ).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ModelGraphError);
    expect(String(failed)).toContain('returned 1 key(s) more than once');
    expect(await lakehouse.relationExists('gold.order_status')).toBe(false);
    // Verified on what the model selects (outside the write's transaction, which rolls back).
    expect(
      recording
        .take()
        .filter((s) => s.sql.includes('having count(*) > 1'))
        .map((s) => s.sql.includes('"silver"."orders"')),
    ).toEqual([true]);
  });
});

describe('a reference to a merged dataset, scoped', () => {
  let lakehouse: DuckDbLakehouse;
  let close: () => void;
  beforeEach(async () => {
    ({ lakehouse, close } = await emptyLakehouse());
    // Orders 1 and 2 by run r1, order 3 (customer 9: none) by r2; order 4's customer 8 vanished
    // before r2; r2 deleted customer 2, which order 2 still names.
    for (const statement of [
      `create table silver.customers as select * from (values (1, 'r1'), (3, 'r1')) v(customer_id, _run_id)`,
      `create table silver.orders as select * from (values (1, 1, 'r1'), (2, 2, 'r1'), (3, 9, 'r2'), (4, 8, 'r1')) v(order_id, customer_id, _run_id)`,
      `create table changelog.silver_customers as select * from (values (2, 'delete', 'r2'), (3, 'upsert', 'r2'), (8, 'delete', 'r1')) v(customer_id, _change_type, _run_id)`,
    ])
      await lakehouse.execute(statement);
  });
  afterEach(() => close());
  const reference: Check = {
    dataset: 'silver.orders',
    relation: 'silver.orders',
    name: 'customer_id.references_customers',
    kind: 'reference',
    column: 'customer_id',
    parent: 'silver.customers',
    parentColumn: 'customer_id',
    severity: 'error',
    dimension: 'consistency',
    description: 'every customer_id exists in silver.customers.customer_id',
    threshold: { operator: 'mustBe', value: 0, unit: 'rows' },
  };
  const check = async (scope?: RunScope) => {
    const recording = new RecordingSqlEngine(lakehouse, () => 'SilverQuality');
    const [result] = await runChecks(recording, [reference], {
      referenceTime: new Date('2026-01-03T00:00:00Z'),
      profile: { dataset: 'silver.orders', rows: 4, partial: true, columns: [] },
      history: () => Promise.resolve([]),
      ...(scope ? { scope } : {}),
    });
    return { result: result!, sent: recording.take().map((s) => s.sql) };
  };
  const scoped: RunScope = {
    runId: 'r2',
    firstBuild: false,
    uniqueKey: ['order_id'],
    enforced: null,
    parents: new Map([
      ['silver.customers', { feed: 'changelog.silver_customers', key: 'customer_id' }],
    ]),
  };

  it('reads the children the run wrote and those of the parents it deleted: an older orphan is not read again', async () => {
    const { result, sent } = await check(scoped);
    expect(result).toMatchObject({ status: 'fail', failingRows: 2, totalRows: 2 });
    expect(result.sample.map((r) => r.order_id).sort()).toEqual([2, 3]);
    expect(sent[0]).toContain(
      `where _run_id = 'r2' or "customer_id" in (select "customer_id" from "changelog"."silver_customers" where _run_id = 'r2' and _change_type = 'delete')`,
    );
  });

  it("joins a merged parent's key as it is, and deduplicates any other parent's keys first: a key duplicated by hand counts no child twice in a full check", async () => {
    await lakehouse.execute(`insert into silver.customers values (1, 'by hand')`);
    const full = await check();
    expect(full.result).toMatchObject({ failingRows: 3, totalRows: 4 });
    expect(full.sent[0]).toContain(
      `left join (select distinct "customer_id" as "parent_key" from "silver"."customers")`,
    );
    const { result, sent } = await check(scoped);
    expect(result).toMatchObject({ failingRows: 2, totalRows: 2 });
    expect(sent[0]).toContain(
      `left join (select "customer_id" as "parent_key" from "silver"."customers")`,
    );
  });

  it('reads every child whole in a full check, and against a parent without a change feed', async () => {
    expect((await check()).result).toMatchObject({ failingRows: 3, totalRows: 4 });
    expect((await check({ ...scoped, parents: new Map() })).result).toMatchObject({
      failingRows: 3,
      totalRows: 4,
    });
    expect((await check({ ...scoped, firstBuild: true })).result).toMatchObject({ totalRows: 4 });
  });
});
