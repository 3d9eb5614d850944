/**
 * The invariants of the gold contracts, as the gold gate checks them: a small, consistent gold
 * layer passes; breaking one invariant fails the gate with an error naming its check.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import type { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { checkLayerQuality } from '../../lambdas/core/dq/layer';
import { loadContracts } from '../../lambdas/definitions/source-files';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { ManualClock, silentLogger } from '../helpers/clock';
import { emptyLakehouse } from '../helpers/lake';
import { memoryLineage } from '../helpers/lineage';

const runDate = '2026-01-02';

/**
 * Two orders on the run date (EUR and USD) and the silver rows they come from; customer 1 has two
 * versions, customer 2 one, customer 3 was deleted (its last version closed, none current).
 */
const consistentGold = [
  `insert into silver.orders values (1, 2, 10.00), (2, 1, 5.00)`,
  `insert into silver.fx_rates values (date '2026-01-02', 'EUR', 0.9), (date '2026-01-02', 'USD', 1.0)`,
  `insert into silver.customers values (1), (2)`,
  `insert into gold.fact_orders (order_id, order_date, order_ts, customer_id, product_id, status, quantity, unit_price, currency, amount, fx_rate, amount_usd) values
     (1, date '2026-01-02', timestamp '2026-01-02 10:00:00', 1, 1, 'delivered', 2, 10.00, 'EUR', 20.00, 0.9, 22.22),
     (2, date '2026-01-02', timestamp '2026-01-02 11:00:00', 2, 1, 'delivered', 1, 5.00, 'USD', 5.00, 1.0, 5.00)`,
  `insert into gold.dim_date (date_day) values (date '2026-01-02')`,
  `insert into gold.dim_product (product_id) values (1)`,
  `insert into gold.dim_customer (customer_id, valid_from, valid_to, is_current) values
     (1, timestamp '2026-01-01 00:00:00', timestamp '2026-01-02 09:00:00', false),
     (1, timestamp '2026-01-02 09:00:00', null, true),
     (2, timestamp '2026-01-01 00:00:00', null, true),
     (3, timestamp '2026-01-01 00:00:00', timestamp '2026-01-02 08:00:00', false)`,
  `insert into gold.customer_360 (customer_id, last_order_date, days_since_last_order) values
     (1, date '2026-01-02', 0), (2, date '2026-01-02', 0)`,
  `insert into gold.revenue_daily (order_date, orders, cancelled_orders, revenue_usd) values
     (date '2026-01-02', 2, 0, 27.22)`,
];

describe('the gold gate checks the invariants of the gold contracts', () => {
  let lakehouse: DuckDbLakehouse;
  let close: () => void;
  let contracts: ContractRegistry;

  const gate = () =>
    checkLayerQuality(
      {
        engine: lakehouse,
        contracts,
        clock: new ManualClock(),
        logger: silentLogger,
        lineage: memoryLineage(contracts).lineage,
      },
      { layer: 'gold', runId: 'run-1', runDate },
    );

  beforeAll(async () => {
    ({ lakehouse, close } = await emptyLakehouse());
    contracts = await loadContracts(projectRoot);
  });
  afterAll(() => close());
  beforeEach(async () => {
    await lakehouse.execute(
      'create or replace table silver.orders (order_id bigint, quantity integer, unit_price decimal(12,2))',
    );
    await lakehouse.execute(
      'create or replace table silver.fx_rates (rate_date date, currency varchar, usd_rate double)',
    );
    await lakehouse.execute('create or replace table silver.customers (customer_id bigint)');
    // The change feeds fact_orders' reconciliation reads the deleted keys from.
    for (const feed of ['silver_orders', 'gold_fact_orders'])
      await lakehouse.execute(
        `create or replace table changelog.${feed} (order_id bigint, _change_type varchar, _run_id varchar)`,
      );
    for (const contract of contracts.all().filter((c) => c.layer === 'gold')) {
      const columns = contract.columns.map((c) => `"${c.name}" ${c.type}`).join(', ');
      await lakehouse.execute(`create or replace table ${contract.relation} (${columns})`);
    }
    for (const sql of consistentGold) await lakehouse.execute(sql);
  });

  it('a consistent gold layer passes every check', async () => {
    const result = await gate();
    expect(result.summary).toBe('every gold dataset passed its error checks');
    expect(result.gate).toBe('pass');
  });

  it.each([
    [
      'an order with a known currency has no amount in US dollars',
      `update gold.fact_orders set amount_usd = null where order_id = 1`,
      'gold.fact_orders amount_usd_known_when_currency_known',
    ],
    [
      'an order’s currency has no rate on its order date',
      `delete from silver.fx_rates where currency = 'EUR'`,
      'gold.fact_orders fx_rate_for_every_order',
    ],
    [
      'an order of silver is missing from the fact',
      `delete from gold.fact_orders where order_id = 2`,
      'gold.fact_orders orders_reconcile_with_silver',
    ],
    [
      'an order’s amount differs from silver’s quantity × unit price',
      `update silver.orders set quantity = 3 where order_id = 1`,
      'gold.fact_orders amount_reconciles_with_silver',
    ],
    [
      'a customer’s last order is after the run date',
      `update gold.customer_360 set days_since_last_order = -1 where customer_id = 1`,
      'gold.customer_360 days_since_last_order_not_negative',
    ],
    [
      'a customer has two current versions',
      `update gold.dim_customer set valid_to = null, is_current = true where customer_id = 1`,
      'gold.dim_customer one_current_version_per_customer',
    ],
    [
      'a live customer has no current version',
      `delete from gold.dim_customer where customer_id = 2`,
      'gold.dim_customer one_current_version_per_customer',
    ],
    [
      'two versions of a customer overlap',
      `update gold.dim_customer set valid_to = timestamp '2026-01-02 12:00:00' where customer_id = 1 and not is_current`,
      'gold.dim_customer versions_do_not_overlap',
    ],
    [
      'a version ends before it starts',
      `update gold.dim_customer set valid_to = timestamp '2025-12-31 00:00:00' where customer_id = 3`,
      'gold.dim_customer versions_do_not_overlap',
    ],
    [
      'a closed version is marked current',
      `update gold.dim_customer set is_current = true where customer_id = 3`,
      'gold.dim_customer current_version_is_open',
    ],
    [
      'a day’s revenue does not add up to its orders',
      `update gold.revenue_daily set revenue_usd = 27.00`,
      'gold.revenue_daily revenue_reconciles_with_fact_orders',
    ],
  ])('fails with an error when %s', async (_, breaking, check) => {
    await lakehouse.execute(breaking);
    const result = await gate();
    expect(result.gate).toBe('fail');
    expect(result.summary).toContain(`${check} (error)`);
  });
});
