/**
 * What every Task state passes to its handler (see `stepfunctions/*.asl.json`): the execution's
 * name as run id, its start time, and the execution input (`{ "date": "YYYY-MM-DD" }`, optional).
 */
import * as z from 'zod';
import type { PlatformConfig, SourceConfig } from '../../config/schema';
import { PipelineError } from '../core/errors';

export const taskInputSchema = z.object({
  runId: z.string().min(1),
  startedAt: z.string().optional(),
  request: z.looseObject({ date: z.iso.date().optional() }).default({}),
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
