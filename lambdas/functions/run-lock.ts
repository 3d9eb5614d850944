/** Lambda: takes and gives back the lake's run lock, a lease item in DynamoDB. */
import { createRunLockHandler } from '../handlers/run-lock';
import { lambdaHandler, logger } from './lambda-handler';
import { runLock } from './platform/run-lock';

export const handler = lambdaHandler(async () => createRunLockHandler({ lock: runLock(), logger }));
