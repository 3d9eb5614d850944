/**
 * What every Task state passes to its handler (see `stepfunctions/*.asl.json`): the execution's
 * name as run id, its start time, the state machine's name, and the execution input
 * (`{ "date": "YYYY-MM-DD", "backfill": true, "fullRefresh": true, "fullChecks": true,
 * "select": ["+gold.x"], "exclude": ["tag:slow"] }`, each optional: see `core/run-dates.ts` and `core/models/selection.ts`).
 */
import * as z from 'zod';
import type { PlatformConfig, SourceConfig } from '../../config/schema';
import type { LineageEmitter, PipelineContext } from '../core/lineage/events';
import { PipelineError } from '../core/errors';
import type { Logger } from '../core/ports';
import type { DatasetStats } from '../core/stats';

export const taskInputSchema = z.object({
  runId: z.string().min(1),
  startedAt: z.string().optional(),
  /** The state machine's name: the pipeline job the task's lineage names as its parent. */
  pipeline: z.string().min(1).optional(),
  request: z
    .looseObject({
      date: z.iso.date().optional(),
      backfill: z.boolean().optional(),
      fullRefresh: z.boolean().optional(),
      /** Quality gates read every table whole, not only the rows the run wrote (see `core/dq/scope.ts`). */
      fullChecks: z.boolean().optional(),
      /** Model selectors (`medallion run --select`): only these models are built. */
      select: z.array(z.string().min(1)).optional(),
      exclude: z.array(z.string().min(1)).optional(),
    })
    .default({}),
});

/** Parses a task's input; a malformed one fails the task without retries, naming the problem. */
export function parseTaskInput<S extends z.ZodType>(
  schema: S,
  event: unknown,
  handler: string,
): z.output<S> {
  const result = schema.safeParse(event);
  if (!result.success) {
    throw new PipelineError(
      `${handler}: invalid input: ${z.prettifyError(result.error).replaceAll('\n', '; ')}`,
    );
  }
  return result.data;
}

/** The configured source of the expected kind, or an error naming what exists. */
export function sourceOf<K extends SourceConfig['kind']>(
  config: PlatformConfig,
  name: string,
  kind: K,
): Extract<SourceConfig, { kind: K }> {
  const source = config.sources[name];
  if (!source || source.kind !== kind) {
    const candidates = Object.entries(config.sources)
      .filter(([, s]) => s.kind === kind)
      .map(([n]) => n);
    throw new PipelineError(
      `No ${kind} source named ${name} in config (${kind} sources: ${candidates.join(', ') || 'none'})`,
    );
  }
  return source as Extract<SourceConfig, { kind: K }>;
}

/** The pipeline run a task belongs to, for its lineage. */
export function pipelineContext(
  input: z.output<typeof taskInputSchema>,
  runDate: string,
): PipelineContext {
  return {
    runId: input.runId,
    runDate,
    ...(input.pipeline ? { pipeline: input.pipeline } : {}),
    ...(input.startedAt ? { startedAt: input.startedAt } : {}),
  };
}

/**
 * Ingests a source's datasets one after the other, in config order, each a task run of its own
 * in the lineage (`ingest.<source>.<dataset>`: the source system's table in, the bronze table out).
 */
export async function ingestEach<S>(
  datasets: Readonly<Record<string, S>>,
  run: {
    readonly source: string;
    readonly context: PipelineContext;
    readonly lineage: LineageEmitter;
    readonly logger: Logger;
  },
  ingest: (dataset: string, settings: S) => Promise<DatasetStats>,
): Promise<DatasetStats[]> {
  const results: DatasetStats[] = [];
  for (const [dataset, settings] of Object.entries(datasets)) {
    const stats = await run.lineage.ingest(run.context, { source: run.source, dataset }, () =>
      ingest(dataset, settings),
    );
    run.logger.info(`ingested ${stats.dataset}`, { ...stats });
    results.push(stats);
  }
  return results;
}
