/** Lambda: consumes batches of landing-file events and starts one landing_to_bronze run per batch. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { v7 as uuidv7 } from 'uuid';
import { StepFunctionsRunStarter } from '../adapters/aws/sfn-run-starter';
import { parseLandingStarterEnvironment } from '../core/function-environment';
import { createStartLandingHandler } from '../handlers/start-landing';
import { lambdaHandler, logger, tracer } from './lambda-handler';

export const handler = lambdaHandler(async () =>
  createStartLandingHandler({
    starter: new StepFunctionsRunStarter(
      tracer.captureAWSv3Client(new SFNClient({})),
      parseLandingStarterEnvironment(process.env).MEDALLION_LANDING_STATE_MACHINE_ARN,
      uuidv7,
    ),
    logger,
  }),
);
