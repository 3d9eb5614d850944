import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../lambdas/definitions/project-files';
import type { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { runJob } from '../../lambdas/runtime/runner';
import { day1, day2, openPlatform, sampleLake, testProject } from '../helpers/lake';

type Lake = Awaited<ReturnType<typeof sampleLake>>;

/**
 * Each silver and gold table as a multiset of its business columns (bookkeeping columns, which
 * name runs and ingestion times, left out), to compare two lakes row for row.
 */
async function tables(platform: LocalPlatform, project: Project) {
  const result: Record<string, string[]> = {};
  for (const model of project.models.models) {
    const columns = project.contracts
      .get(model.contractId)
      .properties.map((p) => p.name)
      .filter((c) => !c.startsWith('_'));
    const rows = await platform.lakehouse.query<{ row: string }>(
      `select cast(row(${columns.map((c) => `"${c}"`).join(', ')}) as varchar) as row from ${model.name} order by 1`,
    );
    result[model.name] = rows.map((r) => r.row);
  }
  return result;
}

describe('dates out of order', () => {
  let project: Project;
  const lakes: Lake[] = [];
  const platforms: LocalPlatform[] = [];
  let inOrder: LocalPlatform;
  let backfilled: LocalPlatform;

  beforeAll(async () => {
    project = await testProject();
    for (let i = 0; i < 2; i += 1) {
      lakes.push(await sampleLake(3_000, 2));
      platforms.push(await openPlatform(project, lakes[i]!.lakeRoot));
    }
    [inOrder, backfilled] = platforms as [LocalPlatform, LocalPlatform];
    for (const date of [day1, day2]) {
      expect((await runJob(inOrder, 'daily', { runDate: date })).status).toBe('succeeded');
    }
    expect((await runJob(backfilled, 'daily', { runDate: day2 })).status).toBe('succeeded');
  }, 240_000);
  afterAll(async () => {
    for (const platform of platforms) await platform.close();
    for (const lake of lakes) lake.cleanup();
  });

  it('a day earlier than the last completed one is refused, naming that day and the flags, and changes no silver or gold table', async () => {
    const before = await tables(backfilled, project);
    const outcome = await runJob(backfilled, 'daily', { runDate: day1 });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('OutOfOrderRunError');
    expect(outcome.error).toContain(`${day1} is earlier than ${day2}, the lake's last completed`);
    expect(outcome.error).toContain('--backfill');
    expect(await tables(backfilled, project)).toEqual(before);
  }, 120_000);

  it('a backfill of day 1 after day 2 leaves silver and gold as running the days in order does', async () => {
    const outcome = await runJob(backfilled, 'daily', { runDate: day1, backfill: true });
    expect(outcome.status, outcome.error).toBe('succeeded');
    const expected = await tables(inOrder, project);
    const actual = await tables(backfilled, project);
    // dim_customer's history holds the versions each run saw: day 2 run first never saw day 1's
    // versions of customers changed on day 2, so only the current versions can agree.
    const { ['gold.dim_customer']: dimExpected, ...restExpected } = expected;
    const { ['gold.dim_customer']: dimActual, ...restActual } = actual;
    expect(restActual).toEqual(restExpected);
    expect(dimActual).toBeDefined();
    const current = async (platform: LocalPlatform) =>
      platform.lakehouse.query(
        `select * exclude (_run_id) from gold.dim_customer where is_current order by customer_id`,
      );
    expect(await current(backfilled)).toEqual(await current(inOrder));
    expect(dimExpected!.length).toBeGreaterThan(0);
  }, 240_000);

  it('after the backfill every order has its amount in dollars, FX rates reach the last day and no order is from the future', async () => {
    const [row] = await backfilled.lakehouse.query<{
      missing_usd: number;
      last_rate: string;
      negative: number;
    }>(
      `select (select count(*) from gold.fact_orders where amount_usd is null) as missing_usd,
         (select cast(max(rate_date) as varchar) from silver.fx_rates) as last_rate,
         (select count(*) from gold.customer_360 where days_since_last_order < 0) as negative`,
    );
    expect(row).toEqual({ missing_usd: 0, last_rate: day2, negative: 0 });
  });

  it('a full refresh rebuilds silver and gold from bronze into what the incremental runs built', async () => {
    const before = await tables(inOrder, project);
    const quarantined = () =>
      inOrder.lakehouse.query(
        `select _rule, count(*) as n from quarantine.orders group by _rule order by _rule`,
      );
    const quarantineBefore = await quarantined();
    const outcome = await runJob(inOrder, 'daily', { runDate: day2, fullRefresh: true });
    expect(outcome.status, outcome.error).toBe('succeeded');
    const rebuilt = outcome.steps.filter((s) => s.dataset === 'silver.orders');
    expect(rebuilt).toEqual([expect.objectContaining({ updated: 0, deleted: 0 })]);
    expect(rebuilt[0]!.inserted).toBeGreaterThan(0);
    expect(await tables(inOrder, project)).toEqual(before);
    expect(await quarantined()).toEqual(quarantineBefore);
  }, 240_000);
});
