/**
 * Records runs on AWS: the target of Step Functions' "Execution Status Change" events. A run's
 * start inserts it into `audit.runs`; its end (succeeded, failed, timed out, aborted) records the
 * outcome and the dataset steps its Task states returned, read from the execution's history so
 * that a failed run keeps the steps that completed before it failed. The local runner records
 * the same rows itself. A starting run also registers the contract versions it uses, and every
 * status is the pipeline run's OpenLineage event (START, COMPLETE, FAIL, ABORT), its tasks' runs
 * as children.
 */
import * as z from 'zod';
import { stateMachineName } from '../core/aws-names';
import type { Contract } from '../core/contracts/contract';
import type { ContractVersions } from '../core/contracts/versions';
import { PipelineError } from '../core/errors';
import { jobs, type Job } from '../core/orchestration';
import type { LineageEmitter } from '../core/lineage/events';
import type { EventType } from '../core/lineage/openlineage';
import type { Clock, ExecutionResults, Logger } from '../core/ports';
import { stepsOf, type RunHistory, type RunStatus } from '../core/runs';
import { elapsedSeconds } from '../core/stats';
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

const lineageEvents: Record<string, EventType> = {
  RUNNING: 'START',
  SUCCEEDED: 'COMPLETE',
  FAILED: 'FAIL',
  TIMED_OUT: 'FAIL',
  ABORTED: 'ABORT',
};

const endings: Record<string, RunStatus> = {
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'failed',
  ABORTED: 'interrupted',
};

export interface RecordRunDeps {
  readonly project: string;
  readonly env: string;
  readonly history: RunHistory;
  /** The contracts bundled with the function: the versions a starting run uses. */
  readonly contracts: readonly Contract[];
  readonly versions: ContractVersions;
  readonly executions: ExecutionResults;
  readonly logger: Logger;
  readonly clock: Pick<Clock, 'now'>;
  readonly lineage: LineageEmitter;
}

export function createRecordRunHandler(deps: RecordRunDeps) {
  const jobByMachine = new Map<string, Job>(
    jobs.map((job) => [stateMachineName(deps.project, deps.env, job), job]),
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
      env: deps.env,
      runDate: resolveRunDate(requestedDate(detail.input), startedAt, deps.clock.now()),
      startedAt,
    };
    const pipeline = { runId: run.runId, runDate: run.runDate, startedAt, pipeline: machine };
    if (detail.status === 'RUNNING') {
      await deps.history.started({ ...run, status: 'running' });
      await deps.lineage.pipeline(pipeline, 'START', startedAt);
      const { drifted } = await deps.versions.register(deps.contracts, run.runId, startedAt);
      if (drifted.length > 0) {
        deps.logger.warn(
          `contract(s) ${drifted.join(', ')} changed without a new version: run \`medallion contract check\``,
        );
      }
      return { runId: run.runId, status: 'running' };
    }
    const status = endings[detail.status]!;
    const endedAt = new Date(detail.stopDate ?? deps.clock.now().getTime());
    const error =
      detail.status === 'SUCCEEDED'
        ? undefined
        : [detail.error ?? `States.${detail.status}`, causeMessage(detail.cause)]
            .filter(Boolean)
            .join(': ');
    const steps = stepsOf(await deps.executions.taskResults(detail.executionArn));
    await deps.history.finished(
      {
        ...run,
        status,
        endedAt: endedAt.toISOString(),
        seconds: elapsedSeconds(new Date(detail.startDate), endedAt),
        error,
      },
      steps,
    );
    await deps.lineage.pipeline(
      pipeline,
      lineageEvents[detail.status]!,
      endedAt.toISOString(),
      error,
    );
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
