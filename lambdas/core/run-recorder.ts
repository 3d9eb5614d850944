/**
 * Recording a pipeline run, the same way in both runtimes: the local runner calls it around each
 * execution, and on AWS the record-run function calls it from Step Functions' status events. A
 * start registers the run in `audit.runs`, the contract versions it uses, and the pipeline run's
 * OpenLineage START; an end records the outcome with its dataset steps and closes the lineage
 * with COMPLETE, FAIL or ABORT.
 */
import { stateMachineName } from './aws-names';
import type { Contract } from './contracts/contract';
import type { ContractVersions } from './contracts/versions';
import type { LineageEmitter, PipelineContext } from './lineage/events';
import type { EventType } from './lineage/openlineage';
import type { Clock, Logger } from './ports';
import type { RunHistory, RunStatus, StepStats } from './runs';
import { elapsedSeconds } from './stats';

export interface RunRecorderDeps {
  readonly project: string;
  readonly env: string;
  readonly history: RunHistory;
  /** The contracts the run uses: locally the repository's, on AWS those bundled with the function. */
  readonly contracts: readonly Contract[];
  readonly versions: ContractVersions;
  readonly lineage: LineageEmitter;
  readonly logger: Logger;
  readonly clock: Pick<Clock, 'now'>;
}

export interface StartedRun {
  readonly runId: string;
  readonly job: string;
  readonly runDate: string;
  readonly startedAt: string;
}

export interface RunEnding {
  readonly status: Exclude<RunStatus, 'running'>;
  readonly endedAt: string;
  readonly error?: string;
  /** State transitions the run took, where the runtime counts them (locally). */
  readonly transitions?: number;
}

const lineageEvents: Record<RunEnding['status'], EventType> = {
  succeeded: 'COMPLETE',
  failed: 'FAIL',
  interrupted: 'ABORT',
};

export class RunRecorder {
  constructor(private readonly deps: RunRecorderDeps) {}

  /** Records a run as started. Idempotent: a start recorded twice is recorded once. */
  async started(run: StartedRun): Promise<void> {
    const { history, versions, contracts, lineage, logger } = this.deps;
    await history.started({ ...run, env: this.deps.env, status: 'running' });
    await lineage.pipeline(this.pipeline(run), 'START', run.startedAt);
    const { drifted } = await versions.register(contracts, run.runId, run.startedAt);
    if (drifted.length > 0) {
      logger.warn(
        `contract(s) ${drifted.join(', ')} changed without a new version: run \`medallion contract check\``,
      );
    }
  }

  /** Records how a run ended and its dataset steps, replacing whatever was recorded for it before. */
  async finished(run: StartedRun, ending: RunEnding, steps: readonly StepStats[]): Promise<void> {
    const seconds = elapsedSeconds(new Date(run.startedAt), new Date(ending.endedAt));
    await this.deps.history.finished({ ...run, env: this.deps.env, ...ending, seconds }, steps);
    await this.deps.lineage.pipeline(
      this.pipeline(run),
      lineageEvents[ending.status],
      ending.endedAt,
      ending.error,
    );
  }

  /**
   * Local runs only: runs still marked running belong to processes that died (the lake lock
   * guarantees no other run is alive). They are marked interrupted and their lineage aborted.
   */
  async interruptAbandoned(): Promise<void> {
    for (const abandoned of await this.deps.history.interruptAbandoned()) {
      await this.deps.lineage.pipeline(
        this.pipeline(abandoned),
        'ABORT',
        this.deps.clock.now().toISOString(),
        'the process running it stopped before the run ended',
      );
    }
  }

  private pipeline(run: StartedRun): PipelineContext & { readonly pipeline: string } {
    return {
      runId: run.runId,
      runDate: run.runDate,
      startedAt: run.startedAt,
      pipeline: stateMachineName(this.deps.project, this.deps.env, run.job),
    };
  }
}
