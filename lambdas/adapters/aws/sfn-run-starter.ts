import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { PipelineError, TransientError } from '../../core/errors';
import type { RunStarter } from '../../core/ports';

const transientErrors = new Set(['ThrottlingException', 'ServiceUnavailable', 'InternalFailure']);

/** Runs of one state machine, started with StartExecution under the run id `newRunId` gives. */
export class StepFunctionsRunStarter implements RunStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
    private readonly newRunId: () => string,
  ) {}

  async start(input: Readonly<Record<string, unknown>>): Promise<string> {
    const name = this.newRunId();
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return name;
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      const message = `StartExecution of ${this.stateMachineArn} failed: ${(error as Error).message}`;
      throw transientErrors.has(e.name ?? '') || (e.$metadata?.httpStatusCode ?? 0) >= 500
        ? new TransientError(message, { cause: error })
        : new PipelineError(message, { cause: error });
    }
  }
}
