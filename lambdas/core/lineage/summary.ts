/**
 * What a run did, read back from its lineage events: for the pipeline run and each of its task
 * runs, how it ended, what it read, what it wrote (with row counts) and what its quality checks
 * found. This is the auditor's trace from a gold number back to the runs and sources behind it.
 */
import type { Facet, RunEvent } from './openlineage';

export interface TaskRunSummary {
  readonly job: string;
  readonly runId: string;
  readonly status: 'running' | 'COMPLETE' | 'FAIL' | 'ABORT';
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly seconds?: number;
  readonly inputs: readonly string[];
  readonly outputs: readonly { readonly dataset: string; readonly rows?: number }[];
  readonly checks?: { readonly total: number; readonly failed: readonly string[] };
  readonly error?: string;
}

export interface RunSummary {
  /** The pipeline run, when its own events are among those read. */
  readonly pipeline?: TaskRunSummary;
  readonly tasks: readonly TaskRunSummary[];
}

/**
 * Groups events by run. Datasets are shown by their table (`gold.fact_orders`, from the Glue
 * symlink without the `<project>_<env>_` database prefix), or else by namespace and name.
 */
export function summarizeRun(
  events: readonly RunEvent[],
  pipelineRunId: string,
  databasePrefix: string,
): RunSummary {
  const label = (dataset: RunEvent['inputs'][number]) => {
    const identifiers = (
      dataset.facets?.symlinks as (Facet & { identifiers?: { name: string }[] }) | undefined
    )?.identifiers;
    const table = identifiers?.[0]?.name.match(/^table\/([^/]+)\/(.+)$/);
    if (table) return `${table[1]!.replace(databasePrefix, '')}.${table[2]}`;
    if (dataset.namespace === 'file') return dataset.name;
    // A REST dataset's name is the URL path: it joins its base URL as is.
    return `${dataset.namespace}${dataset.name.startsWith('/') ? '' : '/'}${dataset.name}`;
  };
  const byRun = new Map<string, RunEvent[]>();
  for (const event of events)
    byRun.set(event.run.runId, [...(byRun.get(event.run.runId) ?? []), event]);
  const summaries: TaskRunSummary[] = [];
  for (const [runId, runEvents] of byRun) {
    const sorted = [...runEvents].sort((a, b) => a.eventTime.localeCompare(b.eventTime));
    const start = sorted.find((e) => e.eventType === 'START') ?? sorted[0]!;
    const end = sorted.findLast((e) => e.eventType !== 'START');
    const last = end ?? start;
    const assertions = last.inputs.flatMap(
      (i) =>
        (
          i.inputFacets?.dataQualityAssertions as
            | (Facet & {
                assertions?: {
                  name?: string;
                  assertion: string;
                  success: boolean;
                  severity?: string;
                }[];
              })
            | undefined
        )?.assertions ?? [],
    );
    const error = (last.run.facets?.errorMessage as (Facet & { message?: string }) | undefined)
      ?.message;
    summaries.push({
      job: start.job.name,
      runId,
      status: end ? (end.eventType as TaskRunSummary['status']) : 'running',
      startedAt: start.eventTime,
      ...(end
        ? {
            endedAt: end.eventTime,
            seconds: (Date.parse(end.eventTime) - Date.parse(start.eventTime)) / 1000,
          }
        : {}),
      inputs: last.inputs.map(label),
      outputs: last.outputs.map((o) => {
        const rows = (
          o.outputFacets?.outputStatistics as (Facet & { rowCount?: number }) | undefined
        )?.rowCount;
        return { dataset: label(o), ...(rows === undefined ? {} : { rows }) };
      }),
      ...(assertions.length > 0
        ? {
            checks: {
              total: assertions.length,
              failed: assertions
                .filter((a) => !a.success)
                .map((a) => `${a.name ?? a.assertion}${a.severity ? ` (${a.severity})` : ''}`),
            },
          }
        : {}),
      ...(error ? { error } : {}),
    });
  }
  summaries.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const pipeline = summaries.find((s) => s.runId === pipelineRunId);
  return {
    ...(pipeline ? { pipeline } : {}),
    tasks: summaries.filter((s) => s !== pipeline),
  };
}
