/**
 * The gold marts (customer_360, revenue_daily, product_performance) are `table` models that
 * rebuild from their previous content and fact_orders' change feed. After every daily run of the
 * sample pipeline (the initial load, days of new orders, status changes, cancellations and
 * deletions, a run after an erasure deleted a person's orders outside any MERGE, and a run after
 * a skipped day) each must hold exactly what a full rebuild computes.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../lambdas/core/models/compile';
import type { Project } from '../../lambdas/definitions/project-files';
import { eraseSubject } from '../../lambdas/runtime/dsr';
import type { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { runJob } from '../../lambdas/runtime/runner';
import { openPlatform, sampleLake, testProject } from '../helpers/lake';

const marts = ['gold.customer_360', 'gold.revenue_daily', 'gold.product_performance'];
/** 2026-01-04 is generated but not run: the run of the 5th covers two days of changes. */
const runDates = ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-05'];
/** After this day's run a person is erased, before the next run. */
const erasedAfter = '2026-01-02';

describe('incremental marts', () => {
  let project: Project;
  let lake: Awaited<ReturnType<typeof sampleLake>>;

  beforeAll(async () => {
    project = await testProject();
    lake = await sampleLake(3_000, 5);
  }, 120_000);
  afterAll(() => lake.cleanup());

  /** A mart's rows as text, in order: as stored, or as its full-refresh SELECT computes them. */
  const rows = async (
    platform: LocalPlatform,
    mart: string,
    runDate: string,
    from: 'table' | 'rebuild',
  ) => {
    const d = platform.lakehouse.dialect;
    const model = project.models.get(mart);
    const { sql } = compileModel(model, project.models, d, {
      incremental: false,
      runDate,
      snapshotAt: `${runDate}T23:59:59.999Z`,
    });
    const columns = project.contracts
      .get(model.contractId)
      .columns.map((c) => `cast(m.${d.quote(c.name)} as ${d.columnType(c.type)})`);
    const relation = from === 'table' ? d.relation(mart) : `(${sql})`;
    const result = await platform.lakehouse.query<{ row: string }>(
      `select cast(row(${columns.join(', ')}) as varchar) as row from ${relation} m order by 1`,
    );
    return result.map((r) => r.row);
  };

  it('after every run, each mart equals its full rebuild', async () => {
    let erased: { email: string } | undefined;
    for (const runDate of runDates) {
      const platform = await openPlatform(project, lake.lakeRoot);
      try {
        if (erased) {
          // The erasure left revenue_daily counting orders fact_orders no longer holds.
          const [drift] = await platform.lakehouse.query<{ n: number }>(
            `select (select sum(orders) from gold.revenue_daily) - (select count(*) from gold.fact_orders) as n`,
          );
          expect(Number(drift!.n)).toBeGreaterThan(0);
        }
        const outcome = await runJob(platform, 'daily', { runDate });
        expect(outcome.error ?? outcome.status).toBe('succeeded');
        for (const mart of marts) {
          const stored = await rows(platform, mart, runDate, 'table');
          expect(stored.length, `${mart} on ${runDate}`).toBeGreaterThan(0);
          expect(stored, `${mart} on ${runDate}`).toEqual(
            await rows(platform, mart, runDate, 'rebuild'),
          );
        }
        if (runDate === erasedAfter)
          [erased] = await platform.lakehouse.query<{ email: string }>(
            `select c.email from silver.customers c
              where c.email is not null
                and exists (select 1 from gold.fact_orders o where o.customer_id = c.customer_id and o.status <> 'cancelled')
              order by c.customer_id limit 1`,
          );
        else erased = undefined;
      } finally {
        await platform.close();
      }
      if (erased)
        await eraseSubject(
          { project, lakeRoot: lake.lakeRoot, key: randomBytes(32) },
          {
            subject: { kind: 'email', value: erased.email },
            received: runDate,
            regime: 'gdpr',
            now: () => new Date(`${runDate}T23:00:00Z`),
            dryRun: false,
          },
        );
    }

    // The later runs were incremental: each mart read the feed up to its end, which holds
    // deletions (with the day, customer and product they left) and cancellations.
    const platform = await openPlatform(project, lake.lakeRoot);
    try {
      const [feed] = await platform.lakehouse.query<{ seq: number; deleted: number; left: number }>(
        `select max(_seq) as seq, count(case when _change_type = 'delete' then 1 end) as deleted,
          count(case when _change_type = 'previous' and customer_id is not null then 1 end) as left
         from changelog.gold_fact_orders`,
      );
      expect(Number(feed!.deleted)).toBeGreaterThan(0);
      expect(Number(feed!.left)).toBeGreaterThan(0);
      const [cancelled] = await platform.lakehouse.query<{ n: number }>(
        `select count(*) as n from gold.fact_orders where status = 'cancelled'`,
      );
      expect(Number(cancelled!.n)).toBeGreaterThan(0);
      const state = await platform.lakehouse.query<{ model: string; watermark: string }>(
        `select model, watermark from audit.model_state where input = 'changes:gold.fact_orders' order by model`,
      );
      expect(state).toEqual(
        [...marts].sort().map((model) => ({ model, watermark: String(feed!.seq) })),
      );
    } finally {
      await platform.close();
    }
  }, 600_000);
});
