/**
 * What the cost report is computed from: Cost Explorer's responses, exactly as the API returned
 * them, and the platform's run history. The Lambda fetches them and stores them beside the report;
 * `medallion cost report --from <dir>` reads the same files back, so a report can be reproduced
 * (and a fixture recorded) without AWS. Only the response fields the report reads are typed here:
 * core does not depend on the AWS SDK.
 */
import type { CostAdvice, CostPrices } from '../../../config/schema';
import { PipelineError } from '../errors';
import { optimizerFiles, optimizerFromFiles, type OptimizerRecording } from './optimizer';

/** A Cost Explorer amount: a decimal string and its currency. */
export interface CostAmount {
  readonly Amount?: string;
  readonly Unit?: string;
}

export interface CostGroup {
  /** `["AWS Lambda"]` for a SERVICE group, `["pipeline$daily"]` (or `["pipeline$"]`, untagged) for a tag. */
  readonly Keys?: readonly string[];
  readonly Metrics?: Readonly<Record<string, CostAmount>>;
}

export interface CostResultByTime {
  readonly TimePeriod?: { readonly Start?: string; readonly End?: string };
  readonly Total?: Readonly<Record<string, CostAmount>>;
  readonly Groups?: readonly CostGroup[];
  readonly Estimated?: boolean;
}

/** One page of GetCostAndUsage (grouped by one dimension or tag, daily). */
export interface CostAndUsagePage {
  readonly ResultsByTime?: readonly CostResultByTime[];
  readonly NextPageToken?: string;
}

/** GetCostForecast for the rest of the month. */
export interface CostForecastResponse {
  readonly Total?: CostAmount;
}

export interface CostAnomaly {
  readonly AnomalyId?: string;
  readonly AnomalyStartDate?: string;
  readonly AnomalyEndDate?: string;
  readonly DimensionValue?: string;
  readonly RootCauses?: readonly {
    readonly Service?: string;
    readonly Region?: string;
    readonly UsageType?: string;
  }[];
  readonly Impact?: {
    readonly MaxImpact?: number;
    readonly TotalImpact?: number;
    readonly TotalImpactPercentage?: number;
  };
}

/** One page of GetAnomalies. */
export interface AnomaliesPage {
  readonly Anomalies?: readonly CostAnomaly[];
  readonly NextPageToken?: string;
}

/** What one dataset step of a run wrote and (on Athena) scanned: from `audit.run_datasets`. */
export interface DatasetUsage {
  readonly dataset: string;
  readonly layer: string;
  readonly rowsOut: number;
  /** Bytes the step's queries scanned; absent where the run history does not record it. */
  readonly bytesScanned?: number;
}

/** One run of the platform, from `audit.runs` and its dataset steps. */
export interface RunUsage {
  readonly runId: string;
  readonly job: string;
  readonly runDate: string;
  readonly status: string;
  readonly datasets: readonly DatasetUsage[];
}

/** One row of a CloudWatch Logs Insights result: its fields as the API returns them, as text. */
export type LogsInsightsRow = readonly { readonly field?: string; readonly value?: string }[];

/** A Cost Optimization Hub recommendation: the fields of ListRecommendations' items the report reads. */
export interface HubRecommendation {
  readonly recommendationId?: string;
  readonly resourceId?: string;
  readonly region?: string;
  readonly actionType?: string;
  readonly currentResourceType?: string;
  readonly currentResourceSummary?: string;
  readonly recommendedResourceSummary?: string;
  readonly estimatedMonthlySavings?: number;
  readonly currencyCode?: string;
  readonly implementationEffort?: string;
}

/** One page of Cost Optimization Hub's ListRecommendations. */
export interface HubPage {
  readonly items?: readonly HubRecommendation[];
  readonly nextToken?: string;
}

/** What Cost Optimization Hub answered: every page, or why it could not (the account is not enrolled). */
export type HubRecording =
  { readonly pages: readonly HubPage[] } | { readonly unavailable: string };

export interface CostRecording {
  /** The report's day: periods end just before it (Cost Explorer's End is exclusive). */
  readonly asOf: string;
  readonly env: string;
  /** GetCostAndUsage grouped by SERVICE, every page. */
  readonly byService: readonly CostAndUsagePage[];
  /** GetCostAndUsage grouped by each cost allocation tag, every page, keyed by tag. */
  readonly byTag: Readonly<Record<string, readonly CostAndUsagePage[]>>;
  /** Absent when the month ends with the report's day: nothing is left to forecast. */
  readonly forecast?: CostForecastResponse;
  readonly anomalies: readonly AnomaliesPage[];
  readonly runs: readonly RunUsage[];
  /** The platform functions' REPORT lines over the last 7 days, per function (`lambdaUsageQuery`). */
  readonly lambdaUsage?: readonly LogsInsightsRow[];
  readonly optimizationHub?: HubRecording;
  /** The cost optimizer's metrics and lifecycle rules of the same day, when it recorded them. */
  readonly optimizer?: OptimizerRecording;
  /** What savings were estimated with (`cost.prices`, `cost.advice`); the defaults when absent. */
  readonly prices?: CostPrices;
  readonly advice?: CostAdvice;
}

/** The file a recording keeps its report's day, environment and tags in. */
const manifestFile = 'report.json';
const pageFile = /^cost-and-usage\.(service|tag-([A-Za-z0-9_.:/=+@-]+))\.(\d+)\.json$/;
const anomaliesFile = /^anomalies\.(\d+)\.json$/;
const hubFile = /^optimization-hub\.(\d+)\.json$/;
const hubUnavailableFile = 'optimization-hub.unavailable.json';
const lambdaUsageFile = 'lambda-usage.json';

/**
 * A recording as named files of JSON: `report.json`, `cost-and-usage.service.1.json`,
 * `cost-and-usage.tag-pipeline.1.json`..., `forecast.json`, `anomalies.1.json`, `runs.json`.
 */
export function recordingFiles(recording: CostRecording): Record<string, unknown> {
  const files: Record<string, unknown> = {
    [manifestFile]: {
      asOf: recording.asOf,
      env: recording.env,
      tags: Object.keys(recording.byTag),
      ...(recording.prices ? { prices: recording.prices } : {}),
      ...(recording.advice ? { advice: recording.advice } : {}),
    },
    'runs.json': recording.runs,
  };
  recording.byService.forEach((page, i) => (files[`cost-and-usage.service.${i + 1}.json`] = page));
  for (const [tag, pages] of Object.entries(recording.byTag))
    pages.forEach((page, i) => (files[`cost-and-usage.tag-${tag}.${i + 1}.json`] = page));
  if (recording.forecast) files['forecast.json'] = recording.forecast;
  recording.anomalies.forEach((page, i) => (files[`anomalies.${i + 1}.json`] = page));
  if (recording.lambdaUsage) files[lambdaUsageFile] = recording.lambdaUsage;
  const hub = recording.optimizationHub;
  if (hub && 'pages' in hub)
    hub.pages.forEach((page, i) => (files[`optimization-hub.${i + 1}.json`] = page));
  else if (hub) files[hubUnavailableFile] = { reason: hub.unavailable };
  if (recording.optimizer) Object.assign(files, optimizerFiles(recording.optimizer));
  return files;
}

/** Reads back what {@link recordingFiles} wrote, pages in order; names what is missing. */
export function recordingFromFiles(files: ReadonlyMap<string, unknown>): CostRecording {
  const manifest = files.get(manifestFile) as
    | { asOf?: unknown; env?: unknown; tags?: unknown; prices?: CostPrices; advice?: CostAdvice }
    | undefined;
  if (!manifest) throw new PipelineError(`${manifestFile} is missing from the recording`);
  if (typeof manifest.asOf !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(manifest.asOf))
    throw new PipelineError(`${manifestFile}: asOf must be a date (YYYY-MM-DD)`);
  if (typeof manifest.env !== 'string') throw new PipelineError(`${manifestFile}: env is missing`);
  const tags = Array.isArray(manifest.tags) ? manifest.tags.map(String) : [];
  const byService: [number, CostAndUsagePage][] = [];
  const byTag = new Map<string, [number, CostAndUsagePage][]>(tags.map((t) => [t, []]));
  const anomalies: [number, AnomaliesPage][] = [];
  const hubPages: [number, HubPage][] = [];
  for (const [name, content] of files) {
    const page = pageFile.exec(name);
    if (page) {
      const index = Number(page[3]);
      if (page[1] === 'service') byService.push([index, content as CostAndUsagePage]);
      else {
        const pages = byTag.get(page[2]!);
        if (!pages)
          throw new PipelineError(`${name}: tag ${page[2]} is not in ${manifestFile}'s tags`);
        pages.push([index, content as CostAndUsagePage]);
      }
      continue;
    }
    const anomaly = anomaliesFile.exec(name);
    if (anomaly) anomalies.push([Number(anomaly[1]), content as AnomaliesPage]);
    const hub = hubFile.exec(name);
    if (hub) hubPages.push([Number(hub[1]), content as HubPage]);
  }
  if (byService.length === 0)
    throw new PipelineError('cost-and-usage.service.1.json is missing from the recording');
  for (const [tag, pages] of byTag)
    if (pages.length === 0)
      throw new PipelineError(`cost-and-usage.tag-${tag}.1.json is missing from the recording`);
  const runs = files.get('runs.json') ?? [];
  if (!Array.isArray(runs)) throw new PipelineError('runs.json must be a list of runs');
  const inOrder = <T>(pages: [number, T][]) =>
    pages.sort(([a], [b]) => a - b).map(([, page]) => page);
  const optimizer = optimizerFromFiles(files);
  return {
    asOf: manifest.asOf,
    env: manifest.env,
    byService: inOrder(byService),
    byTag: Object.fromEntries([...byTag].map(([tag, pages]) => [tag, inOrder(pages)])),
    ...(files.has('forecast.json')
      ? { forecast: files.get('forecast.json') as CostForecastResponse }
      : {}),
    anomalies: inOrder(anomalies),
    runs: runs as RunUsage[],
    ...lambdaUsageFrom(files),
    ...(hubPages.length > 0 ? { optimizationHub: { pages: inOrder(hubPages) } } : {}),
    ...hubUnavailableFrom(files),
    ...(optimizer ? { optimizer } : {}),
    ...(manifest.prices ? { prices: manifest.prices } : {}),
    ...(manifest.advice ? { advice: manifest.advice } : {}),
  };
}

function lambdaUsageFrom(files: ReadonlyMap<string, unknown>): { lambdaUsage?: LogsInsightsRow[] } {
  if (!files.has(lambdaUsageFile)) return {};
  const rows = files.get(lambdaUsageFile);
  if (!Array.isArray(rows) || !rows.every(Array.isArray))
    throw new PipelineError(`${lambdaUsageFile} must be a list of Logs Insights result rows`);
  return { lambdaUsage: rows as LogsInsightsRow[] };
}

function hubUnavailableFrom(files: ReadonlyMap<string, unknown>): {
  optimizationHub?: HubRecording;
} {
  if (!files.has(hubUnavailableFile)) return {};
  const { reason } = (files.get(hubUnavailableFile) ?? {}) as { reason?: unknown };
  if (typeof reason !== 'string')
    throw new PipelineError(`${hubUnavailableFile}: reason must be text`);
  return { optimizationHub: { unavailable: reason } };
}
