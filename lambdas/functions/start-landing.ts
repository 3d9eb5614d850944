/** Lambda: consumes batches of landing-file events and starts one landing_to_bronze run per batch. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { v7 as uuidv7 } from 'uuid';
import * as z from 'zod';
import { StepFunctionsRunStarter } from '../adapters/aws/sfn-run-starter';
import { PipelineError } from '../core/errors';
import { createStartLandingHandler } from '../handlers/start-landing';
import { lambdaHandler, logger, tracer } from './lambda-handler';

/** Only this function knows the state machine: the task functions it starts cannot depend on it. */
const environment = z.object({
  MEDALLION_LANDING_STATE_MACHINE_ARN: z.string().startsWith('arn:'),
});

export const handler = lambdaHandler(async () => {
  const parsed = environment.safeParse(process.env);
  if (!parsed.success)
    throw new PipelineError(`Function environment is incomplete: ${z.prettifyError(parsed.error)}`);
  return createStartLandingHandler({
    starter: new StepFunctionsRunStarter(
      tracer.captureAWSv3Client(new SFNClient({})),
      parsed.data.MEDALLION_LANDING_STATE_MACHINE_ARN,
      uuidv7,
    ),
    logger,
  });
});
