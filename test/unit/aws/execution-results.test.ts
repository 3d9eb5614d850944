import {
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  SFNClient,
  SFNServiceException,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StepFunctionsExecutionResults } from '../../../lambdas/adapters/aws/execution-results';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import type { TaskResult } from '../../../lambdas/core/stats';
import { executionResultsIam } from '../../../lambdas/adapters/aws/iam-calls';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const sfn = mockClient(SFNClient);
expectDeclaredCommands('StepFunctionsExecutionResults', sfn, executionResultsIam.actions);
const executionArn = 'arn:aws:states:eu-west-1:111111111111:execution:medallion-dev-daily:run-1';
const results = () =>
  new StepFunctionsExecutionResults(
    new SFNClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    }),
  );

const result = (step: string, dataset: string): TaskResult => ({
  step,
  datasets: [
    {
      dataset,
      layer: 'bronze',
      rowsIn: 1,
      rowsOut: 1,
      quarantined: 0,
      duplicates: 0,
      inserted: 1,
      updated: 0,
      deleted: 0,
      seconds: 0.1,
    },
  ],
});

const lambdaSucceeded = (id: number, output: unknown): HistoryEvent => ({
  id,
  type: 'LambdaFunctionSucceeded',
  timestamp: new Date(),
  lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) },
});

beforeEach(() => sfn.reset());

describe('StepFunctionsExecutionResults', () => {
  it('reads every page of the history with data and keeps the task results in order', async () => {
    sfn
      .on(GetExecutionHistoryCommand, {
        executionArn,
        includeExecutionData: true,
        maxResults: 1000,
      })
      .resolves({
        events: [
          { id: 1, type: 'ExecutionStarted', timestamp: new Date() },
          lambdaSucceeded(5, result('snowflake_to_bronze', 'snowflake.orders')),
          lambdaSucceeded(6, { notified: true }),
        ],
        nextToken: 'page-2',
      })
      .on(GetExecutionHistoryCommand, {
        executionArn,
        includeExecutionData: true,
        maxResults: 1000,
        nextToken: 'page-2',
      })
      .resolves({
        events: [
          {
            id: 9,
            type: 'TaskSucceeded',
            timestamp: new Date(),
            taskSucceededEventDetails: {
              resource: 'invoke',
              resourceType: 'lambda',
              output: JSON.stringify(result('bronze_to_silver', 'silver.orders')),
            },
          },
        ],
      });

    expect(await results().taskResults(executionArn)).toEqual([
      result('snowflake_to_bronze', 'snowflake.orders'),
      result('bronze_to_silver', 'silver.orders'),
    ]);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(2);
  });

  it('refuses a truncated output rather than record a run without its steps', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 7,
          type: 'LambdaFunctionSucceeded',
          timestamp: new Date(),
          lambdaFunctionSucceededEventDetails: {
            output: '{"step":"x","datasets":[',
            outputDetails: { truncated: true },
          },
        },
      ],
    });
    await expect(results().taskResults(executionArn)).rejects.toThrow(
      /history event 7 is truncated/,
    );
  });

  it('throttling is transient (the event is retried); a missing execution is not', async () => {
    sfn.on(GetExecutionHistoryCommand).rejects(
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    await expect(results().taskResults(executionArn)).rejects.toThrow(TransientError);

    sfn.reset();
    sfn.on(GetExecutionHistoryCommand).rejects(
      new ExecutionDoesNotExist({
        $metadata: { httpStatusCode: 400 },
        message: 'no such execution',
      }),
    );
    const failure = results().taskResults(executionArn);
    await expect(failure).rejects.toThrow(PipelineError);
    await expect(failure).rejects.not.toThrow(TransientError);
    await expect(failure).rejects.toThrow(/GetExecutionHistory .*run-1: ExecutionDoesNotExist/);
  });
});
