/**
 * Runs a job locally: builds its ASL from `stepfunctions/` and the config's sources, substitutes its placeholders as CDK
 * does, and executes it with aws-local-stepfunctions, each Task state calling in-process the
 * handler its Lambda function runs on AWS. Orchestration (order, parallelism, retries, catches)
 * is the state machine's alone.
 */
import {
  ExecutionError,
  StateMachine,
  type RunOptions as MachineRunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { stateMachineName } from '../core/aws-names';
import { describeError, PipelineError } from '../core/errors';
import {
  catchTargets,
  placeholders,
  substitutePlaceholders,
  taskStates,
  type Job,
} from '../core/orchestration';
import { isQualityGateResult } from '../core/dq/layer';
import { isSelective, selectModels } from '../core/models/selection';
import type { DatasetQuality } from '../core/dq/store';
import { stepsOf, type StepStats } from '../core/runs';
import { taskOfPlaceholder, type StateMachineTask, type TaskName } from '../core/tasks';
import { isTaskResult } from '../core/stats';
import type { StatementCounts } from '../core/counting-engine';
import {
  applyTaskEvent,
  finishProgress,
  startProgress,
  type RunProgress,
  type TaskProgressEvent,
} from '../core/run-progress';
import { ProgressWriter } from './progress-file';
import { stateMachineDefinition } from '../definitions/state-machine-files';
import { localAccount, localRegion, type LocalPlatform } from './local-platform';

/** The ARN a task's placeholder stands for locally: a well-formed ARN, answered in-process. */
export function localFunctionArn(task: TaskName): string {
  return `arn:aws:lambda:${localRegion}:${localAccount}:function:medallion-local-${task}`;
}

export interface RunOptions {
  readonly runDate: string;
  /** The execution input's `backfill` and `fullRefresh` (see `core/run-dates.ts`). */
  readonly backfill?: boolean;
  readonly fullRefresh?: boolean;
  /** The execution input's `fullChecks`: quality gates read every table whole. */
  readonly fullChecks?: boolean;
  /** The execution input's `select` and `exclude`: model selectors (see `core/models/selection.ts`). */
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly runId?: string;
  /** Called as Task states start and end, for progress output. */
  readonly onTask?: (event: {
    state: string;
    phase: 'start' | 'end' | 'error';
    seconds?: number;
    error?: string;
  }) => void;
  /** Overrides every Retry interval (ms): tests use 0 to exercise retries without waiting. */
  readonly retryIntervalMs?: number;
  /**
   * Stops the run (Ctrl-C): no task starts after it, the one running finishes its transaction,
   * and the run is recorded as interrupted, its lineage aborted.
   */
  readonly signal?: AbortSignal;
}

export interface RunOutcome {
  readonly runId: string;
  readonly job: Job;
  readonly runDate: string;
  readonly status: 'succeeded' | 'failed' | 'interrupted';
  readonly seconds: number;
  readonly steps: readonly StepStats[];
  /** Task states by name with their attempts, including retried failures. */
  readonly attempts: Readonly<Record<string, number>>;
  /** Quality scores of the datasets the run's quality gates checked. */
  readonly quality: readonly DatasetQuality[];
  /** States entered plus retries: what Step Functions bills as state transitions. */
  readonly transitions: number;
  /** What the run's tasks sent to the SQL engine (the runner's own run history aside). */
  readonly sql: StatementCounts;
  readonly error?: string;
}

/**
 * Definitions this process has validated. The interpreter's validator compiles its JSON Schemas
 * on every call (a quarter of a second of the one JS thread), so a range of dates, or a pipeline's
 * days, validates a definition once rather than once per run.
 */
const validated = new Set<string>();

export async function runJob(
  platform: LocalPlatform,
  job: Job,
  options: RunOptions,
): Promise<RunOutcome> {
  const source = stateMachineDefinition(platform.project.root, platform.project.config, job);
  const arns: Record<string, string> = {};
  for (const placeholder of placeholders(source)) {
    const task = taskOfPlaceholder(placeholder);
    if (task) arns[placeholder] = localFunctionArn(task);
  }
  const definitionText = substitutePlaceholders(source, arns);
  const definition = JSON.parse(definitionText) as StateMachineDefinition;
  const byArn = new Map(
    (Object.keys(platform.handlers) as StateMachineTask[]).map((task) => [
      localFunctionArn(task),
      { task, handler: platform.handlers[task] },
    ]),
  );

  // A selector the project cannot satisfy fails here, before anything runs or is recorded.
  if (isSelective(options)) selectModels(platform.project.models, options);
  const runId = options.runId ?? platform.newRunId();
  const steps: StepStats[] = [];
  const quality: DatasetQuality[] = [];
  const attempts: Record<string, number> = {};
  const overrides: NonNullable<
    NonNullable<MachineRunOptions['overrides']>['taskResourceLocalHandlers']
  > = {};
  const retryIntervalOverrides: Record<string, number> = {};
  // A failed Map iteration or Parallel branch fails its state while the other iterations' and
  // branches' handlers still run, as invocations of a Lambda function do. The failure path
  // (notify, give the lock back) and the run's record wait for them, so nothing writes once the
  // lock is back; calls queued but not yet started find the run stopping and do not start.
  const running = new Set<Promise<unknown>>();
  const failurePath = catchTargets(definition);
  // What `medallion status --watch` shows; set once the run is recorded as started.
  const progressFile = new ProgressWriter(platform.lakeRoot, platform.logger);
  let progress: RunProgress | undefined;
  const report = (event: TaskProgressEvent) => {
    if (!progress) return;
    progress = applyTaskEvent(progress, event);
    progressFile.update(progress);
  };
  const stopping = new AbortController();
  const stop = (why: string) => {
    if (!stopping.signal.aborted) stopping.abort(why);
  };
  for (const task of taskStates(definition)) {
    const called = byArn.get(task.resource);
    if (!called)
      throw new PipelineError(
        `${job}: state ${task.name} calls ${task.resource}, which no local handler answers`,
      );
    overrides[task.name] = async (input) => {
      if (failurePath.has(task.name)) {
        stop('the run is failing');
        await Promise.allSettled(running);
      } else if (stopping.signal.aborted)
        throw new PipelineError(
          `${job}: ${task.name} not started: ${String(stopping.signal.reason)}`,
        );
      attempts[task.name] = (attempts[task.name] ?? 0) + 1;
      const started = Date.now();
      options.onTask?.({ state: task.name, phase: 'start' });
      report({ state: task.name, phase: 'start' });
      try {
        const call = called.handler(input, stopping.signal);
        running.add(call);
        const result = (await call.finally(() => running.delete(call))) as Awaited<
          ReturnType<(typeof overrides)[string]>
        >;
        const landed = isTaskResult(result) ? stepsOf([result]) : [];
        steps.push(...landed.map((step) => ({ ...step, task: called.task })));
        if (isQualityGateResult(result)) quality.push(...result.scores);
        const seconds = (Date.now() - started) / 1000;
        options.onTask?.({ state: task.name, phase: 'end', seconds });
        report({
          state: task.name,
          phase: 'end',
          seconds,
          datasets: landed,
          ...(isQualityGateResult(result)
            ? { gate: { step: result.step, outcome: result.gate, scores: result.scores } }
            : {}),
        });
        return result;
      } catch (error) {
        const failed = {
          state: task.name,
          phase: 'error',
          seconds: (Date.now() - started) / 1000,
          error: describeError(error),
        } as const;
        options.onTask?.(failed);
        report(failed);
        throw error;
      }
    };
    if (options.retryIntervalMs !== undefined)
      retryIntervalOverrides[task.name] = options.retryIntervalMs;
  }

  const recorder = platform.recorder;
  const startedAt = platform.clock.now();
  const run = { runId, job, runDate: options.runDate, startedAt: startedAt.toISOString() };
  await recorder.interruptAbandoned();
  await recorder.started(run);
  progress = startProgress(
    { ...run, pid: process.pid },
    taskStates(definition).map((t) => t.name),
  );
  progressFile.update(progress);
  const { project, env } = platform.project.config;
  const machineName = stateMachineName(project, env, job);
  const sentBefore = platform.engine.counts;
  const machine = new StateMachine(definition, {
    validationOptions: validated.has(definitionText)
      ? { noValidate: true }
      : { checkPaths: true, checkArn: true },
  });
  validated.add(definitionText);
  const input = {
    date: options.runDate,
    ...(options.backfill ? { backfill: true } : {}),
    ...(options.fullRefresh ? { fullRefresh: true } : {}),
    ...(options.fullChecks ? { fullChecks: true } : {}),
    ...(options.select?.length ? { select: [...options.select] } : {}),
    ...(options.exclude?.length ? { exclude: [...options.exclude] } : {}),
  };
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers: overrides, retryIntervalOverrides },
    context: {
      Execution: {
        Id: `arn:aws:states:${localRegion}:${localAccount}:execution:${machineName}:${runId}`,
        Name: runId,
        Input: input,
        StartTime: run.startedAt,
      },
      StateMachine: {
        Id: `arn:aws:states:${localRegion}:${localAccount}:stateMachine:${machineName}`,
        Name: machineName,
      },
    },
  });
  const transitions = countTransitions(execution.eventLogs);
  const interrupt = () => {
    stop('the run was stopped');
    execution.abort();
  };
  if (options.signal?.aborted) interrupt();
  else options.signal?.addEventListener('abort', interrupt, { once: true });
  let error: string | undefined;
  try {
    await execution.result;
  } catch (caught) {
    error = options.signal?.aborted
      ? 'interrupted: the run was stopped (Ctrl-C) before it ended'
      : caught instanceof ExecutionError && caught.cause instanceof Error
        ? `${caught.cause.name}: ${caught.cause.message}`
        : describeError(caught);
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
  }
  stop('the run is over');
  await Promise.allSettled(running);
  await platform.lakehouse.refreshSources();
  const sent = platform.engine.counts;
  const endedAt = platform.clock.now();
  const seconds = (endedAt.getTime() - startedAt.getTime()) / 1000;
  const status =
    error === undefined ? 'succeeded' : options.signal?.aborted ? 'interrupted' : 'failed';
  const transitionCount = await transitions;
  await recorder.finished(
    run,
    {
      status,
      endedAt: endedAt.toISOString(),
      transitions: transitionCount,
      ...(error === undefined ? {} : { error }),
    },
    steps,
  );
  progressFile.update(
    finishProgress(progress, { status, seconds, ...(error === undefined ? {} : { error }) }),
  );
  await progressFile.flush();
  // A stopped run never reached its release state: give its lease back, as run recording does
  // on AWS for an aborted execution.
  if (status === 'interrupted') await platform.runLock.release(runId);
  return {
    runId,
    job,
    runDate: options.runDate,
    status,
    seconds,
    steps,
    attempts,
    quality,
    transitions: transitionCount,
    sql: {
      statements: sent.statements - sentBefore.statements,
      lookups: sent.lookups - sentBefore.lookups,
    },
    ...(error === undefined ? {} : { error }),
  };
}

/** What the interpreter reports as a run goes: state entries, retries, branch starts... */
type ExecutionEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncIterable<infer E> ? E : never;

async function countTransitions(events: AsyncIterable<ExecutionEvent>): Promise<number> {
  let transitions = 0;
  for await (const event of events) {
    if (event.type === 'StateEntered' || event.type === 'StateRetried') transitions += 1;
  }
  return transitions;
}
