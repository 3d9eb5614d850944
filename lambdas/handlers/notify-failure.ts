/** Task handler on every state machine's failure path: tells people, then the run fails. */
import * as z from 'zod';
import type { Notifier } from '../core/ports';
import { parseTaskInput } from './task-input';

const inputSchema = z.object({
  runId: z.string(),
  job: z.string(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
});

export function createNotifyFailureHandler(deps: { readonly notifier: Notifier }) {
  return async (event: unknown): Promise<{ notified: true }> => {
    const input = parseTaskInput(inputSchema, event, 'notify-failure');
    await deps.notifier.notify({
      runId: input.runId,
      job: input.job,
      error: input.error.Error,
      cause: input.error.Cause ?? '',
    });
    return { notified: true };
  };
}
