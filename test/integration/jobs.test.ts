import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconciles } from '../../lambdas/core/stats';
import type { LocalPlatform } from '../../lambdas/runtime/local-platform';
import type { Job } from '../../lambdas/core/orchestration';
import { runJob } from '../../lambdas/runtime/runner';
import { day1, openPlatform, sampleLake, testProject } from '../helpers/lake';

/** Each job on its own, in the order the daily pipeline runs them, on ~3,000 generated orders. */
describe('jobs, one at a time', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let platform: LocalPlatform;
  const run = (job: Job) => runJob(platform, job, { runDate: day1, retryIntervalMs: 0 });
  const query = <T = Record<string, unknown>>(sql: string) =>
    platform.lakehouse.query<T & Record<string, unknown>>(sql);
  const count = async (relation: string) =>
    Number((await query<{ n: number }>(`select count(*) as n from ${relation}`))[0]!.n);

  beforeAll(async () => {
    lake = await sampleLake(3_000);
    // Small Kafka batches make the simulator redeliver now and then; a throttle every 3rd call
    // makes the CRM connector wait on Retry-After.
    const project = await testProject((c) => ({
      ...c,
      simulators: { ...c.simulators, throttleEvery: 3 },
      sources: {
        ...c.sources,
        kafka: { ...c.sources.kafka!, batchSize: 40 } as typeof c.sources.kafka & object,
      },
    }));
    platform = await openPlatform(project, lake.lakeRoot);
  });
  afterAll(async () => {
    await platform.close();
    lake.cleanup();
  });

  it('snowflake_to_bronze extracts every dataset incrementally, and a re-run extracts nothing', async () => {
    const first = await run('snowflake_to_bronze');
    expect(first.status).toBe('succeeded');
    expect(first.steps.map((s) => s.dataset)).toEqual([
      'snowflake.customers',
      'snowflake.products',
      'snowflake.orders',
    ]);
    expect(first.steps.every((s) => s.rowsOut > 0 && reconciles(s))).toBe(true);
    expect(await count('bronze.snowflake_orders')).toBe(first.steps[2]!.rowsOut);
    const [meta] = await query<{ runs: number; refs: number }>(
      `select count(distinct _run_id) as runs, count(distinct _source_ref) as refs from bronze.snowflake_orders`,
    );
    expect(meta).toEqual({ runs: 1, refs: 1 });

    const again = await run('snowflake_to_bronze');
    expect(again.steps.map((s) => s.rowsIn)).toEqual([0, 0, 0]);
    expect(await count('bronze.snowflake_orders')).toBe(first.steps[2]!.rowsOut);
  });

  it('only rows updated before the end of the run date are extracted', async () => {
    const [row] = await query<{ latest: string }>(
      `select cast(max(updated_at) as varchar) as latest from bronze.snowflake_orders`,
    );
    expect(row!.latest < '2026-01-02').toBe(true);
    const state = JSON.parse(
      readFileSync(path.join(lake.lakeRoot, 'state/ingest/snowflake/orders.json'), 'utf8'),
    );
    expect(state.watermark).toBe(row!.latest);
  });

  it('redshift_to_bronze and fx_to_bronze land typed and text bronze', async () => {
    expect((await run('redshift_to_bronze')).status).toBe('succeeded');
    expect((await run('fx_to_bronze')).status).toBe('succeeded');
    const types = await platform.lakehouse.describe(
      'select activity_date, sessions from bronze.redshift_customer_behavior',
    );
    expect(types.map((t) => t.type)).toEqual(['DATE', 'INTEGER']);
    expect((await platform.lakehouse.describe('select rate from bronze.fx_rates'))[0]!.type).toBe(
      'VARCHAR',
    );
  });

  it('crm_to_bronze pages through the local API, riding out 429s and 5xx', async () => {
    const outcome = await run('crm_to_bronze');
    expect(outcome.status).toBe('succeeded');
    const accounts = readFileSync(path.join(lake.lakeRoot, '_sim/crm/accounts.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const asOfDay1 = new Set(
      accounts.filter((a) => a.updated_at < '2026-01-02').map((a) => a.account_id),
    );
    expect(outcome.steps[0]).toMatchObject({
      dataset: 'crm.accounts',
      rowsIn: asOfDay1.size,
      rowsOut: asOfDay1.size,
    });
    const [pages] = await query<{ pages: number }>(
      `select count(distinct _source_ref) as pages from bronze.crm_contacts`,
    );
    expect(pages!.pages).toBeGreaterThan(0);
    const simulator = await platform.restSimulatorStats();
    expect(simulator!.throttled).toBeGreaterThan(0);
    expect(simulator!.requests).toBeGreaterThan(simulator!.throttled + simulator!.failed);
  });

  it('kafka_to_bronze drains the topic in MSK-shaped batches, skipping redeliveries by offset', async () => {
    const outcome = await run('kafka_to_bronze');
    const [stats] = outcome.steps;
    expect(stats).toMatchObject({ dataset: 'kafka.order_events' });
    expect(stats!.duplicates).toBeGreaterThan(0);
    expect(reconciles(stats!)).toBe(true);
    const [unique] = await query<{ rows: number; messages: number }>(
      `select count(*) as rows, count(distinct ("partition", "offset")) as messages from bronze.kafka_order_events`,
    );
    expect(unique!.rows).toBe(unique!.messages);
    expect(unique!.rows).toBe(stats!.rowsOut);
  });

  it('a run stopped (Ctrl-C) starts no further task, is recorded as interrupted and gives the run lock back (the next test runs the job again)', async () => {
    const stop = new AbortController();
    const started: string[] = [];
    const outcome = await runJob(platform, 'bronze_to_silver', {
      runDate: day1,
      retryIntervalMs: 0,
      signal: stop.signal,
      onTask: ({ state, phase }) => {
        if (phase !== 'start') return;
        started.push(state);
        if (state === 'BuildSilverModel') stop.abort();
      },
    });
    expect(outcome.status).toBe('interrupted');
    expect(outcome.error).toMatch(/interrupted/);
    expect(started.filter((s) => s === 'BuildSilverModel').length).toBeLessThan(
      platform.project.models.layer('silver').length,
    );
    expect(started).not.toContain('SilverQuality');
    const [recorded] = await query<{ status: string }>(
      `select status from audit.runs where run_id = '${outcome.runId}'`,
    );
    expect(recorded).toEqual({ status: 'interrupted' });
  });

  it('bronze_to_silver types, validates and merges; failing rows reach quarantine with the bronze row', async () => {
    const outcome = await run('bronze_to_silver');
    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.every(reconciles)).toBe(true);
    const orders = outcome.steps.find((s) => s.dataset === 'silver.orders')!;
    expect(orders.quarantined).toBeGreaterThan(0);
    expect(await count('silver.orders')).toBe(orders.inserted);
    const [quarantined] = await query<Record<string, unknown>>(
      `select * from quarantine.orders limit 1`,
    );
    expect(Object.keys(quarantined!)).toEqual(
      expect.arrayContaining([
        'order_id',
        'currency',
        '_ingested_at',
        '_ingest_run_id',
        '_source_ref',
        '_source_row',
        '_rule',
        '_reason',
        '_run_id',
      ]),
    );
    expect(quarantined!._run_id).toBe(outcome.runId);
    const rules = await query<{ rule: string }>(
      `select distinct _rule as rule from quarantine.order_events`,
    );
    expect(rules.map((r) => r.rule)).toContain('payload_is_json.accepted_values');
  });

  it('silver phones are the E.164 numbers libphonenumber reads from the raw spelling and country', async () => {
    const rows = await query<{ raw: string; country: string; phone: string }>(
      `select b.phone as raw, s.country_code as country, s.phone
       from silver.customers s join bronze.snowflake_customers b on b._source_ref = s._source_ref and b._source_row = s._source_row
       where s.phone is not null`,
    );
    expect(rows.length).toBeGreaterThan(100);
    // A leading 00 is read as the international prefix whatever the country, as people write it
    // (libphonenumber would only accept the country's own prefix, 011 in the US).
    const international = (raw: string) => raw.trim().replace(/^00/, '+');
    const mismatches = rows.filter(
      (r) =>
        parsePhoneNumberFromString(international(r.raw), r.country as CountryCode)?.number !==
        r.phone,
    );
    expect(mismatches).toEqual([]);
  });

  it('silver_to_gold builds the star schema and marts', async () => {
    const outcome = await run('silver_to_gold');
    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.map((s) => s.dataset).sort()).toEqual([
      'gold.customer_360',
      'gold.dim_customer',
      'gold.dim_date',
      'gold.dim_product',
      'gold.fact_orders',
      'gold.product_performance',
      'gold.revenue_daily',
    ]);
    expect(await count('gold.fact_orders')).toBe(await count('silver.orders'));
    expect(await count('gold.dim_customer')).toBe(await count('silver.customers'));
  });

  it('every run is in the history, with its datasets reconciled', async () => {
    const runs = await query<{ job: string; status: string }>(`select job, status from audit.runs`);
    // All succeeded, but for the one stopped on purpose above.
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([
      { job: 'bronze_to_silver', status: 'interrupted' },
    ]);
    const [unreconciled] = await query<{ n: number }>(
      `select count(*) as n from audit.run_datasets where not reconciled`,
    );
    expect(unreconciled!.n).toBe(0);
  });
});
