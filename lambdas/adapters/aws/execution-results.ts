import {
  paginateGetExecutionHistory,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { PipelineError, TransientError } from '../../core/errors';
import type { ExecutionResults } from '../../core/ports';
import { isTaskResult, type TaskResult } from '../../core/stats';

const transientErrors = new Set(['ThrottlingException', 'ServiceUnavailable', 'InternalFailure']);

/**
 * Task results from a Step Functions execution's history (GetExecutionHistory, every page, data
 * included). Task states that call a function ARN report `LambdaFunctionSucceeded`; service
 * integrations (`arn:aws:states:::lambda:invoke`) report `TaskSucceeded`: both count.
 */
export class StepFunctionsExecutionResults implements ExecutionResults {
  constructor(private readonly client: SFNClient) {}

  async taskResults(executionArn: string): Promise<TaskResult[]> {
    const results: TaskResult[] = [];
    try {
      for await (const page of paginateGetExecutionHistory(
        { client: this.client, pageSize: 1000 },
        { executionArn, includeExecutionData: true },
      )) {
        for (const event of page.events ?? []) {
          const result = taskResultOf(executionArn, event);
          if (result) results.push(result);
        }
      }
    } catch (error) {
      if (error instanceof PipelineError) throw error;
      const name = (error as Error).name;
      const message = `Step Functions GetExecutionHistory ${executionArn}: ${name}: ${(error as Error).message}`;
      throw transientErrors.has(name)
        ? new TransientError(message, { cause: error })
        : new PipelineError(message, { cause: error });
    }
    return results;
  }
}

function taskResultOf(executionArn: string, event: HistoryEvent): TaskResult | undefined {
  const details =
    event.type === 'LambdaFunctionSucceeded'
      ? event.lambdaFunctionSucceededEventDetails
      : event.type === 'TaskSucceeded'
        ? event.taskSucceededEventDetails
        : undefined;
  if (!details?.output) return undefined;
  if (details.outputDetails?.truncated) {
    throw new PipelineError(
      `${executionArn}: the output of history event ${event.id} is truncated, so its dataset steps cannot be recorded`,
    );
  }
  const output = JSON.parse(details.output) as unknown;
  return isTaskResult(output) ? output : undefined;
}
