import { beforeAll, describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import { compileModel } from '../../lambdas/core/models/compile';
import type { ModelProject } from '../../lambdas/core/models/project';
import { loadProject } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';

describe('a model compiled as a run sends it', () => {
  let project: ModelProject;
  beforeAll(async () => {
    project = (await loadProject({ root: projectRoot })).models;
  });
  const compile = (name: string, incremental: boolean) =>
    compileModel(project.get(name), project, duckdbDialect, {
      incremental,
      runDate: '2026-01-02',
      snapshotAt: '2026-01-02T03:00:00.000Z',
    });

  it('full refresh: all of bronze up to the snapshot, every upstream row', () => {
    const orders = compile('silver.orders', false);
    expect(orders.form).toBe('full-refresh');
    expect(orders.notes).toEqual([]);
    expect(orders.sql).toContain(
      `from (select * from "bronze"."snowflake_orders" where _ingested_at <= timestamp '2026-01-02 03:00:00.000')`,
    );
    const fact = compile('gold.fact_orders', false);
    expect(fact.sql).not.toMatch(/_seq/);
    expect(fact.sql).toMatch(/from "silver"\."orders"\s/);
  });

  it('incremental: bronze since the last watermark and change feeds since the last read, both named as stand-ins', () => {
    const orders = compile('silver.orders', true);
    expect(orders.form).toBe('incremental');
    expect(orders.sql).toContain(
      `_ingested_at <= timestamp '2026-01-02 03:00:00.000' and _ingested_at > timestamp '2026-01-01 03:00:00.000' and ingest_date >= date '2026-01-01'`,
    );
    expect(orders.notes).toEqual([
      "bronze since the last run's watermark, shown as 2026-01-01T03:00:00.000Z",
    ]);
    const fact = compile('gold.fact_orders', true);
    expect(fact.sql).toMatch(
      /from "changelog"\."silver_orders" where _seq > 0 group by "order_id", _change_type = 'previous'\)/,
    );
    expect(fact.notes).toContain(
      'change feeds past the sequence the last run consumed, shown as 0',
    );
  });

  it('a table model that asks is_incremental() rebuilds from its previous content and the feeds, which carry the feed_columns', () => {
    const daily = compile('gold.revenue_daily', true);
    expect(daily.form).toBe('incremental');
    expect(daily.sql).toContain('from "gold"."revenue_daily" t');
    expect(daily.sql).toContain(
      `select "order_id", "order_date", "customer_id", "product_id", _change_type = 'previous' as _previous, min(_seq) as _seq, max(_changed_at) as _changed_at from "changelog"."gold_fact_orders" where _seq > 0 group by "order_id", "order_date", "customer_id", "product_id", _change_type = 'previous'`,
    );
    const full = compile('gold.revenue_daily', false);
    expect(full.form).toBe('full-refresh');
    expect(full.sql).not.toContain('"gold"."revenue_daily"');
    expect(full.sql).not.toContain('changelog');
  });

  it('a table model has no incremental form, and says so when asked for one', () => {
    const rates = compile('silver.fx_rates', true);
    expect(rates.form).toBe('full-refresh');
    expect(rates.notes).toEqual(['a table model is rebuilt whole: no incremental form']);
    expect(rates.sql).toBe(compile('silver.fx_rates', false).sql);
  });
});
