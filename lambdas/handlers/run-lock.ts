/**
 * Task handler: the first state of every state machine takes the lake's run lock for its
 * execution, and every ending gives it back (see `core/run-lock.ts`). A held lock fails the task
 * with `RunLockHeldError`, which the state machine retries for a while before failing the run.
 */
import * as z from 'zod';
import type { Logger, RunLease } from '../core/ports';
import type { RunLock } from '../core/run-lock';
import { parseTaskInput, taskInputSchema } from './task-input';

const inputSchema = z.discriminatedUnion('action', [
  taskInputSchema.extend({
    action: z.literal('acquire'),
    pipeline: z.string().min(1),
    /** Longer than the state machine's TimeoutSeconds: a live run never outlasts its lease. */
    leaseSeconds: z.number().int().positive(),
  }),
  taskInputSchema.extend({ action: z.literal('release') }),
]);

export type RunLockResult =
  | { readonly lock: 'acquired'; readonly lease: RunLease }
  | { readonly lock: 'released' }
  | { readonly lock: 'not-held'; readonly holder?: RunLease };

export function createRunLockHandler(deps: { readonly lock: RunLock; readonly logger: Logger }) {
  return async (event: unknown): Promise<RunLockResult> => {
    const input = parseTaskInput(inputSchema, event, 'run-lock');
    if (input.action === 'acquire') {
      const lease = await deps.lock.acquire({
        owner: input.runId,
        job: input.pipeline,
        leaseSeconds: input.leaseSeconds,
      });
      return { lock: 'acquired', lease };
    }
    const outcome = await deps.lock.release(input.runId);
    if (outcome.released) return { lock: 'released' };
    if (outcome.holder)
      deps.logger.warn(`run ${input.runId} does not hold the run lock: left to its holder`, {
        holder: outcome.holder,
      });
    return { lock: 'not-held', ...(outcome.holder ? { holder: outcome.holder } : {}) };
  };
}
