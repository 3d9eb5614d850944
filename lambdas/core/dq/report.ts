/**
 * The data-quality report of a run, from the evidence in the audit store: each dataset's score,
 * its trend over recent runs, its failing checks with samples, and its column profiles. The JSON
 * form is stable for tools; `medallion dq report --format html` renders the same data.
 */
import type { Classification } from '../contracts/schema';
import type { Row } from '../ports';
import { valuesShown } from './profile';
import type { DatasetQuality, QualityStore } from './store';

export interface ReportCheck {
  readonly check: string;
  readonly kind: string;
  readonly column: string | null;
  readonly severity: string;
  readonly dimension: string;
  readonly status: string;
  readonly observed: number | null;
  readonly expected: string;
  readonly failingRows: number | null;
  readonly totalRows: number | null;
  readonly message: string;
  readonly sample: readonly Row[];
}

export interface ReportDataset extends DatasetQuality {
  /** Scores of recent runs, oldest first, ending with this run. */
  readonly trend: readonly {
    readonly runId: string;
    readonly runDate: string;
    readonly score: number;
  }[];
  /** Checks that did not pass (failed, could not run, or skipped), errors first. */
  readonly notPassed: readonly ReportCheck[];
  readonly profile: readonly Row[];
  /**
   * The gate computed only what its checks read (a metric it did not is null): `medallion dq
   * profile <dataset>` profiles every column. False for runs whose gates profiled in full.
   */
  readonly partialProfile: boolean;
}

export interface QualityReport {
  readonly runId: string;
  readonly runDate: string;
  readonly datasets: readonly ReportDataset[];
}

const severityOrder: Record<string, number> = { error: 0, warning: 1, info: 2 };

/**
 * The report of `runId`, or of the latest run that has quality evidence; undefined when none has.
 * Profiles are masked again by each column's classification now, as evidence saved before
 * profiles were masked, or before a column was classified pii, holds its values in clear.
 */
export async function buildQualityReport(
  store: QualityStore,
  classification: (dataset: string, column: string) => Classification,
  options: { runId?: string; trendRuns?: number } = {},
): Promise<QualityReport | undefined> {
  const recent = await store.scores(options.trendRuns ?? 20, options.runId);
  const runId = options.runId ?? (recent[0]?.run_id as string | undefined);
  if (!runId) return undefined;
  const own = recent.filter((r) => r.run_id === runId);
  if (own.length === 0) return undefined;
  const results = await store.results(runId);
  const profiles = await store.profiles(runId);
  return {
    runId,
    runDate: String(own[0]!.run_date),
    datasets: own
      .map((s) => {
        const dataset = String(s.dataset);
        return {
          dataset,
          layer: String(s.layer),
          score: Number(s.score),
          rows: Number(s.row_count),
          checks: Number(s.checks),
          failedErrors: Number(s.failed_errors),
          failedWarnings: Number(s.failed_warnings),
          trend: recent
            .filter((r) => r.dataset === dataset)
            .map((r) => ({
              runId: String(r.run_id),
              runDate: String(r.run_date),
              score: Number(r.score),
            }))
            .reverse(),
          notPassed: results
            .filter((r) => r.dataset === dataset && r.status !== 'pass')
            .map((r): ReportCheck => ({
              check: String(r.check_name),
              kind: String(r.kind),
              column: r.column_name === null ? null : String(r.column_name),
              severity: String(r.severity),
              dimension: String(r.dimension),
              status: String(r.status),
              observed: r.observed === null ? null : Number(r.observed),
              expected: String(r.expected),
              failingRows: r.failing_rows === null ? null : Number(r.failing_rows),
              totalRows: r.total_rows === null ? null : Number(r.total_rows),
              message: String(r.message),
              sample: JSON.parse(String(r.sample ?? '[]')) as Row[],
            }))
            .sort(
              (a, b) =>
                (severityOrder[a.severity] ?? 3) - (severityOrder[b.severity] ?? 3) ||
                a.check.localeCompare(b.check),
            ),
          // A full profile stores a row per column: none, or rows marked partial, are a gate's.
          partialProfile: !profiles.some((p) => p.dataset === dataset && !truthy(p.partial)),
          profile: profiles
            .filter((p) => p.dataset === dataset)
            .map(({ dataset: _dataset, partial: _partial, ...rest }) => {
              const shown = valuesShown(classification(dataset, String(rest.column_name)));
              return {
                ...rest,
                ...(shown.extremes ? {} : { min_value: null, max_value: null }),
                ...(shown.quartiles ? {} : { p25: null, median: null, p75: null }),
                top_values:
                  rest.top_values === null || rest.top_values === undefined
                    ? null
                    : shown.topValues
                      ? (JSON.parse(String(rest.top_values)) as unknown)
                      : [],
              };
            }),
        };
      })
      .sort((a, b) =>
        a.layer === b.layer ? a.dataset.localeCompare(b.dataset) : a.layer === 'silver' ? -1 : 1,
      ),
  };
}

/** A boolean as either engine returns it (Athena: text). */
function truthy(value: unknown): boolean {
  return value === true || value === 'true';
}

/**
 * The checks that did not pass, one row each with the first sample rows, for a terminal table:
 * the scores alone say that something failed, not what, nor on which rows.
 */
export function notPassedRows(report: QualityReport, samples = 3): Record<string, unknown>[] {
  return report.datasets.flatMap((d) =>
    d.notPassed.map((c) => ({
      dataset: d.dataset,
      check: c.check,
      severity: c.severity,
      status: c.status,
      'failing rows': c.failingRows,
      message: c.message,
      sample: c.sample
        .slice(0, samples)
        .map((row) => JSON.stringify(row))
        .join('; '),
    })),
  );
}
