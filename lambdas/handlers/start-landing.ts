/**
 * The landing queue's consumer: one batch of "Object Created" events (every file dropped within
 * the batching window) starts one landing_to_bronze run, which ingests every file pending in
 * the landing zone, not just those of the batch. A burst of files is one run, not one run per file.
 */
import * as z from 'zod';
import type { Logger, RunStarter } from '../core/ports';
import { parseTaskInput } from './task-input';

/** An SQS event whose messages are EventBridge's S3 "Object Created" events. */
const eventSchema = z.object({
  Records: z
    .array(
      z.object({
        body: z
          .string()
          .transform((text) => JSON.parse(text) as unknown)
          .pipe(z.object({ detail: z.object({ object: z.object({ key: z.string() }) }) })),
      }),
    )
    .min(1),
});

export function createStartLandingHandler(deps: {
  readonly starter: RunStarter;
  readonly logger: Logger;
}) {
  return async (event: unknown): Promise<{ runId: string; files: readonly string[] }> => {
    const { Records: records } = parseTaskInput(eventSchema, event, 'start-landing');
    const files = records.map((r) => r.body.detail.object.key);
    const runId = await deps.starter.start({});
    deps.logger.info(`${files.length} landing file(s) started landing_to_bronze run ${runId}`, {
      files,
    });
    return { runId, files };
  };
}
