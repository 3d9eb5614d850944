import { SNSClient } from '@aws-sdk/client-sns';
import { SnsNotifier } from '../../adapters/aws/sns-notifier';
import { tracer } from '../lambda-handler';
import { settings } from './settings';

export function failureNotifier(): SnsNotifier {
  return new SnsNotifier(
    tracer.captureAWSv3Client(new SNSClient({})),
    settings().MEDALLION_FAILURE_TOPIC_ARN,
  );
}
