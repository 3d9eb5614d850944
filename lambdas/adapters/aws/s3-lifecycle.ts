import { GetBucketLifecycleConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LifecycleRule, LifecycleSource } from '../../core/cost/optimizer';
import { PipelineError } from '../../core/errors';

/**
 * A bucket's lifecycle rules, as GetBucketLifecycleConfiguration answers them (dates as ISO text).
 * A bucket without a lifecycle configuration answers NoSuchLifecycleConfiguration: that is null,
 * not an error. https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html
 */
export class S3LifecycleRules implements LifecycleSource {
  constructor(private readonly client: S3Client) {}

  async rules(bucket: string): Promise<LifecycleRule[] | null> {
    try {
      const answer = await this.client.send(
        new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }),
      );
      return JSON.parse(JSON.stringify(answer.Rules ?? [])) as LifecycleRule[];
    } catch (error) {
      const { name, message } = error as Error;
      if (name === 'NoSuchLifecycleConfiguration') return null;
      throw new PipelineError(
        `S3 GetBucketLifecycleConfiguration of ${bucket} failed: ${name}: ${message}`,
        { cause: error },
      );
    }
  }
}
