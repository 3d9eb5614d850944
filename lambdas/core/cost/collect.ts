/**
 * What the cost report Lambda asks Cost Explorer and the run history for, in one place: the
 * recording the report is computed from and stored beside (see `recording.ts`).
 */
import { addDays } from '../time';
import type {
  AnomaliesPage,
  CostAndUsagePage,
  CostForecastResponse,
  CostRecording,
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

/** Everything the report for `asOf` needs, fetched side by side. */
export async function recordCosts(
  sources: { readonly costs: CostExplorerSource; readonly runs: RunUsageSource },
  request: { readonly asOf: string; readonly env: string; readonly tags: readonly string[] },
): Promise<CostRecording> {
  const periods = costPeriods(request.asOf);
  const { window } = periods;
  const [byService, byTag, forecast, anomalies, runs] = await Promise.all([
    sources.costs.costAndUsage(window, { type: 'DIMENSION', key: 'SERVICE' }),
    Promise.all(
      request.tags.map((tag) => sources.costs.costAndUsage(window, { type: 'TAG', key: tag })),
    ),
    periods.rest ? sources.costs.forecast(periods.rest) : Promise.resolve(undefined),
    sources.costs.anomalies(window.from, addDays(window.to, -1)),
    sources.runs.usage(periods.monthToDate),
  ]);
  return {
    asOf: request.asOf,
    env: request.env,
    byService,
    byTag: Object.fromEntries(request.tags.map((tag, i) => [tag, byTag[i]!])),
    ...(forecast ? { forecast } : {}),
    anomalies,
    runs,
  };
}
