import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbLakehouse, openDuckDb } from '../../lambdas/adapters/duckdb/engine';
import { DuckDbParquetSink } from '../../lambdas/adapters/duckdb/parquet-sink';
import { FsObjectStore } from '../../lambdas/adapters/local/object-store';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { testContract } from '../helpers/contracts';
import { ModelGraphError, ReconciliationError } from '../../lambdas/core/errors';
import { bronzeKey, bronzeMetadataColumns } from '../../lambdas/core/ingest/bronze';
import { buildLayer } from '../helpers/layers';
import { loadModelProject, type ModelFile } from '../../lambdas/core/models/project';
import { ManualClock, silentLogger } from '../helpers/clock';
import { memoryLineage } from '../helpers/lineage';

/**
 * The materializations as a specification, on a tiny hand-made domain: bronze `shop.orders`,
 * silver `orders` (validated, deduplicated, CDC-merged), gold `order_status` (incremental from
 * the change feed) and `order_history` (type 2).
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
        quality: [{ metric: invalidValues, arguments: { validValues: [placed, paid] } }]
      - { name: updated_at, logicalType: timestamp, physicalType: TIMESTAMP, required: true }`,
  ),
  testContract(
    'gold.order_status',
    'gold.order_status',
    `      - { name: order_id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }
      - { name: status, logicalType: string, physicalType: VARCHAR }
      - { name: amount_cents, logicalType: integer, physicalType: BIGINT }`,
  ),
  testContract(
    'gold.status_totals',
    'gold.status_totals',
    `      - { name: status, logicalType: string, physicalType: VARCHAR, required: true, primaryKey: true }
      - { name: orders, logicalType: integer, physicalType: BIGINT }
      - { name: amount, logicalType: number, physicalType: DOUBLE }`,
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
const silverOrders = (
  select = 'order_id, amount, lower(status) as status, updated_at, is_deleted, _ingested_at, _source_ref, _source_row',
) =>
  file(
    'models/silver/orders.sql',
    `select ${select} from {{ source('shop', 'orders') }}`,
    'description: d\nmaterialization: incremental\nunique_key: [order_id]\nlatest_by: [updated_at, _ingested_at]\ndelete_when: is_deleted\nquarantine: true\n',
  );
const goldModels = [
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

describe('materializations', () => {
  let root: string;
  let worker: DuckDBInstance;
  let lakehouse: DuckDbLakehouse;
  let clock: ManualClock;
  let batches = 0;

  /** Lands rows in bronze as an ingestion would: one Parquet object with the metadata columns. */
  const ingest = async (rows: [number, number | null, string | null, string, boolean][]) => {
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
  const build = async (
    layer: 'silver' | 'gold',
    models = [silverOrders(), ...goldModels],
    fullRefresh = false,
  ) => {
    clock = new ManualClock(new Date(clock.now().getTime() + 60_000));
    const project = loadModelProject(models, [], contracts);
    const stats = await buildLayer(
      {
        engine: lakehouse,
        contracts,
        project,
        clock,
        logger: silentLogger,
        lineage: memoryLineage(contracts).lineage,
      },
      { layer, runId: `${layer}-${batches}`, runDate: '2026-01-02', fullRefresh },
    );
    return Object.fromEntries(stats.map((s) => [s.dataset, s]));
  };
  const rows = (sql: string) => lakehouse.query(sql);

  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-mat-'));
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
      [2, 20, 'PLACED', '2026-01-01T11:00:00Z', false],
      [2, 20, 'PLACED', '2026-01-01T11:00:00Z', false],
      [3, -5, 'placed', '2026-01-01T12:00:00Z', false],
      [4, 7, 'lost', '2026-01-01T13:00:00Z', false],
    ]);
  });
  afterEach(() => {
    lakehouse.close();
    worker.closeSync();
    rmSync(root, { recursive: true, force: true });
  });

  it('first load: invalid rows are quarantined with their rule, duplicates dropped, the rest inserted', async () => {
    const stats = await build('silver');
    expect(stats['silver.orders']).toMatchObject({
      rowsIn: 5,
      rowsOut: 2,
      quarantined: 2,
      duplicates: 1,
      inserted: 2,
    });
    expect(
      await rows('select order_id, amount, status from silver.orders order by order_id'),
    ).toEqual([
      { order_id: 1, amount: 10, status: 'placed' },
      { order_id: 2, amount: 20, status: 'placed' },
    ]);
    expect(
      await rows(
        'select order_id, amount, status, _rule, _reason, _ingest_run_id from quarantine.orders order by order_id',
      ),
    ).toEqual([
      {
        order_id: 3,
        amount: -5,
        status: 'placed',
        _rule: 'amount.minimum',
        _reason: "amount '-5.0' is below the minimum 0",
        _ingest_run_id: 'ingest-1',
      },
      {
        order_id: 4,
        amount: 7,
        status: 'lost',
        _rule: 'status.accepted_values',
        _reason: "status 'lost' is not one of placed, paid",
        _ingest_run_id: 'ingest-1',
      },
    ]);
  });

  it('CDC: updates replace, tombstones delete, new keys insert; the change feed carries it to gold', async () => {
    await build('silver');
    await build('gold');
    await ingest([
      [1, 15, 'paid', '2026-01-02T09:00:00Z', false],
      [2, null, null, '2026-01-02T09:30:00Z', true],
      [5, 50, 'placed', '2026-01-02T10:00:00Z', false],
    ]);
    const silver = await build('silver');
    expect(silver['silver.orders']).toMatchObject({
      rowsIn: 3,
      quarantined: 0,
      inserted: 1,
      updated: 1,
      deleted: 1,
    });
    expect(
      await rows('select order_id, amount, status from silver.orders order by order_id'),
    ).toEqual([
      { order_id: 1, amount: 15, status: 'paid' },
      { order_id: 5, amount: 50, status: 'placed' },
    ]);
    expect(
      await rows(
        'select order_id, _change_type from changelog.silver_orders where _seq = 1 order by order_id',
      ),
    ).toEqual([
      { order_id: 1, _change_type: 'upsert' },
      { order_id: 2, _change_type: 'delete' },
      { order_id: 5, _change_type: 'upsert' },
    ]);

    const gold = await build('gold');
    expect(gold['gold.order_status']).toMatchObject({
      rowsIn: 3,
      inserted: 1,
      updated: 1,
      deleted: 1,
    });
    expect(
      await rows('select order_id, status, amount_cents from gold.order_status order by order_id'),
    ).toEqual([
      { order_id: 1, status: 'paid', amount_cents: 1500 },
      { order_id: 5, status: 'placed', amount_cents: 5000 },
    ]);
    expect(gold['gold.order_history']).toMatchObject({ inserted: 2, updated: 1, deleted: 1 });
    expect(
      await rows(
        'select order_id, status, cast(valid_from as varchar) as valid_from, cast(valid_to as varchar) as valid_to, is_current from gold.order_history order by order_id, valid_from',
      ),
    ).toEqual([
      {
        order_id: 1,
        status: 'placed',
        valid_from: '2026-01-01 10:00:00',
        valid_to: '2026-01-02 09:00:00',
        is_current: false,
      },
      {
        order_id: 1,
        status: 'paid',
        valid_from: '2026-01-02 09:00:00',
        valid_to: null,
        is_current: true,
      },
      {
        order_id: 2,
        status: 'placed',
        valid_from: '2026-01-01 11:00:00',
        valid_to: '2026-01-02 09:30:00',
        is_current: false,
      },
      {
        order_id: 5,
        status: 'placed',
        valid_from: '2026-01-02 10:00:00',
        valid_to: null,
        is_current: true,
      },
    ]);
  });

  it('feed_columns: the feed carries the values a change leaves, so a table model can rebuild only the groups it touched from its previous content', async () => {
    const silver = {
      ...silverOrders(),
      yml: `${silverOrders().yml}feed_columns: [status]\n`,
    };
    // Orders per status: the statuses a change left or entered are recounted, the others kept.
    const totals = file(
      'models/gold/status_totals.sql',
      `{% if is_incremental() %}
       with touched as (select status from {{ changes('silver.orders') }} c where status is not null)
       {% endif %}
       select status, count(*) as orders, sum(amount) as amount from {{ ref('silver.orders') }}
       {% if is_incremental() %}where status in (select status from touched){% endif %}
       group by status
       {% if is_incremental() %}
       union all
       select t.status, t.orders, t.amount from {{ this }} t where t.status not in (select status from touched)
       {% endif %}`,
      'description: d\nmaterialization: table\n',
    );
    const models = [silver, totals];
    const expected = () =>
      rows(
        'select status, count(*) as orders, sum(amount) as amount from silver.orders group by status order by status',
      );
    const stored = () =>
      rows('select status, orders, amount from gold.status_totals order by status');
    await build('silver', models);
    await build('gold', models);
    expect(await stored()).toEqual([{ status: 'placed', orders: 2, amount: 30 }]);

    await ingest([
      [1, 15, 'paid', '2026-01-02T09:00:00Z', false],
      [2, null, null, '2026-01-02T09:30:00Z', true],
      [5, 50, 'placed', '2026-01-02T10:00:00Z', false],
    ]);
    await build('silver', models);
    expect(
      await rows(
        'select order_id, status, _change_type from changelog.silver_orders where _seq <= 2 order by _seq, order_id',
      ),
    ).toEqual([
      { order_id: 1, status: 'placed', _change_type: 'previous' },
      { order_id: 2, status: 'placed', _change_type: 'previous' },
      { order_id: 1, status: 'paid', _change_type: 'upsert' },
      { order_id: 2, status: null, _change_type: 'delete' },
      { order_id: 5, status: 'placed', _change_type: 'upsert' },
    ]);
    await build('gold', models);
    expect(await stored()).toEqual([
      { status: 'paid', orders: 1, amount: 15 },
      { status: 'placed', orders: 1, amount: 50 },
    ]);
    expect(await stored()).toEqual(await expected());

    // A group that loses its last row disappears; a status no change touched is not recounted.
    await lakehouse.execute(`update gold.status_totals set orders = 99 where status = 'placed'`);
    await ingest([[1, null, null, '2026-01-03T09:00:00Z', true]]);
    await build('silver', models);
    await build('gold', models);
    expect(await stored()).toEqual([{ status: 'placed', orders: 99, amount: 50 }]);
    expect(
      await rows(
        `select input, watermark from audit.model_state where model = 'gold.status_totals' order by input`,
      ),
    ).toEqual([
      { input: 'changes:silver.orders', watermark: '4' },
      { input: 'definition', watermark: expect.stringMatching(/^[0-9a-f]{16}$/) },
    ]);

    // An edit to the model's SQL: its next build trusts no previous content (the 99 goes).
    const edited = { ...totals, sql: `-- Orders and amounts per status.\n${totals.sql}` };
    await build('gold', [silver, edited]);
    expect(await stored()).toEqual(await expected());

    // A full refresh may move any key: every key it held is fed with its previous values, then
    // the keys it no longer holds as deletes (77, written outside the pipeline), bronze's
    // tombstones as deletes, and the keys it writes.
    await lakehouse.execute(
      `insert into silver.orders (order_id, amount, status, updated_at) values (77, 7, 'placed', timestamp '2026-01-01 00:00:00')`,
    );
    await build('silver', models, true);
    expect(
      await rows(
        'select order_id, status, _change_type from changelog.silver_orders where _seq > 4 order by _seq, order_id',
      ),
    ).toEqual([
      { order_id: 5, status: 'placed', _change_type: 'previous' },
      { order_id: 77, status: 'placed', _change_type: 'previous' },
      { order_id: 77, status: 'placed', _change_type: 'delete' },
      { order_id: 1, status: null, _change_type: 'delete' },
      { order_id: 2, status: null, _change_type: 'delete' },
      { order_id: 5, status: 'placed', _change_type: 'upsert' },
    ]);
    await build('gold', models);
    expect(await stored()).toEqual(await expected());
  });

  it('a change feed created before its model listed feed_columns is refused by name, not by a binder error', async () => {
    await build('silver');
    await ingest([[1, 15, 'paid', '2026-01-02T09:00:00Z', false]]);
    const silver = { ...silverOrders(), yml: `${silverOrders().yml}feed_columns: [status]\n` };
    await expect(build('silver', [silver])).rejects.toThrow(
      'models/silver/orders.sql: its change feed changelog.silver_orders predates feed_columns status; drop changelog.silver_orders, then run the pipeline with --full-refresh so that its readers start again from the new feed',
    );
  });

  it('feed_columns must be columns the model writes', async () => {
    const silver = { ...silverOrders(), yml: `${silverOrders().yml}feed_columns: [state]\n` };
    await expect(build('silver', [silver])).rejects.toThrow(
      'models/silver/orders.sql: feed_columns state must be contract columns',
    );
  });

  it('an older version arriving after a newer one never replaces or deletes it, and is counted as superseded', async () => {
    await build('silver');
    await ingest([
      [1, 15, 'paid', '2026-01-02T09:00:00Z', false],
      [2, 25, 'paid', '2026-01-02T09:00:00Z', false],
    ]);
    await build('silver');
    await ingest([
      [1, 10, 'placed', '2026-01-01T10:00:00Z', false],
      [2, null, null, '2026-01-01T12:00:00Z', true],
      [5, 50, 'placed', '2026-01-01T10:00:00Z', false],
    ]);
    const silver = await build('silver');
    expect(silver['silver.orders']).toMatchObject({
      rowsIn: 3,
      rowsOut: 1,
      duplicates: 2,
      inserted: 1,
      updated: 0,
      deleted: 0,
    });
    expect(
      await rows('select order_id, amount, status from silver.orders order by order_id'),
    ).toEqual([
      { order_id: 1, amount: 15, status: 'paid' },
      { order_id: 2, amount: 25, status: 'paid' },
      { order_id: 5, amount: 50, status: 'placed' },
    ]);
  });

  it('re-running with no new input changes nothing', async () => {
    await build('silver');
    await build('gold');
    const snapshot = async () =>
      rows('select * exclude (_run_id) from gold.order_history order by all');
    const before = await snapshot();
    const silver = await build('silver');
    const gold = await build('gold');
    expect(silver['silver.orders']).toMatchObject({ rowsIn: 0, rowsOut: 0 });
    expect(gold['gold.order_history']).toMatchObject({ rowsIn: 0, inserted: 0, updated: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it('a model that drops source rows fails the run instead of losing them', async () => {
    const filtering = { ...silverOrders(), sql: `${silverOrders().sql} where amount > 0` };
    await expect(build('silver', [filtering])).rejects.toThrow(ReconciliationError);
    await expect(build('silver', [filtering])).rejects.toThrow(/returned 4 rows for 5 source rows/);
  });

  it('a model that does not match its contract is rejected by column', async () => {
    await expect(
      build('silver', [
        silverOrders(
          'order_id, amount, updated_at, is_deleted, 1 as extra, _ingested_at, _source_ref, _source_row',
        ),
      ]),
    ).rejects.toThrow(
      new ModelGraphError(
        'models/silver/orders.sql does not match contract silver.orders (silver.orders.yaml): missing status; not in the contract: extra',
      ),
    );
  });

  it('a failure in one model leaves every table as last published, and the next run converges', async () => {
    await build('silver');
    await build('gold');
    await ingest([[1, 99, 'paid', '2026-01-03T09:00:00Z', false]]);
    await build('silver');
    const broken = file(
      'models/gold/order_status.sql',
      "select k.order_id, k.nonsense from {{ changes('silver.orders') }} k",
      goldModels[0]!.yml!,
    );
    // order_history runs first and publishes; order_status fails and keeps its last state.
    await expect(build('gold', [silverOrders(), broken, goldModels[1]!])).rejects.toThrow(
      /nonsense/,
    );
    expect(
      await rows('select status from gold.order_history where order_id = 1 and is_current'),
    ).toEqual([{ status: 'paid' }]);
    expect(await rows('select amount_cents from gold.order_status where order_id = 1')).toEqual([
      { amount_cents: 1000 },
    ]);
    const gold = await build('gold');
    expect(gold['gold.order_history']).toMatchObject({ rowsIn: 0 });
    expect(gold['gold.order_status']).toMatchObject({ rowsIn: 1, updated: 1 });
    expect(await rows('select amount_cents from gold.order_status where order_id = 1')).toEqual([
      { amount_cents: 9900 },
    ]);
  });
});
