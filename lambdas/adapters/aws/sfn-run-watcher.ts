import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { executionArnOf } from '../../core/aws-names';
import { PipelineError } from '../../core/errors';
import type { RunStatus, RunWatcher } from '../../core/smoke';

/** Runs of one state machine, read with DescribeExecution by their execution name. */
export class StepFunctionsRunWatcher implements RunWatcher {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async status(runId: string): Promise<RunStatus> {
    const executionArn = executionArnOf(this.stateMachineArn, runId);
    try {
      const execution = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        state: execution.status ?? 'RUNNING',
        ...(execution.error ? { error: execution.error } : {}),
        ...(execution.cause ? { cause: execution.cause } : {}),
      };
    } catch (error) {
      throw new PipelineError(
        `DescribeExecution of ${executionArn} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}
