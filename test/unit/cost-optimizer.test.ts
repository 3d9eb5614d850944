import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCostAdvice, defaultCostPrices } from '../../config/schema';
import { costAdvice } from '../../lambdas/core/cost/advice';
import { idleAdvice } from '../../lambdas/core/cost/idle';
import {
  metricSeries,
  optimizerFiles,
  optimizerFromFiles,
  optimizerQueries,
  recordOptimizer,
  type LifecycleRule,
  type MetricDataPage,
  type MetricQuery,
  type OptimizerRecording,
  type OptimizerTargets,
} from '../../lambdas/core/cost/optimizer';
import { recordingFromFiles } from '../../lambdas/core/cost/recording';
import { buildCostReport } from '../../lambdas/core/cost/report';
import { bucketStorage, storageAdvice } from '../../lambdas/core/cost/storage';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { createCostOptimizerHandler } from '../../lambdas/handlers/cost-optimizer';
import { ManualClock, silentLogger } from '../helpers/clock';
import { MemoryObjectStore } from '../helpers/memory-store';

const GiB = 2 ** 30;
const prices = defaultCostPrices;
const advice = defaultCostAdvice;
const targets: OptimizerTargets = {
  buckets: { bronze: 'lake-bronze', gold: 'lake-gold' },
  functions: [
    { name: 'medallion-dev-Transform', memoryMb: 512 },
    { name: 'medallion-dev-DsrErase', memoryMb: 1024 },
    { name: 'medallion-dev-KafkaDrain', memoryMb: 1024 },
  ],
  stateMachines: [
    'arn:aws:states:eu-west-1:111111111111:stateMachine:medallion-dev-daily',
    'arn:aws:states:eu-west-1:111111111111:stateMachine:medallion-dev-dsr-erase',
  ],
};
const queries = optimizerQueries(targets);

/** The query of a metric with these dimension values. */
const query = (metric: string, ...values: string[]): MetricQuery =>
  queries.find(
    (q) => q.metric === metric && values.every((v) => Object.values(q.dimensions).includes(v)),
  )!;

/** A recording for 2026-11-23 whose series are `[metric, dimension values, [[date, value]...]]`. */
function recording(
  series: [string, string[], [string, number][]][],
  lifecycle: Record<string, LifecycleRule[] | null>,
): OptimizerRecording {
  return {
    asOf: '2026-11-23',
    period: { from: '2026-10-24', to: '2026-11-23' },
    ...targets,
    queries,
    metricData: [
      {
        MetricDataResults: series.map(([metric, values, points]) => ({
          Id: query(metric, ...values).id,
          Timestamps: points.map(([date]) => `${date}T00:00:00.000Z`),
          Values: points.map(([, value]) => value),
          StatusCode: 'Complete',
        })),
      },
    ],
    lifecycle,
  };
}

const enabled = (rule: LifecycleRule): LifecycleRule => ({
  Status: 'Enabled',
  Filter: { Prefix: '' },
  NoncurrentVersionExpiration: { NoncurrentDays: 30 },
  ...rule,
});

describe('the optimizer queries', () => {
  it('asks per bucket for every storage type and the object count, per function and state machine for its activity', () => {
    // 20 storage types and NumberOfObjects per bucket, 3 metrics per function, 1 per state machine.
    expect(queries).toHaveLength(2 * 21 + 3 * 3 + 2);
    expect(queries.map((q) => q.id).slice(0, 3)).toEqual(['q0', 'q1', 'q2']);
    expect(query('NumberOfObjects', 'lake-gold')).toMatchObject({
      namespace: 'AWS/S3',
      dimensions: { BucketName: 'lake-gold', StorageType: 'AllStorageTypes' },
      stat: 'Average',
      period: 86_400,
    });
    expect(query('ExecutionsStarted', targets.stateMachines[0]!)).toMatchObject({
      namespace: 'AWS/States',
      stat: 'Sum',
    });
  });

  it('merges a series that spans pages, oldest first, and refuses an id no query has', () => {
    const id = query('Invocations', 'medallion-dev-Transform').id;
    const pages: MetricDataPage[] = [
      { MetricDataResults: [{ Id: id, Timestamps: ['2026-11-02T00:00:00Z'], Values: [5] }] },
      { MetricDataResults: [{ Id: id, Timestamps: ['2026-11-01T00:00:00Z'], Values: [3] }] },
    ];
    const base = recording([], {});
    expect(metricSeries({ ...base, metricData: pages }).get(id)).toEqual([
      { date: '2026-11-01', value: 3 },
      { date: '2026-11-02', value: 5 },
    ]);
    expect(() =>
      metricSeries({ ...base, metricData: [{ MetricDataResults: [{ Id: 'zz' }] }] }),
    ).toThrow('no query has the id zz');
  });
});

describe('storage by bucket and class', () => {
  const r = recording(
    [
      ['BucketSizeBytes', ['lake-bronze', 'StandardStorage'], [['2026-11-21', 100 * GiB]]],
      ['BucketSizeBytes', ['lake-bronze', 'StandardIAStorage'], [['2026-11-21', 200 * GiB]]],
      ['BucketSizeBytes', ['lake-bronze', 'StandardIASizeOverhead'], [['2026-11-21', 1 * GiB]]],
      [
        'BucketSizeBytes',
        ['lake-gold', 'IntelligentTieringAIAStorage'],
        [['2026-11-21', 10 * GiB]],
      ],
      ['NumberOfObjects', ['lake-bronze'], [['2026-11-21', 1000]]],
    ],
    { bronze: [enabled({ Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }] })], gold: null },
  );

  it('prices the latest bytes of each class, overheads with their class, largest bucket first', () => {
    // bronze: 100 GB × 0.023 = 2.30; (200 + 1) GB × 0.0125 = 2.5125 → 2.51; together 4.8125 → 4.81.
    // gold: 10 GB × 0.004 = 0.04.
    expect(bucketStorage(r, prices)).toEqual([
      {
        role: 'bronze',
        bucket: 'lake-bronze',
        bytes: 301 * GiB,
        objects: 1000,
        classes: [
          { storageClass: 'Standard-IA', bytes: 201 * GiB, monthlyCost: 2.51 },
          { storageClass: 'Standard', bytes: 100 * GiB, monthlyCost: 2.3 },
        ],
        monthlyCost: 4.81,
        lifecycleRules: 1,
      },
      {
        role: 'gold',
        bucket: 'lake-gold',
        bytes: 10 * GiB,
        objects: 0,
        classes: [
          {
            storageClass: 'Intelligent-Tiering archive instant',
            bytes: 10 * GiB,
            monthlyCost: 0.04,
          },
        ],
        monthlyCost: 0.04,
        lifecycleRules: 0,
      },
    ]);
  });
});

describe('lifecycle advice', () => {
  /** bronze (a cold bucket): 80 GB in Standard 30 days ago, 100 GB now, 10 000 objects. */
  const bronze = (rules: LifecycleRule[] | null, objects = 10_000) =>
    recording(
      [
        [
          'BucketSizeBytes',
          ['lake-bronze', 'StandardStorage'],
          [
            ['2026-10-24', 80 * GiB],
            ['2026-11-21', 100 * GiB],
          ],
        ],
        ['NumberOfObjects', ['lake-bronze'], [['2026-11-21', objects]]],
      ],
      { bronze: rules, gold: [enabled({})] },
    );

  it('moves the Standard bytes 30 days old to Standard-IA, net of the first month’s transitions', () => {
    // 80 GB × (0.023 − 0.0125) = 0.84 USD a month; 10 000 × 80 / 100 = 8 000 transitions × 0.01 / 1 000
    // = 0.08 USD: 0.76 the first month.
    const { recommendations, notes } = storageAdvice(bronze([enabled({})]), prices, advice);
    expect(notes).toEqual([]);
    expect(recommendations).toHaveLength(1);
    expect(recommendations[0]).toMatchObject({
      title: "Move the bronze bucket's objects to Standard-IA after 30 days",
      monthlySaving: 0.76,
    });
    expect(recommendations[0]!.detail).toContain('saves 0.84 USD a month');
    expect(recommendations[0]!.detail).toContain('about 8000 transitions (0.08 USD');
    expect(recommendations[0]!.detail).toContain('Assuming objects there are written once');
  });

  it('prices Glacier Instant Retrieval when config says so', () => {
    // 80 × (0.023 − 0.004) = 1.52; 8 000 × 0.02 / 1 000 = 0.16: 1.36.
    const { recommendations } = storageAdvice(bronze([enabled({})]), prices, {
      ...advice,
      coldStorageClass: 'GLACIER_IR',
    });
    expect(recommendations[0]).toMatchObject({
      title: "Move the bronze bucket's objects to Glacier Instant Retrieval after 30 days",
      monthlySaving: 1.36,
    });
  });

  it('warns that small objects are not transitioned', () => {
    // 80 GB over 800 000 objects: 105 KB on average; 800 000 transitions cost 8 USD > 0.84 saved.
    // Free transitions would save, but objects that small are skipped.
    const { recommendations, notes } = storageAdvice(
      bronze([enabled({})], 1_000_000),
      prices,
      advice,
    );
    expect(recommendations).toEqual([]);
    expect(notes).toEqual([
      'bronze bucket: moving 80.0 GB to Standard-IA would cost more in transitions (800000 objects) than it saves in a month.',
    ]);
    const some = storageAdvice(
      bronze([enabled({})], 1_000_000),
      { ...prices, s3StandardIaTransitionThousandUsd: 0 },
      advice,
    );
    expect(some.recommendations[0]!.detail).toContain('lifecycle rules skip objects under 128 KB');
  });

  it('advises nothing where a rule already transitions, or expires objects within 30 days', () => {
    const transitions = enabled({ Transitions: [{ Days: 60, StorageClass: 'GLACIER_IR' }] });
    expect(storageAdvice(bronze([transitions]), prices, advice).recommendations).toEqual([]);
    const expiry = enabled({ Expiration: { Days: 30 } });
    expect(storageAdvice(bronze([expiry]), prices, advice).recommendations).toEqual([]);
    // An expiry under a prefix leaves the rest of the bucket.
    const prefixed = enabled({ Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } });
    expect(
      storageAdvice(bronze([enabled({}), prefixed]), prices, advice).recommendations,
    ).toHaveLength(1);
  });

  it('counts a disabled rule as none, and advises expiring noncurrent versions at no counted saving', () => {
    const disabled: LifecycleRule = {
      Status: 'Disabled',
      Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }],
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
    };
    const { recommendations } = storageAdvice(bronze([disabled]), prices, advice);
    expect(recommendations.map((r) => [r.title, r.monthlySaving])).toEqual([
      ["Move the bronze bucket's objects to Standard-IA after 30 days", 0.76],
      ['Expire noncurrent versions in the bronze bucket', 0],
    ]);
    expect(recommendations[1]!.detail).toContain('CloudWatch does not measure it');
  });

  it('advises a lifecycle configuration to a bucket without one', () => {
    const { recommendations } = storageAdvice(bronze(null), prices, advice);
    expect(recommendations.map((r) => [r.title, r.monthlySaving])).toEqual([
      ["Move the bronze bucket's objects to Standard-IA after 30 days", 0.76],
      ['Give the bronze bucket a lifecycle configuration', 0],
    ]);
  });

  it('leaves a bucket younger than the window for a later report, and warm buckets alone', () => {
    const young = recording(
      [
        ['BucketSizeBytes', ['lake-bronze', 'StandardStorage'], [['2026-11-10', 5 * GiB]]],
        ['BucketSizeBytes', ['lake-gold', 'StandardStorage'], [['2026-10-24', 5 * GiB]]],
      ],
      { bronze: [enabled({})], gold: [enabled({})] },
    );
    expect(storageAdvice(young, prices, advice)).toEqual({
      recommendations: [],
      notes: [
        'bronze bucket: CloudWatch has Standard bytes only since 2026-11-10, fewer than 30 days; its transition saving is left for a later report.',
      ],
    });
  });
});

describe('idle and failing resources', () => {
  const r = recording(
    [
      ['Invocations', ['medallion-dev-Transform'], [['2026-11-01', 40]]],
      ['Errors', ['medallion-dev-Transform'], [['2026-11-01', 1]]],
      [
        'Invocations',
        ['medallion-dev-KafkaDrain'],
        [
          ['2026-11-01', 60],
          ['2026-11-02', 60],
        ],
      ],
      [
        'Errors',
        ['medallion-dev-KafkaDrain'],
        [
          ['2026-11-01', 60],
          ['2026-11-02', 60],
        ],
      ],
      [
        'Duration',
        ['medallion-dev-KafkaDrain'],
        [
          ['2026-11-01', 18_000_000],
          ['2026-11-02', 18_000_000],
        ],
      ],
      ['ExecutionsStarted', [targets.stateMachines[0]!], [['2026-11-01', 1]]],
    ],
    {},
  );

  it('lists what did not run at no saving, and prices the compute of a function that only fails', () => {
    // KafkaDrain: 36 000 000 ms at 1 GB = 36 000 GB-s × 0.0000133334 = 0.480 USD in 30 days,
    // × (365 / 12) / 30 = 0.4867 → 0.49 a month.
    expect(idleAdvice(r, prices).map((a) => [a.title, a.monthlySaving])).toEqual([
      ['Idle function medallion-dev-DsrErase', 0],
      ['Every invocation of medallion-dev-KafkaDrain failed', 0.49],
      ['Idle state machine medallion-dev-dsr-erase', 0],
    ]);
    expect(idleAdvice(r, prices)[0]!.detail).toContain('costs nothing idle');
  });
});

describe('the optimizer recording', () => {
  it('records every bucket’s rules and the metrics, and reads its files back', async () => {
    const asked: string[] = [];
    const rec = await recordOptimizer(
      {
        metrics: {
          metricData: async (qs, period) => {
            asked.push(`metrics ${qs.length} ${period.from}..${period.to}`);
            return [{ MetricDataResults: [] }];
          },
        },
        lifecycle: {
          rules: async (bucket) => {
            asked.push(`lifecycle ${bucket}`);
            return bucket === 'lake-gold' ? null : [enabled({})];
          },
        },
      },
      '2026-11-23',
      targets,
    );
    expect(asked.sort()).toEqual([
      'lifecycle lake-bronze',
      'lifecycle lake-gold',
      `metrics ${queries.length} 2026-10-24..2026-11-23`,
    ]);
    expect(rec.lifecycle).toEqual({ bronze: [enabled({})], gold: null });
    const files = new Map(
      Object.entries(optimizerFiles(rec)).map(([name, content]) => [
        name,
        JSON.parse(JSON.stringify(content)) as unknown,
      ]),
    );
    expect([...files.keys()]).toEqual(['optimizer.json', 'lifecycle.json', 'metric-data.1.json']);
    expect(optimizerFromFiles(files)).toEqual(rec);
    expect(optimizerFromFiles(new Map())).toBeUndefined();
  });

  it('is written by the handler where the cost report of the same day reads it', async () => {
    const store = new MemoryObjectStore();
    const handler = createCostOptimizerHandler({
      metrics: { metricData: async () => [] },
      lifecycle: { rules: async () => null },
      targets,
      store,
      clock: new ManualClock(new Date('2026-11-23T05:30:00Z')),
      logger: silentLogger,
    });
    expect(await handler({})).toEqual({
      asOf: '2026-11-23',
      keys: [
        'reports/cost/2026-11-23/recording/optimizer.json',
        'reports/cost/2026-11-23/recording/lifecycle.json',
      ],
      queries: queries.length,
      withoutLifecycle: ['bronze', 'gold'],
    });
    expect((await handler({ asOf: '2026-11-16' })).asOf).toBe('2026-11-16');
    await expect(handler({ asOf: 'monday' })).rejects.toThrow();
  });
});

describe('the sample recording (fixtures/cost)', () => {
  const fixtures = path.join(projectRoot, 'fixtures/cost');
  const sample = recordingFromFiles(
    new Map(
      readdirSync(fixtures).map((name) => [
        name,
        JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as unknown,
      ]),
    ),
  );

  it('holds two pages of metrics and a bucket without lifecycle rules', () => {
    expect(sample.optimizer?.metricData).toHaveLength(2);
    expect(sample.optimizer?.metricData[0]!.NextToken).toBe('page-2');
    expect(sample.optimizer?.lifecycle['quarantine']).toBeNull();
  });

  it('reports storage by class and the storage, lifecycle and idle advice, computed by hand', () => {
    const report = buildCostReport(sample, costAdvice(sample));
    // bronze: 120 GB Standard × 0.023 = 2.76; 400 GB IA × 0.0125 = 5.00; 900 GB GIR × 0.004 = 3.60.
    expect(report.storage[0]).toMatchObject({ role: 'bronze', monthlyCost: 11.36 });
    const byTitle = Object.fromEntries(
      report.recommendations.map((r) => [r.title, r.monthlySaving]),
    );
    // audit (its rule disabled): 300 GB × 0.0105 = 3.15; 160 000 × 300 / 320 = 150 000 transitions
    // = 1.50: 1.65. quarantine (no configuration): 40 GB × 0.0105 = 0.42; 16 000 → 0.16: 0.26.
    expect(byTitle["Move the audit bucket's objects to Standard-IA after 30 days"]).toBe(1.65);
    expect(byTitle["Move the quarantine bucket's objects to Standard-IA after 30 days"]).toBe(0.26);
    expect(byTitle['Give the quarantine bucket a lifecycle configuration']).toBe(0);
    expect(byTitle['Expire noncurrent versions in the audit bucket']).toBe(0);
    // KafkaDrain: 120 invocations, all failed, 36 000 s at 1 GB: 0.49 a month.
    expect(byTitle['Every invocation of medallion-prod-KafkaDrainFunction6E7F8A9B failed']).toBe(
      0.49,
    );
    expect(Object.keys(byTitle).filter((t) => t.startsWith('Idle '))).toEqual([
      'Idle function medallion-prod-DsrEraseFunction5E6F7A8B',
      'Idle function medallion-prod-KafkaEventsFunction9B0C1D2E',
      'Idle state machine medallion-prod-kafka-to-bronze',
      'Idle state machine medallion-prod-dsr-erase',
    ]);
    // Savings in money first; what saves nothing last.
    const savings = report.recommendations.map((r) => r.monthlySaving);
    expect(savings).toEqual([...savings].sort((a, b) => b - a));
  });

  it('notes a report without the optimizer’s recording', () => {
    const { optimizer: _, ...without } = sample;
    expect(costAdvice(without).notes).toContain(
      'The cost optimizer recorded nothing for 2026-11-23: no storage or idle-resource advice (run it before the report, with the same asOf).',
    );
    expect(buildCostReport(without).storage).toEqual([]);
  });
});
