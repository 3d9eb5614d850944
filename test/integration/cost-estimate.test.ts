/**
 * `medallion cost estimate` on a real local lake (one daily run on generated data): every model
 * step is priced at its function's memory, the run's statements and state transitions come from
 * what the runner counted, and the daily schedule projects a month of runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CostEstimate } from '../../lambdas/core/cost/estimate';
import { tasks } from '../../lambdas/core/tasks';
import { runJob, type RunOutcome } from '../../lambdas/runtime/runner';
import { medallion } from '../helpers/cli';
import { day1, openPlatform, sampleLake, testProject } from '../helpers/lake';

describe('medallion cost estimate', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let outcome: RunOutcome;

  beforeAll(async () => {
    lake = await sampleLake(2_000, 1);
    const platform = await openPlatform(await testProject(), lake.lakeRoot);
    outcome = await runJob(platform, 'daily', { runDate: day1, retryIntervalMs: 0 });
    await platform.close();
    expect(outcome.error ?? outcome.status).toBe('succeeded');
  }, 180_000);
  afterAll(() => lake?.cleanup());

  it('prices the run from its recorded steps, statements and transitions, and projects the daily schedule', () => {
    const run = medallion('--lake', lake.lakeRoot, 'cost', 'estimate', '--format', 'json');
    expect(run.code, run.stderr).toBe(0);
    const estimate = JSON.parse(run.stdout) as CostEstimate;
    const [priced] = estimate.runs;
    expect(estimate.runs).toHaveLength(1);
    expect(priced!.runId).toBe(outcome.runId);
    // What the runner counted, as the run history kept it.
    expect(priced!.transitions).toBe(outcome.transitions);
    expect(priced!.statements).toBe(
      outcome.steps.reduce((n, s) => n + (s.sql?.statements ?? 0), 0),
    );
    expect(priced!.statements).toBeGreaterThan(0);
    // Every silver and gold model is a Transform step, priced at the Transform function's memory.
    const models = priced!.steps.filter((s) => s.layer !== 'bronze');
    expect(models.length).toBeGreaterThan(0);
    for (const step of models) {
      expect(step.task, step.dataset).toBe('Transform');
      expect(step.memoryMb).toBe(tasks.Transform.memoryMb);
      expect(step.gbSeconds).toBeCloseTo((step.seconds * tasks.Transform.memoryMb) / 1024, 2);
    }
    expect(priced!.steps.every((s) => s.memoryMb !== undefined)).toBe(true);
    // DuckDB measures no bytes scanned: no Athena figure is made up.
    expect(priced!.bytesScanned).toBeUndefined();
    expect(priced!.athenaUsd).toBe(0);
    const daily = estimate.projections.find((p) => p.job === 'daily');
    expect(daily).toMatchObject({ schedule: 'cron(0 2 * * ? *)', runs: 1 });
    expect(daily!.runsPerMonth).toBeCloseTo(30.44, 2);
    // The run's total is shown to 1/100 of a cent; the projection multiplies the unrounded cost.
    expect(
      Math.abs(daily!.monthlyUsd - priced!.totalUsd * daily!.runsPerMonth),
    ).toBeLessThanOrEqual(0.00005 * daily!.runsPerMonth + 0.0001);
  });

  it('shows runs, models and the month as tables, and names a run it does not know', () => {
    const table = medallion('--lake', lake.lakeRoot, 'cost', 'estimate', '--run', outcome.runId);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('Per model and task, over these runs');
    expect(table.stdout).toContain('gold.fact_orders');
    expect(table.stdout).toContain('A month of the configured schedules');
    const unknown = medallion('--lake', lake.lakeRoot, 'cost', 'estimate', '--run', 'nope');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('No run nope in the history');
  });
});
