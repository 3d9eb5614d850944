/**
 * What the platform's buckets cost a month by storage class, and what lifecycle rules would save,
 * from the optimizer's recording (`optimizer.ts`): CloudWatch's daily S3 storage metrics and each
 * bucket's lifecycle rules. CloudWatch counts bytes per storage class and objects per bucket, not
 * ages or versions, so every saving says what it assumes.
 */
import type { CostAdvice, CostPrices } from '../../../config/schema';
import { addDays } from '../time';
import {
  metricSeries,
  optimizerWindowDays,
  storageTypes,
  type Datapoint,
  type LifecycleRule,
  type OptimizerRecording,
  type StorageType,
} from './optimizer';
import type { Recommendation } from './report';

/** S3 bills storage in GB of 2³⁰ bytes. https://aws.amazon.com/s3/pricing/ */
export const gigabyte = 2 ** 30;

/** Lifecycle transitions skip smaller objects by default (and Standard-IA bills 128 KB at least). */
const smallestTransitionedBytes = 128 * 1024;

/** What a cold storage class costs to move into and to read. https://aws.amazon.com/s3/pricing/ */
const coldClasses = {
  STANDARD_IA: {
    label: 'Standard-IA',
    price: 's3StandardIaGbMonthUsd',
    transition: 's3StandardIaTransitionThousandUsd',
    retrievalGb: 0.01,
    minimumDays: 30,
  },
  GLACIER_IR: {
    label: 'Glacier Instant Retrieval',
    price: 's3GlacierIrGbMonthUsd',
    transition: 's3GlacierIrTransitionThousandUsd',
    retrievalGb: 0.03,
    minimumDays: 90,
  },
} as const;

export interface StorageClassCost {
  readonly storageClass: string;
  readonly bytes: number;
  readonly monthlyCost: number;
}

export interface BucketStorage {
  readonly role: string;
  readonly bucket: string;
  readonly bytes: number;
  readonly objects: number;
  /** Storage classes holding bytes, largest cost first. */
  readonly classes: readonly StorageClassCost[];
  readonly monthlyCost: number;
  /** The bucket's lifecycle rules, enabled or not; 0 when it has no lifecycle configuration. */
  readonly lifecycleRules: number;
}

const cents = (amount: number) => Math.round(amount * 100) / 100;
const gb = (bytes: number) => bytes / gigabyte;
const latest = (points: readonly Datapoint[] | undefined) => points?.at(-1)?.value ?? 0;

/** Each bucket's series by storage type and its object count, as the queries name them. */
function bucketSeries(recording: OptimizerRecording) {
  const series = metricSeries(recording);
  const byBucket = new Map<
    string,
    { types: Map<StorageType, Datapoint[]>; objects: Datapoint[] }
  >();
  for (const query of recording.queries) {
    if (query.namespace !== 'AWS/S3') continue;
    const bucket = query.dimensions['BucketName']!;
    const entry = byBucket.get(bucket) ?? { types: new Map(), objects: [] };
    byBucket.set(bucket, entry);
    if (query.metric === 'NumberOfObjects') entry.objects = series.get(query.id)!;
    else entry.types.set(query.dimensions['StorageType'] as StorageType, series.get(query.id)!);
  }
  return byBucket;
}

/** Each platform bucket's latest size and monthly cost by storage class, largest bucket first. */
export function bucketStorage(recording: OptimizerRecording, prices: CostPrices): BucketStorage[] {
  const series = bucketSeries(recording);
  return Object.entries(recording.buckets)
    .map(([role, bucket]) => {
      const found = series.get(bucket);
      const classes = new Map<string, { bytes: number; cost: number }>();
      for (const [type, points] of found?.types ?? []) {
        const bytes = latest(points);
        if (bytes <= 0) continue;
        const { label, price } = storageTypes[type];
        const before = classes.get(label) ?? { bytes: 0, cost: 0 };
        classes.set(label, {
          bytes: before.bytes + bytes,
          cost: before.cost + gb(bytes) * prices[price],
        });
      }
      const lines = [...classes]
        .map(([storageClass, { bytes, cost }]) => ({
          storageClass,
          bytes,
          monthlyCost: cents(cost),
        }))
        .sort((a, b) => b.monthlyCost - a.monthlyCost || b.bytes - a.bytes);
      return {
        role,
        bucket,
        bytes: lines.reduce((sum, c) => sum + c.bytes, 0),
        objects: Math.round(latest(found?.objects)),
        classes: lines,
        monthlyCost: cents([...classes.values()].reduce((sum, c) => sum + c.cost, 0)),
        lifecycleRules: recording.lifecycle[role]?.length ?? 0,
      };
    })
    .sort((a, b) => b.monthlyCost - a.monthlyCost || b.bytes - a.bytes);
}

/** A rule without a prefix, tag or size filter applies to every object of the bucket. */
function wholeBucket(rule: LifecycleRule): boolean {
  const f = rule.Filter ?? {};
  return (
    !rule.Prefix &&
    !f.Prefix &&
    f.Tag === undefined &&
    f.And === undefined &&
    f.ObjectSizeGreaterThan === undefined &&
    f.ObjectSizeLessThan === undefined
  );
}

/**
 * The saving of moving a cold bucket's Standard bytes older than 30 days to the cold class, when
 * no rule transitions or expires them first. The bytes in Standard on the window's first day are
 * taken as those at least 30 days old by `asOf` (objects written once, as the cold buckets' are);
 * the objects moved are the bucket's objects in the proportion of those bytes.
 */
function transitionAdvice(
  recording: OptimizerRecording,
  storage: BucketStorage,
  standard: readonly Datapoint[],
  rules: readonly LifecycleRule[],
  prices: CostPrices,
  advice: CostAdvice,
): { recommendation?: Recommendation; note?: string } {
  const enabled = rules.filter((r) => r.Status === 'Enabled');
  if (enabled.some((r) => (r.Transitions ?? []).length > 0)) return {};
  const expiresBy = enabled
    .filter((r) => wholeBucket(r) && r.Expiration?.Days !== undefined)
    .map((r) => r.Expiration!.Days!);
  if (expiresBy.some((days) => days <= optimizerWindowDays)) return {};
  const first = standard[0];
  const now = latest(standard);
  if (!first || now <= 0) return {};
  if (first.date > addDays(recording.asOf, -optimizerWindowDays))
    return {
      note: `${storage.role} bucket: CloudWatch has Standard bytes only since ${first.date}, fewer than ${optimizerWindowDays} days; its transition saving is left for a later report.`,
    };
  const aged = Math.min(first.value, now);
  const cold = coldClasses[advice.coldStorageClass];
  const storageSaving = gb(aged) * (prices.s3StandardGbMonthUsd - prices[cold.price]);
  const objects = storage.bytes > 0 ? Math.round((storage.objects * aged) / storage.bytes) : 0;
  const transitions = (objects / 1000) * prices[cold.transition];
  const firstMonth = cents(storageSaving - transitions);
  if (firstMonth <= 0)
    return {
      note: `${storage.role} bucket: moving ${gb(aged).toFixed(1)} GB to ${cold.label} would cost more in transitions (${objects} objects) than it saves in a month.`,
    };
  const averageBytes = objects > 0 ? aged / objects : 0;
  const small =
    averageBytes < smallestTransitionedBytes
      ? ` Its objects average ${Math.round(averageBytes / 1024)} KB: lifecycle rules skip objects under 128 KB unless the rule sets ObjectSizeGreaterThan, and ${cold.label} bills 128 KB at least, so the saving is overstated; compact small files first.`
      : '';
  return {
    recommendation: {
      title: `Move the ${storage.role} bucket's objects to ${cold.label} after ${optimizerWindowDays} days`,
      detail: `${storage.bucket} has no lifecycle transition and keeps ${gb(now).toFixed(1)} GB in Standard, ${gb(aged).toFixed(1)} GB of which was already there ${optimizerWindowDays} days ago. Assuming objects there are written once and rarely read, moving those bytes saves ${cents(storageSaving).toFixed(2)} USD a month (${prices.s3StandardGbMonthUsd} → ${prices[cold.price]} USD per GB-month); the first month pays about ${objects} transitions (${cents(transitions).toFixed(2)} USD at ${prices[cold.transition]} USD per 1,000), which the saving shown is net of. Each GB read back costs ${cold.retrievalGb} USD and objects deleted within ${cold.minimumDays} days are billed for ${cold.minimumDays}.${small} Set storage.lifecycle.${storage.role}.transitions in the config.`,
      monthlySaving: firstMonth,
    },
  };
}

/**
 * Lifecycle advice for every bucket: a transition for the cold buckets (`cost.advice.coldBuckets`)
 * and a lifecycle configuration, or noncurrent-version expiry, where the bucket has none. The
 * buckets are versioned, and what noncurrent versions and incomplete uploads hold is not in
 * CloudWatch's metrics (S3 Storage Lens counts it): those two savings are given as 0.
 */
export function storageAdvice(
  recording: OptimizerRecording,
  prices: CostPrices,
  advice: CostAdvice,
): { recommendations: Recommendation[]; notes: string[] } {
  const recommendations: Recommendation[] = [];
  const notes: string[] = [];
  const series = bucketSeries(recording);
  const cold = new Set<string>(advice.coldBuckets);
  for (const storage of bucketStorage(recording, prices)) {
    const rules = recording.lifecycle[storage.role] ?? null;
    if (cold.has(storage.role)) {
      const standard = series.get(storage.bucket)?.types.get('StandardStorage') ?? [];
      const { recommendation, note } = transitionAdvice(
        recording,
        storage,
        standard,
        rules ?? [],
        prices,
        advice,
      );
      if (recommendation) recommendations.push(recommendation);
      if (note) notes.push(note);
    }
    const unmeasured =
      'CloudWatch does not measure it (S3 Storage Lens does), so no saving is counted';
    if (rules === null)
      recommendations.push({
        title: `Give the ${storage.role} bucket a lifecycle configuration`,
        detail: `${storage.bucket} has none: the versions its objects' overwrites and deletes leave behind, and the parts of failed multipart uploads, are kept and billed for ever. Expire noncurrent versions after the days a restore needs, and abort incomplete multipart uploads after a day or so. ${unmeasured}.`,
        monthlySaving: 0,
      });
    else if (!rules.some((r) => r.Status === 'Enabled' && r.NoncurrentVersionExpiration))
      recommendations.push({
        title: `Expire noncurrent versions in the ${storage.role} bucket`,
        detail: `${storage.bucket} is versioned and no enabled lifecycle rule expires noncurrent versions: every overwritten or deleted object is kept and billed for ever. What they hold: ${unmeasured}.`,
        monthlySaving: 0,
      });
  }
  return { recommendations, notes };
}
