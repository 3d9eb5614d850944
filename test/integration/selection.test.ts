import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { medallion } from '../helpers/cli';
import { day1, day2 } from '../helpers/lake';

/**
 * `run --select/--exclude`, `compile`, `show` and `ls` as a user runs them, on a lake where the
 * daily pipeline ran once (300 orders): a selective run then rebuilds the selected models alone.
 */
describe('model selection on the command line', () => {
  let lake: string;
  const cli = (...args: string[]) => medallion('--lake', lake, ...args);
  const query = <T = Record<string, unknown>>(sql: string): T[] => {
    const { code, stdout, stderr } = cli('query', sql, '--format', 'json');
    expect(code, stderr).toBe(0);
    return JSON.parse(stdout) as T[];
  };
  /** The run history's latest run, and the datasets its steps wrote. */
  const lastRun = () => {
    const [run] = JSON.parse(cli('status', '--limit', '1', '--format', 'json').stdout) as {
      run_id: string;
      job: string;
      status: string;
    }[];
    const steps = JSON.parse(cli('status', '--run', run!.run_id, '--format', 'json').stdout) as {
      dataset: string;
    }[];
    return { ...run!, datasets: steps.map((s) => s.dataset) };
  };
  let models: string[];
  /** The models holding rows the run wrote (every model stamps `_run_id` on what it writes). */
  const touchedBy = (runId: string) =>
    query<{ dataset: string }>(
      models
        .map(
          (m) =>
            `select '${m}' as dataset from ${m} where _run_id = '${runId}' group by all having count(*) > 0`,
        )
        .join(' union all ') + ' order by dataset',
    ).map((r) => r.dataset);
  const gated = (runId: string) =>
    query<{ dataset: string }>(
      `select dataset from audit.dq_scores where run_id = '${runId}' order by dataset`,
    ).map((r) => r.dataset);

  beforeAll(() => {
    lake = mkdtempSync(path.join(os.tmpdir(), 'medallion-selection-'));
    expect(cli('generate', '--scale', '300', '--days', '2').code).toBe(0);
    const daily = cli('run', '--job', 'daily', '--date', day1);
    expect(daily.code, daily.stderr).toBe(0);
    const ingest = cli('run', '--job', 'snowflake_to_bronze', '--date', day2);
    expect(ingest.code, ingest.stderr).toBe(0);
    models = (
      JSON.parse(cli('ls', '--type', 'model', '--format', 'json').stdout) as { name: string }[]
    ).map((m) => m.name);
  });
  afterAll(() => rmSync(lake, { recursive: true, force: true }));

  it('run --job bronze_to_silver --select +silver.orders builds, checks and records silver.orders alone', () => {
    // Day 2's Snowflake extract brought new customers, products and orders to bronze.
    const { code, stderr } = cli(
      'run',
      '--job',
      'bronze_to_silver',
      '--date',
      day2,
      '--select',
      '+silver.orders',
    );
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('Selected 1 model(s)\n  silver: silver.orders\n');
    const run = lastRun();
    expect(run).toMatchObject({ job: 'bronze_to_silver', status: 'succeeded' });
    expect(run.datasets).toEqual(['silver.orders']);
    expect(gated(run.run_id)).toEqual(['silver.orders']);
    // Customers and products had new bronze rows too: they were left for a later run.
    expect(touchedBy(run.run_id)).toEqual(['silver.orders']);
  });

  it('--exclude leaves models out of the selection', () => {
    const { code, stderr } = cli(
      'run',
      '--job',
      'bronze_to_silver',
      '--date',
      day2,
      '--select',
      'silver.orders',
      'silver.products',
      'silver.fx_rates',
      '--exclude',
      'silver.products',
    );
    expect(code, stderr).toBe(0);
    const run = lastRun();
    expect(run.datasets.sort()).toEqual(['silver.fx_rates', 'silver.orders']);
    // silver.fx_rates is a table, rebuilt whole; silver.orders had nothing new to merge.
    expect(touchedBy(run.run_id)).toEqual(['silver.fx_rates']);
  });

  it('in daily, +gold.fact_orders builds the silver models it reads and gold.fact_orders, nothing else', () => {
    const { code, stderr } = cli(
      'run',
      '--job',
      'daily',
      '--date',
      day2,
      '--select',
      '+gold.fact_orders',
    );
    expect(code, stderr).toBe(0);
    const run = lastRun();
    const built = run.datasets.filter((d) => /^(silver|gold)\./.test(d)).sort();
    expect(built).toEqual(
      expect.arrayContaining(['silver.orders', 'silver.fx_rates', 'gold.fact_orders']),
    );
    expect(built).not.toContain('gold.revenue_daily');
    expect(built).not.toContain('silver.customers');
    // silver.fx_rates is a table, rebuilt whole: a model that is not selected would show too.
    expect(touchedBy(run.run_id)).toEqual(expect.arrayContaining(['silver.fx_rates']));
    expect(touchedBy(run.run_id).filter((m) => !built.includes(m))).toEqual([]);
    expect(gated(run.run_id)).toEqual(built);
  });

  it('a selector the project cannot satisfy fails before anything runs, naming it', () => {
    const runs = query('select run_id from audit.runs').length;
    const { code, stderr } = cli('run', '--job', 'bronze_to_silver', '--select', '+silver.ordrs');
    expect(code).toBe(1);
    expect(stderr).toContain('No model matches "silver.ordrs" (did you mean silver.orders?)');
    expect(query('select run_id from audit.runs')).toHaveLength(runs);
    const ingest = cli('run', '--job', 'fx_to_bronze', '--select', 'silver.orders');
    expect(ingest.code).toBe(1);
    expect(ingest.stderr).toContain('fx_to_bronze builds none');
  });

  it('compile prints each selected model headed by its name and form, for DuckDB and Athena', () => {
    const duckdb = cli('compile', '+gold.fact_orders');
    expect(duckdb.code, duckdb.stderr).toBe(0);
    expect(duckdb.stdout).toMatch(/^-- silver\.orders: full-refresh form \(--incremental: /m);
    expect(duckdb.stdout).toMatch(/^-- gold\.fact_orders: full-refresh form/m);
    expect(duckdb.stdout).toContain('from (select * from "bronze"."snowflake_orders" where');

    const athena = cli('compile', '+gold.fact_orders', '--engine', 'athena', '--incremental');
    expect(athena.code, athena.stderr).toBe(0);
    expect(athena.stdout).toContain('"medallion_local_bronze"."snowflake_orders"');
    const models = athena.stdout.split(/^-- (?=\S+: (?:incremental|full-refresh) form)/m).slice(1);
    expect(models.length).toBeGreaterThan(2);
    const trino = new TrinoSQL();
    for (const model of models) {
      const sql = model.replace(/^.*\n(--.*\n)*/, '');
      expect(trino.validate(sql), model.split('\n')[0]).toEqual([]);
    }
    expect(athena.stdout).toMatch(/^-- silver\.orders: incremental form/m);
    expect(athena.stdout).toMatch(/^-- bronze since the last run's watermark, shown as /m);
  });

  it('compile names a selector that matches nothing', () => {
    const { code, stderr } = cli('compile', 'gold.fact_ordrs');
    expect(code).toBe(1);
    expect(stderr).toContain('No model matches "gold.fact_ordrs" (did you mean gold.fact_orders?)');
  });

  it("show runs a model's SELECT on the lake and prints its rows, writing nothing", () => {
    const runs = query('select run_id from audit.runs').length;
    const shown = cli('show', 'silver.orders', '--limit', '5', '--format', 'json');
    expect(shown.code, shown.stderr).toBe(0);
    const rows = JSON.parse(shown.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(5);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['order_id', 'currency']));
    expect(shown.stderr).toContain('more past --limit 5');
    const table = cli('show', 'gold.revenue_daily');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/order_date/);
    expect(query('select run_id from audit.runs')).toHaveLength(runs);
    const several = cli('show', 'layer:gold');
    expect(several.code).toBe(1);
    expect(several.stderr).toContain('show runs one model; "layer:gold" selects gold.');
  });

  it('ls lists models, sources, contracts and seeds with owner and contract; --select lists models', () => {
    const all = JSON.parse(cli('ls', '--format', 'json').stdout) as Record<string, string>[];
    expect(new Set(all.map((i) => i.type))).toEqual(
      new Set(['model', 'source', 'contract', 'seed']),
    );
    expect(all.find((i) => i.type === 'model' && i.name === 'silver.orders')).toMatchObject({
      layer: 'silver',
      materialization: 'incremental',
      owner: 'data-platform',
      contract: expect.stringMatching(/^silver\.orders@\d+\.\d+\.\d+$/),
    });
    expect(all.find((i) => i.type === 'source' && i.name === 'snowflake.orders')).toMatchObject({
      layer: 'bronze',
      materialization: 'warehouse',
    });
    const selected = JSON.parse(
      cli('ls', '--select', 'gold.fact_orders+', '--format', 'json').stdout,
    ) as Record<string, string>[];
    expect(selected.every((i) => i.type === 'model')).toBe(true);
    expect(selected.map((i) => i.name)).toContain('gold.fact_orders');
    expect(selected.map((i) => i.name)).not.toContain('silver.orders');
  });
});
