/**
 * What the platform team could change, with what each change would save a month: memory sizes of
 * the platform's functions (from their REPORT lines, à la AWS Lambda Power Tuning), the models
 * whose Athena queries scan the most bytes, Cost Optimization Hub's own recommendations, and the
 * cost optimizer's storage-class, lifecycle and idle-resource findings (`storage.ts`, `idle.ts`). Every
 * saving is estimated from the recording and the prices it carries, so the report can be reproduced.
 */
import {
  defaultCostAdvice,
  defaultCostPrices,
  type CostAdvice,
  type CostPrices,
} from '../../../config/schema';
import { PipelineError } from '../errors';
import { idleAdvice } from './idle';
import type { CostRecording, HubRecording, LogsInsightsRow, RunUsage } from './recording';
import { costPeriods, type Recommendation } from './report';
import { storageAdvice } from './storage';

/** Days of REPORT lines the Logs Insights query reads (the period {@link lambdaUsageQuery} covers). */
export const lambdaUsageDays = 7;

/** An average month, the unit every saving is given in. */
const daysPerMonth = 365 / 12;

/** Lambda's smallest memory size. https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html */
const minimumMemoryMb = 128;

/**
 * The Logs Insights query over the platform's function log groups: per function (log group), its
 * invocations, billed milliseconds, configured memory and the p99 and maximum of its max memory
 * used. Logs Insights gives the memory fields in bytes of 10⁶ per MB.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-examples.html
 */
export const lambdaUsageQuery = [
  'filter @type = "REPORT"',
  'stats count(*) as invocations, sum(@billedDuration) as billedMs, avg(@duration) as avgMs, max(@memorySize) as memoryBytes, pct(@maxMemoryUsed, 99) as p99UsedBytes, max(@maxMemoryUsed) as maxUsedBytes by @log',
].join(' | ');

/** One function's week, read off a {@link lambdaUsageQuery} row. */
export interface LambdaUsage {
  readonly fn: string;
  readonly invocations: number;
  readonly billedMs: number;
  readonly avgMs: number;
  readonly memoryMb: number;
  readonly p99UsedMb: number;
  readonly maxUsedMb: number;
}

/** `123456789012:/aws/lambda/medallion-prod-Transform` → `medallion-prod-Transform`. */
function functionName(log: string): string {
  return log.slice(log.lastIndexOf('/') + 1);
}

export function lambdaUsageFromRow(row: LogsInsightsRow, index: number): LambdaUsage {
  const fields = new Map(row.map((f) => [f.field, f.value]));
  const log = fields.get('@log');
  if (!log) throw new PipelineError(`lambda-usage.json row ${index + 1}: @log is missing`);
  const number = (field: string) => {
    const n = Number(fields.get(field));
    if (fields.get(field) === undefined || !Number.isFinite(n))
      throw new PipelineError(
        `lambda-usage.json row ${index + 1} (${log}): ${field} is not a number: ${JSON.stringify(fields.get(field))}`,
      );
    return n;
  };
  return {
    fn: functionName(log),
    invocations: number('invocations'),
    billedMs: number('billedMs'),
    avgMs: number('avgMs'),
    memoryMb: Math.round(number('memoryBytes') / 1e6),
    p99UsedMb: number('p99UsedBytes') / 1e6,
    maxUsedMb: number('maxUsedBytes') / 1e6,
  };
}

const cents = (amount: number) => Math.round(amount * 100) / 100;

/**
 * The memory a function needs: p99 of its max memory used with headroom, rounded up to the step,
 * never below the most it used nor Lambda's minimum. Lambda gives CPU in proportion to memory, so
 * the saving assumes the billed duration stays as it is: an upper bound for a CPU-bound function.
 */
export function rightSizeLambda(
  usage: LambdaUsage,
  prices: CostPrices,
  advice: CostAdvice,
): Recommendation | undefined {
  const step = advice.lambdaMemoryStepMb;
  const needed = Math.max(usage.p99UsedMb * advice.lambdaMemoryHeadroom, usage.maxUsedMb);
  const advised = Math.max(Math.ceil(needed / step) * step, minimumMemoryMb);
  if (advised >= usage.memoryMb) return undefined;
  const gbSecondsSaved = (usage.billedMs / 1000) * ((usage.memoryMb - advised) / 1024);
  const monthlySaving = cents(
    gbSecondsSaved * prices.lambdaArmGbSecondUsd * (daysPerMonth / lambdaUsageDays),
  );
  if (monthlySaving <= 0) return undefined;
  return {
    title: `Right-size ${usage.fn}: ${usage.memoryMb} MB → ${advised} MB`,
    detail: `${usage.invocations} invocations in ${lambdaUsageDays} days used at most ${Math.round(usage.maxUsedMb)} MB (p99 ${Math.round(usage.p99UsedMb)} MB) of ${usage.memoryMb} MB. Lambda gives CPU in proportion to memory: if the function is CPU-bound it runs longer with less, so the saving is an upper bound; measure with AWS Lambda Power Tuning before and after.`,
    monthlySaving,
  };
}

/**
 * The models that scanned the most bytes in the month to date, as a month's Athena cost, with
 * advice: the saving is the assumed share (`cost.advice.athenaScanReduction`) of that cost.
 */
export function athenaAdvice(
  runs: readonly RunUsage[],
  asOf: string,
  prices: CostPrices,
  advice: CostAdvice,
): Recommendation[] {
  const { monthToDate } = costPeriods(asOf);
  const days = Math.round((Date.parse(monthToDate.to) - Date.parse(monthToDate.from)) / 86_400_000);
  const scanned = new Map<string, number>();
  // Every run's queries were paid for, whether or not the run succeeded.
  for (const run of runs) {
    if (run.runDate < monthToDate.from || run.runDate >= monthToDate.to) continue;
    for (const s of run.datasets)
      if (s.bytesScanned) scanned.set(s.dataset, (scanned.get(s.dataset) ?? 0) + s.bytesScanned);
  }
  const percent = Math.round(advice.athenaScanReduction * 100);
  return [...scanned]
    .map(([model, bytes]) => {
      const monthlyTb = ((bytes / 1e12) * daysPerMonth) / days;
      const monthlyCost = monthlyTb * prices.athenaTerabyteUsd;
      return {
        title: `Scan less in ${model}`,
        detail: `Scans ${monthlyTb.toFixed(2)} TB a month (${cents(monthlyCost).toFixed(2)} USD at ${prices.athenaTerabyteUsd} USD/TB). Partition its table by the column its readers filter on so Athena prunes partitions, compact its Iceberg files (OPTIMIZE … REWRITE DATA USING BIN_PACK), and select only the columns it needs; the saving assumes ${percent} % fewer bytes scanned.`,
        monthlySaving: cents(monthlyCost * advice.athenaScanReduction),
      };
    })
    .filter((r) => r.monthlySaving > 0)
    .sort((a, b) => b.monthlySaving - a.monthlySaving || (a.title < b.title ? -1 : 1))
    .slice(0, advice.athenaModels);
}

/** An ARN's last part: `arn:aws:lambda:…:function:name` → `name`. */
const shortName = (id: string) => id.slice(id.lastIndexOf(':') + 1);

/**
 * Cost Optimization Hub's recommendations in the report's shape, or why there are none. Its
 * advice for a function the report right-sizes itself is left out (Compute Optimizer's, from
 * other data), so no saving is counted twice.
 */
export function hubAdvice(
  hub: HubRecording,
  rightSized: ReadonlySet<string> = new Set(),
): {
  recommendations: Recommendation[];
  notes: string[];
} {
  if ('unavailable' in hub)
    return { recommendations: [], notes: [`Cost Optimization Hub: ${hub.unavailable}`] };
  const recommendations = hub.pages
    .flatMap((page) => page.items ?? [])
    .filter((r) => (r.estimatedMonthlySavings ?? 0) > 0)
    .filter(
      (r) =>
        r.currentResourceType !== 'LambdaFunction' ||
        !rightSized.has(shortName(r.resourceId ?? '')),
    )
    .map((r) => ({
      title:
        `${r.actionType ?? 'Change'} ${r.currentResourceType ?? 'resource'} ${shortName(r.resourceId ?? r.recommendationId ?? '')}`.trim(),
      detail: [
        r.resourceId,
        r.currentResourceSummary && r.recommendedResourceSummary
          ? `${r.currentResourceSummary} → ${r.recommendedResourceSummary}`
          : undefined,
        r.region ? `in ${r.region}` : undefined,
        r.implementationEffort ? `effort ${r.implementationEffort.toLowerCase()}` : undefined,
        r.currencyCode && r.currencyCode !== 'USD' ? `saving in ${r.currencyCode}` : undefined,
        '(Cost Optimization Hub)',
      ]
        .filter(Boolean)
        .join(', '),
      monthlySaving: cents(r.estimatedMonthlySavings!),
    }));
  return { recommendations, notes: [] };
}

/** Everything the recording supports advising, with notes on what could not be looked at. */
export function costAdvice(recording: CostRecording): {
  recommendations: Recommendation[];
  notes: string[];
} {
  // A recording made before a price or assumption existed is completed with its default.
  const prices = { ...defaultCostPrices, ...recording.prices };
  const advice = { ...defaultCostAdvice, ...recording.advice };
  const functions = (recording.lambdaUsage ?? []).flatMap((row, i) => {
    const usage = lambdaUsageFromRow(row, i);
    const recommendation = rightSizeLambda(usage, prices, advice);
    return recommendation ? [{ fn: usage.fn, recommendation }] : [];
  });
  const hub = recording.optimizationHub
    ? hubAdvice(recording.optimizationHub, new Set(functions.map((f) => f.fn)))
    : { recommendations: [], notes: [] };
  const optimizer = recording.optimizer;
  const storage = optimizer
    ? storageAdvice(optimizer, prices, advice)
    : {
        recommendations: [],
        notes: [
          `The cost optimizer recorded nothing for ${recording.asOf}: no storage or idle-resource advice (run it before the report, with the same asOf).`,
        ],
      };
  return {
    recommendations: [
      ...functions.map((f) => f.recommendation),
      ...athenaAdvice(recording.runs, recording.asOf, prices, advice),
      ...hub.recommendations,
      ...storage.recommendations,
      ...(optimizer ? idleAdvice(optimizer, prices) : []),
    ],
    notes: [...hub.notes, ...storage.notes],
  };
}
