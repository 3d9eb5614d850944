/** Lambda: records each run's start and end in the audit tables, from Step Functions' status events. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsExecutionResults } from '../adapters/aws/execution-results';
import { systemClock } from '../adapters/system-clock';
import { RunHistory } from '../core/runs';
import { createRecordRunHandler } from '../handlers/record-run';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { athena } from './platform/athena';
import { sources } from './platform/definitions';

export const handler = lambdaHandler(async () => {
  const { config } = await sources();
  return createRecordRunHandler({
    project: config.project,
    env: config.env,
    history: new RunHistory(athena(config)),
    executions: new StepFunctionsExecutionResults(tracer.captureAWSv3Client(new SFNClient({}))),
    logger,
    clock: systemClock,
  });
});
