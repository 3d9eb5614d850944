import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsReader } from '../../adapters/aws/secrets';
import { systemClock } from '../../adapters/system-clock';
import { tracer } from '../lambda-handler';

export function secrets(): SecretsReader {
  return new SecretsReader(tracer.captureAWSv3Client(new SecretsManagerClient({})), systemClock);
}
