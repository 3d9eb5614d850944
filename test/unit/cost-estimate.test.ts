/**
 * `medallion cost estimate`'s arithmetic, against figures worked out by hand at the default
 * prices: Lambda $0.0000133334 a GB-second (arm64, eu-west-1), Step Functions $0.025 per 1,000
 * transitions, Athena $5 a terabyte scanned.
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema';
import { runsPerMonth } from '../../config/cron';
import { estimateCosts, type EstimateRun } from '../../lambdas/core/cost/estimate';

const prices = configSchema.shape.cost.parse(undefined).prices;

const ingestAndModel: EstimateRun = {
  runId: 'r1',
  job: 'daily',
  runDate: '2026-01-01',
  status: 'succeeded',
  seconds: 60,
  transitions: 40,
  steps: [
    // 12 s at 1,024 MB = 12 GB-s.
    {
      step: 'snowflake_to_bronze',
      task: 'IngestWarehouse',
      dataset: 'snowflake.orders',
      layer: 'bronze',
      seconds: 12,
      statements: 3,
    },
    // 30 s at 512 MB = 15 GB-s; 0.2 TB scanned = $1.
    {
      step: 'bronze_to_silver',
      task: 'Transform',
      dataset: 'silver.orders',
      layer: 'silver',
      seconds: 30,
      statements: 10,
      bytesScanned: 200e9,
    },
    // A function the catalogue does not have: shown, not priced.
    { step: 'elsewhere', task: 'Retired', dataset: 'silver.old', layer: 'silver', seconds: 5 },
  ],
};

describe('cost estimate', () => {
  it('prices each step at its function memory and the run at its transitions and bytes scanned', () => {
    const [run] = estimateCosts({ runs: [ingestAndModel], schedules: {}, prices }).runs;
    expect(
      run!.steps.map((s) => [s.dataset, s.memoryMb, s.gbSeconds, s.lambdaUsd, s.athenaUsd]),
    ).toEqual([
      ['snowflake.orders', 1024, 12, 0.0002, undefined], // 12 × 0.0000133334 = 0.00016
      ['silver.orders', 512, 15, 0.0002, 1], // 15 × 0.0000133334 = 0.0002
      ['silver.old', undefined, 0, 0, undefined],
    ]);
    expect(run).toMatchObject({
      statements: 13,
      gbSeconds: 27,
      lambdaUsd: 0.0004, // 27 × 0.0000133334 = 0.00036
      transitions: 40,
      stepFunctionsUsd: 0.001, // 40 / 1,000 × 0.025
      bytesScanned: 200e9,
      athenaUsd: 1,
      totalUsd: 1.0014, // 0.00036 + 0.001 + 1
    });
  });

  it('projects a month from the mean of succeeded runs, a failed run aside, and a job without runs at 0', () => {
    const transitionsOnly: EstimateRun = {
      ...ingestAndModel,
      runId: 'r2',
      transitions: 20,
      steps: [],
    };
    const failed: EstimateRun = { ...ingestAndModel, runId: 'r3', status: 'failed' };
    const estimate = estimateCosts({
      runs: [ingestAndModel, transitionsOnly, failed],
      schedules: {
        daily: { schedule: 'cron(0 2 * * ? *)', runsPerMonth: 30 },
        maintenance: { schedule: 'cron(0 5 ? * SUN *)', runsPerMonth: 4.35 },
      },
      prices,
    });
    // (1.00136 + 0.0005) / 2 = 0.50093 a run; × 30 = 15.0279.
    expect(estimate.projections).toEqual([
      {
        job: 'daily',
        schedule: 'cron(0 2 * * ? *)',
        runsPerMonth: 30,
        runs: 2,
        perRunUsd: 0.5009,
        monthlyUsd: 15.0279,
      },
      {
        job: 'maintenance',
        schedule: 'cron(0 5 ? * SUN *)',
        runsPerMonth: 4.35,
        runs: 0,
        perRunUsd: 0,
        monthlyUsd: 0,
      },
    ]);
    expect(estimate.monthlyUsd).toBe(15.0279);
  });

  it('leaves Athena at zero where no bytes scanned are recorded (DuckDB) rather than guessing', () => {
    const local: EstimateRun = {
      ...ingestAndModel,
      steps: ingestAndModel.steps.map(({ bytesScanned: _, ...step }) => step),
    };
    const [run] = estimateCosts({ runs: [local], schedules: {}, prices }).runs;
    expect(run!.bytesScanned).toBeUndefined();
    expect(run!.athenaUsd).toBe(0);
    expect(run!.totalUsd).toBe(0.0014);
  });

  it('counts the runs of a schedule in an average month of 365.25 / 12 days', () => {
    expect(runsPerMonth('cron(0 2 * * ? *)')).toBeCloseTo(30.4375, 6);
    expect(runsPerMonth('rate(6 hours)')).toBeCloseTo(121.75, 6);
    // 2026 and 2027 have 52 Sundays each, 2028-01-01 is a Saturday: 104 runs over 731 days.
    expect(runsPerMonth('cron(0 5 ? * SUN *)')).toBeCloseTo((104 * 30.4375) / 731, 6);
    expect(() => runsPerMonth('rate(1 week)')).toThrow(
      "'rate(1 week)' is not rate(<n> minutes|hours|days)",
    );
  });
});
