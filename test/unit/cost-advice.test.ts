import { describe, expect, it } from 'vitest';
import { defaultCostAdvice, defaultCostPrices } from '../../config/schema';
import {
  athenaAdvice,
  costAdvice,
  hubAdvice,
  lambdaUsageFromRow,
  rightSizeLambda,
  type LambdaUsage,
} from '../../lambdas/core/cost/advice';
import {
  recordingFiles,
  recordingFromFiles,
  type CostRecording,
  type LogsInsightsRow,
  type RunUsage,
} from '../../lambdas/core/cost/recording';

const prices = defaultCostPrices;
const advice = defaultCostAdvice;

const usage = (over: Partial<LambdaUsage>): LambdaUsage => ({
  fn: 'medallion-dev-Transform',
  invocations: 1000,
  billedMs: 70_000_000,
  avgMs: 70_000,
  memoryMb: 1024,
  p99UsedMb: 180,
  maxUsedMb: 200,
  ...over,
});

const row = (fields: Record<string, string>): LogsInsightsRow =>
  Object.entries(fields).map(([field, value]) => ({ field, value }));

describe('Lambda right-sizing', () => {
  it('advises p99 of max memory used with 20 % headroom, rounded up to 64 MB, and the saving at arm64 prices', () => {
    // 180 MB × 1.2 = 216 MB → 256 MB. 70 000 s × (1024 − 256) / 1024 GB = 52 500 GB-s a week;
    // × 0.0000133334 USD × (365 / 12) / 7 weeks a month = 3.0417 USD.
    const r = rightSizeLambda(usage({}), prices, advice)!;
    expect(r.title).toBe('Right-size medallion-dev-Transform: 1024 MB → 256 MB');
    expect(r.monthlySaving).toBe(3.04);
    expect(r.detail).toContain('used at most 200 MB (p99 180 MB) of 1024 MB');
    expect(r.detail).toMatch(/CPU-bound .* the saving is an upper bound/);
  });

  it('never advises less than the most a function used, nor less than 128 MB', () => {
    // p99 100 MB × 1.2 = 120 MB, but once it used 300 MB: 320 MB.
    expect(rightSizeLambda(usage({ p99UsedMb: 100, maxUsedMb: 300 }), prices, advice)!.title).toBe(
      'Right-size medallion-dev-Transform: 1024 MB → 320 MB',
    );
    expect(
      rightSizeLambda(usage({ memoryMb: 256, p99UsedMb: 20, maxUsedMb: 30 }), prices, advice)!
        .title,
    ).toBe('Right-size medallion-dev-Transform: 256 MB → 128 MB');
  });

  it('gives no advice when the function needs what it has, or the saving is under a cent', () => {
    expect(
      rightSizeLambda(usage({ memoryMb: 256, p99UsedMb: 200, maxUsedMb: 215 }), prices, advice),
    ).toBeUndefined();
    // 45 s × 320 / 1024 GB ≈ 14 GB-s a week: 0.0008 USD a month.
    expect(rightSizeLambda(usage({ memoryMb: 512, billedMs: 45_000 }), prices, advice)).toBe(
      undefined,
    );
  });

  it('uses the prices and steps from config', () => {
    const r = rightSizeLambda(
      usage({}),
      { ...prices, lambdaArmGbSecondUsd: 0.0000166667 },
      { ...advice, lambdaMemoryStepMb: 128, lambdaMemoryHeadroom: 1.5 },
    )!;
    // 180 × 1.5 = 270 → 384 MB; 70 000 × 640 / 1024 = 43 750 GB-s × 0.0000166667 × 30.4167 / 7.
    expect(r.title).toBe('Right-size medallion-dev-Transform: 1024 MB → 384 MB');
    expect(r.monthlySaving).toBe(3.17);
  });

  it('reads a Logs Insights row, memory in bytes of 10⁶ per MB, and names a bad field by row', () => {
    const fields = {
      '@log': '111122223333:/aws/lambda/medallion-dev-Transform',
      invocations: '1000',
      billedMs: '70000000',
      avgMs: '69998.2',
      memoryBytes: '1024000000',
      p99UsedBytes: '180000000',
      maxUsedBytes: '200000000',
    };
    expect(lambdaUsageFromRow(row(fields), 0)).toEqual(usage({ avgMs: 69998.2 }));
    expect(() => lambdaUsageFromRow(row({ ...fields, billedMs: 'n/a' }), 2)).toThrow(
      'lambda-usage.json row 3 (111122223333:/aws/lambda/medallion-dev-Transform): billedMs is not a number: "n/a"',
    );
    const { '@log': _log, ...noLog } = fields;
    expect(() => lambdaUsageFromRow(row(noLog), 0)).toThrow('row 1: @log is missing');
  });
});

describe('Athena advice', () => {
  const run = (runDate: string, status: string, datasets: RunUsage['datasets']): RunUsage => ({
    runId: `${runDate}-${status}`,
    job: 'daily',
    runDate,
    status,
    datasets,
  });
  const runs = [
    run('2026-03-02', 'succeeded', [
      { dataset: 'silver.orders', layer: 'silver', rowsOut: 10, bytesScanned: 1e12 },
      { dataset: 'gold.revenue', layer: 'gold', rowsOut: 1, bytesScanned: 0.15e12 },
      { dataset: 'bronze.orders', layer: 'bronze', rowsOut: 10 },
    ]),
    // A failed run's scans were paid for too.
    run('2026-03-03', 'failed', [
      { dataset: 'silver.orders', layer: 'silver', rowsOut: 0, bytesScanned: 2e12 },
    ]),
    // Before the month: not counted.
    run('2026-02-28', 'succeeded', [
      { dataset: 'silver.orders', layer: 'silver', rowsOut: 10, bytesScanned: 9e12 },
    ]),
  ];

  it("projects the month to date's bytes scanned per model to a month, saving the assumed share at 5 USD/TB", () => {
    // March 1–15 is 15 days. silver.orders: 3 TB × 30.4167 / 15 = 6.08 TB, 30.42 USD, half saved;
    // gold.revenue: 0.15 TB → 0.304 TB, 1.52 USD, half saved.
    const advised = athenaAdvice(runs, '2026-03-16', prices, advice);
    expect(advised.map((r) => [r.title, r.monthlySaving])).toEqual([
      ['Scan less in silver.orders', 15.21],
      ['Scan less in gold.revenue', 0.76],
    ]);
    expect(advised[0]!.detail).toContain('Scans 6.08 TB a month (30.42 USD at 5 USD/TB)');
    expect(advised[0]!.detail).toMatch(
      /Partition .* compact its Iceberg files .* only the columns/,
    );
    expect(advised[0]!.detail).toContain('assumes 50 % fewer bytes scanned');
  });

  it('advises on the configured number of models only', () => {
    expect(athenaAdvice(runs, '2026-03-16', prices, { ...advice, athenaModels: 1 })).toHaveLength(
      1,
    );
  });
});

describe('Cost Optimization Hub advice', () => {
  const item = {
    recommendationId: 'r1',
    resourceId: 'arn:aws:lambda:eu-west-1:111122223333:function:medallion-dev-Other',
    region: 'eu-west-1',
    actionType: 'Rightsize',
    currentResourceType: 'LambdaFunction',
    currentResourceSummary: '1024 MB',
    recommendedResourceSummary: '320 MB',
    estimatedMonthlySavings: 0.424,
    currencyCode: 'USD',
    implementationEffort: 'VeryLow',
  };

  it('maps every page into recommendations with their saving, skipping those saving nothing', () => {
    const { recommendations, notes } = hubAdvice({
      pages: [
        { items: [item], nextToken: 't' },
        { items: [{ ...item, recommendationId: 'r2', estimatedMonthlySavings: 0 }] },
      ],
    });
    expect(notes).toEqual([]);
    expect(recommendations).toEqual([
      {
        title: 'Rightsize LambdaFunction medallion-dev-Other',
        detail: `${item.resourceId}, 1024 MB → 320 MB, in eu-west-1, effort verylow, (Cost Optimization Hub)`,
        monthlySaving: 0.42,
      },
    ]);
  });

  it('notes an account that has not opted in instead of failing', () => {
    expect(hubAdvice({ unavailable: 'not enrolled' })).toEqual({
      recommendations: [],
      notes: ['Cost Optimization Hub: not enrolled'],
    });
  });

  it('leaves out its advice for a function the report right-sizes itself, so no saving counts twice', () => {
    const recording: CostRecording = {
      asOf: '2026-03-16',
      env: 'dev',
      byService: [],
      byTag: {},
      anomalies: [],
      runs: [],
      lambdaUsage: [
        row({
          '@log': '111122223333:/aws/lambda/medallion-dev-Other',
          invocations: '1000',
          billedMs: '70000000',
          avgMs: '70000',
          memoryBytes: '1024000000',
          p99UsedBytes: '180000000',
          maxUsedBytes: '200000000',
        }),
      ],
      optimizationHub: {
        pages: [
          { items: [item, { ...item, resourceId: 'vol-1', currentResourceType: 'EbsVolume' }] },
        ],
      },
    };
    expect(costAdvice(recording).recommendations.map((r) => r.title)).toEqual([
      'Right-size medallion-dev-Other: 1024 MB → 256 MB',
      'Rightsize EbsVolume vol-1',
    ]);
  });
});

describe('the recording of the optimization sources', () => {
  const base: CostRecording = {
    asOf: '2026-03-16',
    env: 'dev',
    byService: [{ ResultsByTime: [] }],
    byTag: {},
    anomalies: [],
    runs: [],
  };

  it('reads back the function usage, the hub pages and the prices it was estimated with', () => {
    const recording: CostRecording = {
      ...base,
      lambdaUsage: [row({ '@log': 'x' })],
      optimizationHub: { pages: [{ items: [], nextToken: 'a' }, { items: [] }] },
      prices: { ...prices, athenaTerabyteUsd: 6.25 },
      advice,
    };
    expect(recordingFromFiles(new Map(Object.entries(recordingFiles(recording))))).toEqual(
      recording,
    );
  });

  it('reads back why Cost Optimization Hub had nothing, and refuses usage that is not rows', () => {
    const unavailable: CostRecording = {
      ...base,
      optimizationHub: { unavailable: 'not enrolled' },
    };
    const files = new Map(Object.entries(recordingFiles(unavailable)));
    expect(recordingFromFiles(files)).toEqual(unavailable);
    files.set('lambda-usage.json', { rows: [] });
    expect(() => recordingFromFiles(files)).toThrow(
      'lambda-usage.json must be a list of Logs Insights result rows',
    );
  });
});
