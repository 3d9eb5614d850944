/**
 * What the cost report Lambda asks Cost Explorer and the run history for, in one place: the
 * recording the report is computed from and stored beside (see `recording.ts`).
 */
import type { CostAdvice, CostPrices } from '../../../config/schema';
import { addDays } from '../time';
import { lambdaUsageDays } from './advice';
import type {
  AnomaliesPage,
  CostAndUsagePage,
  CostForecastResponse,
  CostRecording,
  HubRecording,
  LogsInsightsRow,
  RunUsage,
} from './recording';
import { costPeriods, type Period } from './report';

/** A Cost Explorer grouping: by a dimension (SERVICE) or by a cost allocation tag. */
export interface CostGrouping {
  readonly type: 'DIMENSION' | 'TAG';
  readonly key: string;
}

/** Cost Explorer, every page of each answer (the adapter loops on NextPageToken). */
export interface CostExplorerSource {
  /** Daily unblended and amortized cost over `period`, grouped by `groupBy`. */
  costAndUsage(period: Period, groupBy: CostGrouping): Promise<CostAndUsagePage[]>;
  /** The forecast unblended cost of `period`; undefined when Cost Explorer has too little history. */
  forecast(period: Period): Promise<CostForecastResponse | undefined>;
  /** The anomalies the stack's monitor found that ended between the two dates (inclusive). */
  anomalies(from: string, to: string): Promise<AnomaliesPage[]>;
}

/** The platform's runs of `period`, with what each dataset step wrote (`RunHistory.usage`). */
export interface RunUsageSource {
  usage(period: Period): Promise<RunUsage[]>;
}

/** The platform functions' REPORT lines, summed per function by `lambdaUsageQuery` (`advice.ts`). */
export interface LambdaUsageSource {
  /** The query's result rows over `period` (whole days, UTC). */
  usage(period: Period): Promise<LogsInsightsRow[]>;
}

/** Cost Optimization Hub's recommendations for the platform's resources. */
export interface OptimizationHubSource {
  /** Every page, or why there are none (the account is not enrolled). */
  recommendations(): Promise<HubRecording>;
}

/**
 * Everything the report for `asOf` needs, fetched side by side. Without the optimization sources
 * the recording has no function usage or hub answer, and the report advises from the runs alone.
 */
export async function recordCosts(
  sources: {
    readonly costs: CostExplorerSource;
    readonly runs: RunUsageSource;
    readonly lambdas?: LambdaUsageSource;
    readonly hub?: OptimizationHubSource;
  },
  request: {
    readonly asOf: string;
    readonly env: string;
    readonly tags: readonly string[];
    readonly prices?: CostPrices;
    readonly advice?: CostAdvice;
  },
): Promise<CostRecording> {
  const periods = costPeriods(request.asOf);
  const { window } = periods;
  const [byService, byTag, forecast, anomalies, runs, lambdaUsage, optimizationHub] =
    await Promise.all([
      sources.costs.costAndUsage(window, { type: 'DIMENSION', key: 'SERVICE' }),
      Promise.all(
        request.tags.map((tag) => sources.costs.costAndUsage(window, { type: 'TAG', key: tag })),
      ),
      periods.rest ? sources.costs.forecast(periods.rest) : Promise.resolve(undefined),
      sources.costs.anomalies(window.from, addDays(window.to, -1)),
      sources.runs.usage(periods.monthToDate),
      sources.lambdas?.usage({ from: addDays(request.asOf, -lambdaUsageDays), to: request.asOf }),
      sources.hub?.recommendations(),
    ]);
  return {
    asOf: request.asOf,
    env: request.env,
    byService,
    byTag: Object.fromEntries(request.tags.map((tag, i) => [tag, byTag[i]!])),
    ...(forecast ? { forecast } : {}),
    anomalies,
    runs,
    ...(lambdaUsage ? { lambdaUsage } : {}),
    ...(optimizationHub ? { optimizationHub } : {}),
    ...(request.prices ? { prices: request.prices } : {}),
    ...(request.advice ? { advice: request.advice } : {}),
  };
}
