/** Lambda: records each run's start and end in the audit tables, from Step Functions' status events. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsExecutionResults } from '../adapters/aws/execution-results';
import { systemClock } from '../adapters/system-clock';
import { ContractVersions } from '../core/contracts/versions';
import { jobsOf } from '../core/orchestration';
import { RunRecorder } from '../core/run-recorder';
import { RunHistory } from '../core/runs';
import { createRecordRunHandler } from '../handlers/record-run';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { athena } from './platform/athena';
import { sources } from './platform/definitions';
import { lineage } from './platform/lineage';
import { runLock } from './platform/run-lock';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  const engine = await athena(config, 'RecordRun');
  return createRecordRunHandler({
    project: config.project,
    env: config.env,
    jobs: jobsOf(config.sources),
    recorder: new RunRecorder({
      project: config.project,
      env: config.env,
      history: new RunHistory(engine),
      contracts: contracts.all(),
      versions: new ContractVersions(engine),
      lineage: lineage(config, contracts),
      logger,
      clock: systemClock,
    }),
    executions: new StepFunctionsExecutionResults(tracer.captureAWSv3Client(new SFNClient({}))),
    lock: runLock(),
    logger,
    clock: systemClock,
  });
});
