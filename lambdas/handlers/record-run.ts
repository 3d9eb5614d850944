/**
 * Records runs on AWS: the target of Step Functions' "Execution Status Change" events. A run's
 * start inserts it into `audit.runs`; its end (succeeded, failed, timed out, aborted) records the
 * outcome and the dataset steps its Task states returned, read from the execution's history so
 * that a failed run keeps the steps that completed before it failed. The {@link RunRecorder}
 * writing them is the one the local runner uses around its executions.
 */
import * as z from 'zod';
import { stateMachineName } from '../core/aws-names';
import { PipelineError } from '../core/errors';
import type { Job } from '../core/orchestration';
import type { RunEnding, RunRecorder } from '../core/run-recorder';
import type { RunLock } from '../core/run-lock';
import { stepsOf, type RunStatus } from '../core/runs';
import type { Clock, ExecutionResults, Logger } from '../core/ports';
import { resolveRunDate } from '../core/time';
import { parseTaskInput } from './task-input';

const eventSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().startsWith('arn:'),
    stateMachineArn: z.string().startsWith('arn:'),
    name: z.string().min(1),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
    startDate: z.number(),
    stopDate: z.number().nullish(),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

const endings: Record<string, RunEnding['status']> = {
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'failed',
  ABORTED: 'interrupted',
};

export interface RecordRunDeps {
  readonly project: string;
  readonly env: string;
  /** The config's jobs (`jobsOf`): the state machines whose runs are recorded. */
  readonly jobs: readonly Job[];
  readonly recorder: RunRecorder;
  /**
   * The lake's run lock: a run that timed out or was aborted never reached its release state, so
   * its lease is given back here rather than blocking the next run until it expires.
   */
  readonly lock: Pick<RunLock, 'release'>;
  readonly executions: ExecutionResults;
  readonly logger: Logger;
  readonly clock: Pick<Clock, 'now'>;
}

export function createRecordRunHandler(deps: RecordRunDeps) {
  const jobByMachine = new Map<string, Job>(
    deps.jobs.map((job) => [stateMachineName(deps.project, deps.env, job), job]),
  );
  return async (event: unknown): Promise<{ runId: string; status: RunStatus }> => {
    const { detail } = parseTaskInput(eventSchema, event, 'record-run');
    const machine = detail.stateMachineArn.split(':').at(-1)!;
    const job = jobByMachine.get(machine);
    if (!job) {
      throw new PipelineError(
        `record-run: ${machine} is not a state machine of ${deps.project} ${deps.env} (expected one of ${[...jobByMachine.keys()].join(', ')})`,
      );
    }
    const startedAt = new Date(detail.startDate).toISOString();
    const run = {
      runId: detail.name,
      job,
      runDate: resolveRunDate(requestedDate(detail.input), startedAt, deps.clock.now()),
      startedAt,
    };
    if (detail.status === 'RUNNING') {
      await deps.recorder.started(run);
      return { runId: run.runId, status: 'running' };
    }
    const status = endings[detail.status]!;
    const endedAt = new Date(detail.stopDate ?? deps.clock.now().getTime()).toISOString();
    const error =
      detail.status === 'SUCCEEDED'
        ? undefined
        : [detail.error ?? `States.${detail.status}`, causeMessage(detail.cause)]
            .filter(Boolean)
            .join(': ');
    const steps = stepsOf(await deps.executions.taskResults(detail.executionArn));
    await deps.recorder.finished(run, { status, endedAt, ...(error ? { error } : {}) }, steps);
    // Only its owner's release deletes a lease: once the run has given it back, this does nothing.
    if (detail.status === 'TIMED_OUT' || detail.status === 'ABORTED')
      await deps.lock.release(run.runId);
    deps.logger.info(`recorded ${job} run ${run.runId}: ${status}`, {
      runDate: run.runDate,
      steps: steps.length,
    });
    return { runId: run.runId, status };
  };
}

/** The `date` an execution was started with, if any (schedules start them with `{}`). */
function requestedDate(input: string | null | undefined): string | undefined {
  const parsed = z.object({ date: z.iso.date().optional() }).safeParse(parseJson(input));
  return parsed.success ? parsed.data.date : undefined;
}

/** A Lambda failure's cause is `{"errorType", "errorMessage", "trace"}`: its message is what people read. */
function causeMessage(cause: string | null | undefined): string | undefined {
  const parsed = z.object({ errorMessage: z.string() }).safeParse(parseJson(cause));
  return parsed.success ? parsed.data.errorMessage : (cause ?? undefined);
}

function parseJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
