/**
 * The weekly cost report, computed from a {@link CostRecording}: what was spent this month and
 * where, how this week compares with the last, where the month will end, what Cost Anomaly
 * Detection flagged, how much carries no cost allocation tag, and what a run, a million rows and a
 * terabyte scanned cost. Amounts are in the account's currency, rounded to cents.
 */
import { defaultCostPrices } from '../../../config/schema';
import { PipelineError } from '../errors';
import { addDays } from '../time';
import type { CostAndUsagePage, CostRecording, RunUsage } from './recording';
import { bucketStorage, type BucketStorage } from './storage';

/** The metrics every GetCostAndUsage asks for: what was billed, and with upfront fees spread. */
export const costMetrics = ['UnblendedCost', 'AmortizedCost'] as const;

/** Weeks of daily costs the report charts (and fetches, with the whole month to date). */
const chartedWeeks = 5;

/** The name a tag's group carries when resources have no value for the tag. */
export const untaggedLabel = '(untagged)';

/** The service whose cost a terabyte scanned is charged against. */
export const athenaService = 'Amazon Athena';

export interface Period {
  /** First day, inclusive. */
  readonly from: string;
  /** Day after the last, exclusive (as Cost Explorer's End). */
  readonly to: string;
}

/** The periods of a report for `asOf`: every day before it is complete. */
export interface CostPeriods {
  /** What to fetch: the month to date and five weeks of days, whichever starts earlier. */
  readonly window: Period;
  readonly monthToDate: Period;
  /** The rest of the month, to forecast; absent when the month ended with the day before `asOf`. */
  readonly rest?: Period;
  readonly thisWeek: Period;
  readonly lastWeek: Period;
}

export function costPeriods(asOf: string): CostPeriods {
  const lastDay = addDays(asOf, -1);
  const monthStart = `${lastDay.slice(0, 8)}01`;
  const nextMonth = `${addDays(monthStart, 31).slice(0, 8)}01`;
  const weeksBack = addDays(asOf, -7 * chartedWeeks);
  return {
    window: { from: monthStart < weeksBack ? monthStart : weeksBack, to: asOf },
    monthToDate: { from: monthStart, to: asOf },
    ...(asOf < nextMonth ? { rest: { from: asOf, to: nextMonth } } : {}),
    thisWeek: { from: addDays(asOf, -7), to: asOf },
    lastWeek: { from: addDays(asOf, -14), to: addDays(asOf, -7) },
  };
}

export interface Money {
  readonly unblended: number;
  readonly amortized: number;
}

/** One key's (service's or tag value's) cost this week against last week. */
export interface WeekChange {
  readonly key: string;
  readonly thisWeek: number;
  readonly lastWeek: number;
  readonly change: number;
  /** Absent when last week cost nothing: no percentage of zero. */
  readonly changePercent?: number;
}

export interface CostAnomalyLine {
  readonly id: string;
  readonly from: string;
  readonly to?: string;
  /** Root cause: the service, region and usage type Cost Anomaly Detection named. */
  readonly service: string;
  readonly region?: string;
  readonly usageType?: string;
  /** Spend above what was expected over the anomaly. */
  readonly impact: number;
  readonly impactPercent?: number;
}

export interface UnitCosts {
  /** Succeeded `daily` runs in the month to date. */
  readonly dailyRuns: number;
  readonly rowsWritten: number;
  /** Absent when the run history records no bytes scanned (runs on DuckDB, or before it did). */
  readonly bytesScanned?: number;
  /** Month-to-date platform cost over the `daily` runs. */
  readonly perDailyRun?: number;
  /** Month-to-date platform cost per million rows written by succeeded runs. */
  readonly perMillionRows?: number;
  /** Month-to-date Athena cost per terabyte (10¹² bytes) scanned. */
  readonly perTerabyteScanned?: number;
}

/** A table's share of its layer's tagged cost, in proportion to the rows it was written. */
export interface TableCost {
  readonly dataset: string;
  readonly layer: string;
  readonly rowsWritten: number;
  readonly cost: number;
}

/** Advice with what it would save a month (`advice.ts`). */
export interface Recommendation {
  readonly title: string;
  readonly detail: string;
  readonly monthlySaving: number;
}

export interface CostReport {
  readonly env: string;
  readonly asOf: string;
  readonly currency: string;
  readonly periods: CostPeriods;
  readonly monthToDate: Money;
  /** Month to date plus Cost Explorer's forecast of the rest; the month to date when it is over. */
  readonly monthForecast: number;
  readonly forecastRest?: number;
  readonly thisWeek: Money;
  readonly lastWeek: Money;
  readonly byService: readonly WeekChange[];
  readonly byTag: Readonly<Record<string, readonly WeekChange[]>>;
  /** Unblended cost per day per service over the window, oldest first, every day present. */
  readonly daily: readonly { readonly date: string; readonly services: Record<string, number> }[];
  /** Per day and tag value, as {@link CostReport.daily}, for the CSV. */
  readonly dailyByTag: Readonly<
    Record<string, readonly { readonly date: string; readonly values: Record<string, number> }[]>
  >;
  /** Services by month-to-date cost, largest first. */
  readonly services: readonly { readonly service: string; readonly monthToDate: number }[];
  /** Month-to-date cost no resource tag value accounts for, per tag. */
  readonly untagged: readonly {
    readonly tag: string;
    readonly cost: number;
    readonly share: number;
  }[];
  readonly anomalies: readonly CostAnomalyLine[];
  readonly unitCosts: UnitCosts;
  readonly tables: readonly TableCost[];
  /**
   * The platform buckets' monthly storage cost by class at list prices, from the cost optimizer's
   * metrics (`storage.ts`); empty when it recorded nothing for the day.
   */
  readonly storage: readonly BucketStorage[];
  readonly recommendations: readonly Recommendation[];
  /** What could not be looked at for recommendations, and why. */
  readonly recommendationNotes: readonly string[];
}

const cents = (amount: number) => Math.round(amount * 100) / 100;

/** Daily costs by key (service or tag value) and metric, read off every page. */
type DailyCosts = Map<string, Map<string, Money>>;

function dailyCosts(
  pages: readonly CostAndUsagePage[],
  what: string,
  tag: boolean,
  currencies: Set<string>,
): DailyCosts {
  const days: DailyCosts = new Map();
  for (const page of pages)
    for (const result of page.ResultsByTime ?? []) {
      const date = result.TimePeriod?.Start?.slice(0, 10);
      if (!date) throw new PipelineError(`${what}: a result has no TimePeriod.Start`);
      const day = days.get(date) ?? new Map<string, Money>();
      days.set(date, day);
      for (const group of result.Groups ?? []) {
        const raw = group.Keys?.[0] ?? '';
        const key = tag ? raw.slice(raw.indexOf('$') + 1) || untaggedLabel : raw;
        const amount = (metric: (typeof costMetrics)[number]) => {
          const value = group.Metrics?.[metric];
          if (value?.Unit) currencies.add(value.Unit);
          const n = Number(value?.Amount ?? 0);
          if (!Number.isFinite(n))
            throw new PipelineError(
              `${what}: ${date} ${key} ${metric} is not a number: ${JSON.stringify(value?.Amount)}`,
            );
          return n;
        };
        const before = day.get(key) ?? { unblended: 0, amortized: 0 };
        day.set(key, {
          unblended: before.unblended + amount('UnblendedCost'),
          amortized: before.amortized + amount('AmortizedCost'),
        });
      }
    }
  return days;
}

function sumOver(costs: DailyCosts, period: Period, key?: string): Money {
  let [unblended, amortized] = [0, 0];
  for (const [date, day] of costs) {
    if (date < period.from || date >= period.to) continue;
    for (const [k, money] of day)
      if (key === undefined || k === key) {
        unblended += money.unblended;
        amortized += money.amortized;
      }
  }
  return { unblended: cents(unblended), amortized: cents(amortized) };
}

function keysOf(costs: DailyCosts): string[] {
  return [...new Set([...costs.values()].flatMap((day) => [...day.keys()]))];
}

function weekChanges(costs: DailyCosts, periods: CostPeriods): WeekChange[] {
  return keysOf(costs)
    .map((key) => {
      const thisWeek = sumOver(costs, periods.thisWeek, key).unblended;
      const lastWeek = sumOver(costs, periods.lastWeek, key).unblended;
      return {
        key,
        thisWeek,
        lastWeek,
        change: cents(thisWeek - lastWeek),
        ...(lastWeek > 0
          ? { changePercent: Math.round(((thisWeek - lastWeek) / lastWeek) * 1000) / 10 }
          : {}),
      };
    })
    .filter((c) => c.thisWeek !== 0 || c.lastWeek !== 0)
    .sort((a, b) => b.thisWeek - a.thisWeek || b.lastWeek - a.lastWeek || (a.key < b.key ? -1 : 1));
}

function everyDay(period: Period): string[] {
  const days: string[] = [];
  for (let d = period.from; d < period.to; d = addDays(d, 1)) days.push(d);
  return days;
}

function dailySeries(costs: DailyCosts, window: Period) {
  return everyDay(window).map((date) => ({
    date,
    values: Object.fromEntries(
      [...(costs.get(date) ?? [])].map(([key, money]) => [key, cents(money.unblended)]),
    ),
  }));
}

function unitCosts(
  runs: readonly RunUsage[],
  monthToDate: Period,
  platformCost: number,
  athenaCost: number,
): UnitCosts {
  const succeeded = runs.filter(
    (r) => r.status === 'succeeded' && r.runDate >= monthToDate.from && r.runDate < monthToDate.to,
  );
  const dailyRuns = succeeded.filter((r) => r.job === 'daily').length;
  const steps = succeeded.flatMap((r) => r.datasets);
  const rowsWritten = steps.reduce((sum, s) => sum + s.rowsOut, 0);
  const scanned = steps.filter((s) => s.bytesScanned !== undefined);
  const bytesScanned =
    scanned.length > 0 ? scanned.reduce((sum, s) => sum + s.bytesScanned!, 0) : undefined;
  return {
    dailyRuns,
    rowsWritten,
    ...(bytesScanned !== undefined ? { bytesScanned } : {}),
    ...(dailyRuns > 0 ? { perDailyRun: cents(platformCost / dailyRuns) } : {}),
    ...(rowsWritten > 0 ? { perMillionRows: cents(platformCost / (rowsWritten / 1e6)) } : {}),
    ...(bytesScanned ? { perTerabyteScanned: cents(athenaCost / (bytesScanned / 1e12)) } : {}),
  };
}

/**
 * Each table's share of its layer's month-to-date cost (the `layer` tag's value), in proportion
 * to the rows succeeded runs wrote to it: storage and compute of a layer grow with what is
 * written to it. Empty without a `layer` tag.
 */
function tableCosts(
  byLayer: DailyCosts | undefined,
  runs: readonly RunUsage[],
  monthToDate: Period,
): TableCost[] {
  if (!byLayer) return [];
  const rows = new Map<string, { layer: string; rows: number }>();
  for (const run of runs) {
    if (
      run.status !== 'succeeded' ||
      run.runDate < monthToDate.from ||
      run.runDate >= monthToDate.to
    )
      continue;
    for (const s of run.datasets) {
      const before = rows.get(s.dataset) ?? { layer: s.layer, rows: 0 };
      rows.set(s.dataset, { layer: s.layer, rows: before.rows + s.rowsOut });
    }
  }
  const layerRows = new Map<string, number>();
  for (const { layer, rows: n } of rows.values())
    layerRows.set(layer, (layerRows.get(layer) ?? 0) + n);
  return [...rows]
    .filter(([, { rows: n }]) => n > 0)
    .map(([dataset, { layer, rows: n }]) => ({
      dataset,
      layer,
      rowsWritten: n,
      cost: cents((sumOver(byLayer, monthToDate, layer).unblended * n) / layerRows.get(layer)!),
    }))
    .sort((a, b) => b.cost - a.cost || (a.dataset < b.dataset ? -1 : 1));
}

export function buildCostReport(
  recording: CostRecording,
  advice: {
    readonly recommendations: readonly Recommendation[];
    readonly notes: readonly string[];
  } = { recommendations: [], notes: [] },
): CostReport {
  const periods = costPeriods(recording.asOf);
  const currencies = new Set<string>();
  const services = dailyCosts(recording.byService, 'cost by service', false, currencies);
  const tags = Object.fromEntries(
    Object.entries(recording.byTag).map(([tag, pages]) => [
      tag,
      dailyCosts(pages, `cost by tag ${tag}`, true, currencies),
    ]),
  );
  if (currencies.size > 1)
    throw new PipelineError(
      `Cost Explorer returned several currencies: ${[...currencies].join(', ')}`,
    );
  const monthToDate = sumOver(services, periods.monthToDate);
  const forecastAmount = recording.forecast?.Total?.Amount;
  const forecastRest =
    periods.rest && forecastAmount !== undefined ? cents(Number(forecastAmount)) : undefined;
  if (forecastRest !== undefined && !Number.isFinite(forecastRest))
    throw new PipelineError(`forecast: Total.Amount is not a number: ${forecastAmount}`);
  const athena = sumOver(services, periods.monthToDate, athenaService).unblended;
  return {
    env: recording.env,
    asOf: recording.asOf,
    currency: [...currencies][0] ?? 'USD',
    periods,
    monthToDate,
    monthForecast: cents(monthToDate.unblended + (forecastRest ?? 0)),
    ...(forecastRest !== undefined ? { forecastRest } : {}),
    thisWeek: sumOver(services, periods.thisWeek),
    lastWeek: sumOver(services, periods.lastWeek),
    byService: weekChanges(services, periods),
    byTag: Object.fromEntries(
      Object.entries(tags).map(([tag, costs]) => [tag, weekChanges(costs, periods)]),
    ),
    daily: dailySeries(services, periods.window).map(({ date, values }) => ({
      date,
      services: values,
    })),
    dailyByTag: Object.fromEntries(
      Object.entries(tags).map(([tag, costs]) => [tag, dailySeries(costs, periods.window)]),
    ),
    services: keysOf(services)
      .map((service) => ({
        service,
        monthToDate: sumOver(services, periods.monthToDate, service).unblended,
      }))
      .filter((s) => s.monthToDate !== 0)
      .sort((a, b) => b.monthToDate - a.monthToDate || (a.service < b.service ? -1 : 1)),
    untagged: Object.entries(tags).map(([tag, costs]) => {
      const cost = sumOver(costs, periods.monthToDate, untaggedLabel).unblended;
      const total = sumOver(costs, periods.monthToDate).unblended;
      return { tag, cost, share: total > 0 ? Math.round((cost / total) * 1000) / 10 : 0 };
    }),
    anomalies: recording.anomalies
      .flatMap((page) => page.Anomalies ?? [])
      .filter(
        (a) => (a.AnomalyEndDate ?? a.AnomalyStartDate ?? '').slice(0, 10) >= periods.window.from,
      )
      .map((a) => {
        const cause = a.RootCauses?.[0];
        return {
          id: a.AnomalyId ?? '',
          from: (a.AnomalyStartDate ?? '').slice(0, 10),
          ...(a.AnomalyEndDate ? { to: a.AnomalyEndDate.slice(0, 10) } : {}),
          service: cause?.Service ?? a.DimensionValue ?? 'unknown',
          ...(cause?.Region ? { region: cause.Region } : {}),
          ...(cause?.UsageType ? { usageType: cause.UsageType } : {}),
          impact: cents(a.Impact?.TotalImpact ?? 0),
          ...(a.Impact?.TotalImpactPercentage !== undefined
            ? { impactPercent: Math.round(a.Impact.TotalImpactPercentage * 10) / 10 }
            : {}),
        };
      })
      .sort((a, b) => b.impact - a.impact),
    unitCosts: unitCosts(recording.runs, periods.monthToDate, monthToDate.unblended, athena),
    tables: tableCosts(tags['layer'], recording.runs, periods.monthToDate),
    storage: recording.optimizer
      ? bucketStorage(recording.optimizer, { ...defaultCostPrices, ...recording.prices })
      : [],
    recommendations: [...advice.recommendations].sort((a, b) => b.monthlySaving - a.monthlySaving),
    recommendationNotes: advice.notes,
  };
}
