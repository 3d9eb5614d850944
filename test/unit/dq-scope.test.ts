import { describe, expect, it } from 'vitest';
import { isFullCheckDay } from '../../lambdas/core/dq/scope';
import { gateScope } from '../../lambdas/core/models/layer';
import { loadProject } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';

describe('when the quality gate checks every table whole', () => {
  it('weekly by default: on Sundays, decided by the run date alone', () => {
    const week = ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04', '2026-01-05'];
    expect(week.map((d) => isFullCheckDay(d, 7))).toEqual([false, false, false, true, false]);
    expect(isFullCheckDay('2026-01-11', 7)).toBe(true);
    expect(isFullCheckDay('1969-12-28', 7)).toBe(true);
  });

  it('every day with 1, never with 0', () => {
    expect(isFullCheckDay('2026-01-02', 1)).toBe(true);
    expect(isFullCheckDay('2026-01-04', 0)).toBe(false);
  });

  it("asked for (--full-checks, the execution input's fullChecks) on any day", async () => {
    const { models } = await loadProject({ root: projectRoot });
    const scope = (runDate: string, fullChecks: boolean) =>
      gateScope(models, 'silver', { runDate, fullChecks, every: 7 }).full;
    expect(scope('2026-01-02', false)).toBeNull();
    expect(scope('2026-01-02', true)).toBe('requested');
    expect(scope('2026-01-04', false)).toBe('periodic: every 7 day(s) (quality.fullChecksEvery)');
  });

  it("names what each merged model's materialization guarantees; tables rebuilt each run are not scoped", async () => {
    const { models } = await loadProject({ root: projectRoot });
    const gold = gateScope(models, 'gold', { runDate: '2026-01-02', fullChecks: false, every: 7 });
    expect(gold.merged).toEqual([
      // Type 2: a row per version, the key unique among current versions only.
      // Nor has it a change feed: a reference to it is checked whole.
      {
        relation: 'gold.dim_customer',
        uniqueKey: null,
        quarantine: null,
        firstBuild: false,
        changeFeed: null,
      },
      {
        relation: 'gold.fact_orders',
        uniqueKey: ['order_id'],
        quarantine: null,
        firstBuild: false,
        changeFeed: 'changelog.gold_fact_orders',
      },
    ]);
    const silver = gateScope(models, 'silver', {
      runDate: '2026-01-02',
      fullChecks: false,
      every: 7,
    });
    expect(silver.merged).toContainEqual({
      relation: 'silver.orders',
      uniqueKey: ['order_id'],
      quarantine: 'quarantine.orders',
      firstBuild: false,
      changeFeed: 'changelog.silver_orders',
    });
    expect(silver.merged.map((m) => m.relation)).not.toContain('silver.fx_rates');
  });

  it('marks the merged models the run builds first: their SQL rules read them whole', async () => {
    const { models } = await loadProject({ root: projectRoot });
    const gold = gateScope(models, 'gold', {
      runDate: '2026-01-02',
      fullChecks: false,
      every: 7,
      firstBuilds: ['gold.fact_orders'],
    });
    expect(gold.merged.map((m) => [m.relation, m.firstBuild])).toEqual([
      ['gold.dim_customer', false],
      ['gold.fact_orders', true],
    ]);
    expect(gold.full).toBeNull();
  });
});
