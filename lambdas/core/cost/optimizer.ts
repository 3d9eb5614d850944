/**
 * What the cost optimizer function records for the weekly report, in a function of its own (the
 * report's bundle has no room for more AWS clients): thirty days of CloudWatch's daily S3 storage
 * metrics per platform bucket, each bucket's lifecycle rules, and the invocations and executions of
 * the platform's functions and state machines. The report reads the recording back from its own
 * `recording/` folder and advises from it (`storage.ts`, `idle.ts`).
 */
import { PipelineError } from '../errors';
import { addDays } from '../time';
import type { Period } from './report';

/** Days of metrics the optimizer reads: S3's minimum age for a transition to Standard-IA. */
export const optimizerWindowDays = 30;

/** One day, the period of S3's storage metrics (published once a day). */
const dayPeriod = 86_400;

/**
 * The `StorageType` dimension values of `AWS/S3` `BucketSizeBytes` the optimizer reads, each with
 * the price (`cost.prices`) it is billed at. Overheads of the archive classes are billed at
 * Standard (the S3 index) or at the class's own price (metadata).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html#s3-cloudwatch-metrics
 */
export const storageTypes = {
  StandardStorage: { label: 'Standard', price: 's3StandardGbMonthUsd' },
  IntelligentTieringFAStorage: {
    label: 'Intelligent-Tiering frequent',
    price: 's3StandardGbMonthUsd',
  },
  IntelligentTieringIAStorage: {
    label: 'Intelligent-Tiering infrequent',
    price: 's3StandardIaGbMonthUsd',
  },
  IntelligentTieringAIAStorage: {
    label: 'Intelligent-Tiering archive instant',
    price: 's3GlacierIrGbMonthUsd',
  },
  IntelligentTieringAAStorage: {
    label: 'Intelligent-Tiering archive',
    price: 's3GlacierGbMonthUsd',
  },
  IntelligentTieringDAAStorage: {
    label: 'Intelligent-Tiering deep archive',
    price: 's3DeepArchiveGbMonthUsd',
  },
  StandardIAStorage: { label: 'Standard-IA', price: 's3StandardIaGbMonthUsd' },
  StandardIASizeOverhead: { label: 'Standard-IA', price: 's3StandardIaGbMonthUsd' },
  OneZoneIAStorage: { label: 'One Zone-IA', price: 's3OneZoneIaGbMonthUsd' },
  OneZoneIASizeOverhead: { label: 'One Zone-IA', price: 's3OneZoneIaGbMonthUsd' },
  GlacierInstantRetrievalStorage: {
    label: 'Glacier Instant Retrieval',
    price: 's3GlacierIrGbMonthUsd',
  },
  GlacierInstantRetrievalSizeOverhead: {
    label: 'Glacier Instant Retrieval',
    price: 's3GlacierIrGbMonthUsd',
  },
  GlacierStorage: { label: 'Glacier Flexible Retrieval', price: 's3GlacierGbMonthUsd' },
  GlacierObjectOverhead: { label: 'Glacier Flexible Retrieval', price: 's3GlacierGbMonthUsd' },
  GlacierS3ObjectOverhead: { label: 'Glacier Flexible Retrieval', price: 's3StandardGbMonthUsd' },
  GlacierStagingStorage: { label: 'Glacier Flexible Retrieval', price: 's3StandardGbMonthUsd' },
  DeepArchiveStorage: { label: 'Glacier Deep Archive', price: 's3DeepArchiveGbMonthUsd' },
  DeepArchiveObjectOverhead: { label: 'Glacier Deep Archive', price: 's3DeepArchiveGbMonthUsd' },
  DeepArchiveS3ObjectOverhead: { label: 'Glacier Deep Archive', price: 's3StandardGbMonthUsd' },
  DeepArchiveStagingStorage: { label: 'Glacier Deep Archive', price: 's3StandardGbMonthUsd' },
} as const;

export type StorageType = keyof typeof storageTypes;

/** A platform function the optimizer watches, with the memory its idle time would be billed at. */
export interface WatchedFunction {
  readonly name: string;
  readonly memoryMb: number;
}

/** What the optimizer looks at: the lake's buckets by role, the functions and state machines. */
export interface OptimizerTargets {
  readonly buckets: Readonly<Record<string, string>>;
  readonly functions: readonly WatchedFunction[];
  readonly stateMachines: readonly string[];
}

/** One series of GetMetricData: a metric of a namespace, with its dimensions and statistic. */
export interface MetricQuery {
  /** `q0`, `q1`...: GetMetricData ids start with a lower-case letter. */
  readonly id: string;
  readonly namespace: 'AWS/S3' | 'AWS/Lambda' | 'AWS/States';
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: 'Average' | 'Sum';
  /** Seconds. */
  readonly period: number;
}

/** A GetMetricData page as recorded: timestamps as ISO text. */
export interface MetricDataPage {
  readonly MetricDataResults?: readonly {
    readonly Id?: string;
    readonly Label?: string;
    readonly Timestamps?: readonly string[];
    readonly Values?: readonly number[];
    readonly StatusCode?: string;
  }[];
  readonly NextToken?: string;
}

/** What GetBucketLifecycleConfiguration answers of a rule that the advice reads. */
export interface LifecycleRule {
  readonly ID?: string;
  readonly Status?: string;
  /** The deprecated top-level prefix. */
  readonly Prefix?: string;
  readonly Filter?: {
    readonly Prefix?: string;
    readonly Tag?: unknown;
    readonly And?: unknown;
    readonly ObjectSizeGreaterThan?: number;
    readonly ObjectSizeLessThan?: number;
  };
  readonly Expiration?: { readonly Days?: number; readonly Date?: string };
  readonly Transitions?: readonly { readonly Days?: number; readonly StorageClass?: string }[];
  readonly NoncurrentVersionExpiration?: { readonly NoncurrentDays?: number };
  readonly AbortIncompleteMultipartUpload?: { readonly DaysAfterInitiation?: number };
}

export interface OptimizerRecording extends OptimizerTargets {
  readonly asOf: string;
  readonly period: Period;
  readonly queries: readonly MetricQuery[];
  readonly metricData: readonly MetricDataPage[];
  /** Per bucket role: its rules, or null when the bucket has no lifecycle configuration. */
  readonly lifecycle: Readonly<Record<string, readonly LifecycleRule[] | null>>;
}

/** CloudWatch's GetMetricData, every page (the adapter loops on NextToken). */
export interface MetricDataSource {
  metricData(queries: readonly MetricQuery[], period: Period): Promise<MetricDataPage[]>;
}

/** S3's GetBucketLifecycleConfiguration. */
export interface LifecycleSource {
  /** The bucket's rules; null when it has no lifecycle configuration. */
  rules(bucket: string): Promise<LifecycleRule[] | null>;
}

/** The thirty whole days before `asOf`. */
export function optimizerPeriod(asOf: string): Period {
  return { from: addDays(asOf, -optimizerWindowDays), to: asOf };
}

/**
 * Every series the advice reads, in one GetMetricData request: per bucket its bytes by storage
 * type and its object count, per function its invocations, errors and duration, per state
 * machine its executions started.
 */
export function optimizerQueries(targets: OptimizerTargets): MetricQuery[] {
  const series: Omit<MetricQuery, 'id'>[] = [
    ...Object.values(targets.buckets).flatMap((bucket) => [
      ...Object.keys(storageTypes).map((type) => ({
        namespace: 'AWS/S3' as const,
        metric: 'BucketSizeBytes',
        dimensions: { BucketName: bucket, StorageType: type },
        stat: 'Average' as const,
        period: dayPeriod,
      })),
      {
        namespace: 'AWS/S3' as const,
        metric: 'NumberOfObjects',
        dimensions: { BucketName: bucket, StorageType: 'AllStorageTypes' },
        stat: 'Average' as const,
        period: dayPeriod,
      },
    ]),
    ...targets.functions.flatMap(({ name }) =>
      ['Invocations', 'Errors', 'Duration'].map((metric) => ({
        namespace: 'AWS/Lambda' as const,
        metric,
        dimensions: { FunctionName: name },
        stat: 'Sum' as const,
        period: dayPeriod,
      })),
    ),
    ...targets.stateMachines.map((arn) => ({
      namespace: 'AWS/States' as const,
      metric: 'ExecutionsStarted',
      dimensions: { StateMachineArn: arn },
      stat: 'Sum' as const,
      period: dayPeriod,
    })),
  ];
  return series.map((query, i) => ({ id: `q${i}`, ...query }));
}

/** Records what the report advises from, for `asOf`: the metrics and every bucket's lifecycle. */
export async function recordOptimizer(
  sources: { readonly metrics: MetricDataSource; readonly lifecycle: LifecycleSource },
  asOf: string,
  targets: OptimizerTargets,
): Promise<OptimizerRecording> {
  const period = optimizerPeriod(asOf);
  const queries = optimizerQueries(targets);
  const roles = Object.keys(targets.buckets);
  const [metricData, rules] = await Promise.all([
    sources.metrics.metricData(queries, period),
    Promise.all(roles.map((role) => sources.lifecycle.rules(targets.buckets[role]!))),
  ]);
  return {
    asOf,
    period,
    ...targets,
    queries,
    metricData,
    lifecycle: Object.fromEntries(roles.map((role, i) => [role, rules[i]!])),
  };
}

/** A series' datapoints, oldest first, over every page. */
export type Datapoint = { readonly date: string; readonly value: number };

/** Each query's datapoints by id; a query without datapoints has an empty series. */
export function metricSeries(recording: OptimizerRecording): Map<string, Datapoint[]> {
  const series = new Map<string, Datapoint[]>(recording.queries.map((q) => [q.id, []]));
  for (const page of recording.metricData)
    for (const result of page.MetricDataResults ?? []) {
      const points = series.get(result.Id ?? '');
      if (!points) throw new PipelineError(`metric data: no query has the id ${result.Id}`);
      const values = result.Values ?? [];
      (result.Timestamps ?? []).forEach((timestamp, i) => {
        const value = values[i];
        if (typeof value !== 'number' || !Number.isFinite(value))
          throw new PipelineError(`metric data ${result.Id}: ${timestamp} has no value`);
        points.push({ date: timestamp.slice(0, 10), value });
      });
    }
  for (const points of series.values()) points.sort((a, b) => (a.date < b.date ? -1 : 1));
  return series;
}

const optimizerFile = 'optimizer.json';
const metricDataFile = /^metric-data\.(\d+)\.json$/;
const lifecycleFile = 'lifecycle.json';

/** The optimizer's recording as named files, beside the report's own in `recording/`. */
export function optimizerFiles(recording: OptimizerRecording): Record<string, unknown> {
  const { metricData, lifecycle, ...manifest } = recording;
  const files: Record<string, unknown> = { [optimizerFile]: manifest, [lifecycleFile]: lifecycle };
  metricData.forEach((page, i) => (files[`metric-data.${i + 1}.json`] = page));
  return files;
}

/** True for the names {@link optimizerFiles} writes. */
export function isOptimizerFile(name: string): boolean {
  return name === optimizerFile || name === lifecycleFile || metricDataFile.test(name);
}

/** Reads back what {@link optimizerFiles} wrote; undefined when the optimizer recorded nothing. */
export function optimizerFromFiles(
  files: ReadonlyMap<string, unknown>,
): OptimizerRecording | undefined {
  const manifest = files.get(optimizerFile) as Partial<OptimizerRecording> | undefined;
  if (!manifest) return undefined;
  for (const field of [
    'asOf',
    'period',
    'buckets',
    'functions',
    'stateMachines',
    'queries',
  ] as const)
    if (manifest[field] === undefined)
      throw new PipelineError(`${optimizerFile}: ${field} is missing`);
  const lifecycle = files.get(lifecycleFile);
  if (typeof lifecycle !== 'object' || lifecycle === null)
    throw new PipelineError(`${lifecycleFile} is missing from the optimizer's recording`);
  const pages = [...files]
    .flatMap(([name, page]) => {
      const match = metricDataFile.exec(name);
      return match ? [[Number(match[1]), page as MetricDataPage] as const] : [];
    })
    .sort(([a], [b]) => a - b)
    .map(([, page]) => page);
  return {
    ...(manifest as OptimizerRecording),
    metricData: pages,
    lifecycle: lifecycle as OptimizerRecording['lifecycle'],
  };
}
