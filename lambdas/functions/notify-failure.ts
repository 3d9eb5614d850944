/** Lambda: publishes a failed run to the failure topic (SNS). */
import { createNotifyFailureHandler } from '../handlers/notify-failure';
import { lambdaHandler } from './lambda-handler';
import { failureNotifier } from './platform/notifier';

export const handler = lambdaHandler(async () =>
  createNotifyFailureHandler({ notifier: failureNotifier() }),
);
