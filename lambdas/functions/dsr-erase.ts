/** Lambda: the data subject erase on AWS, with Athena on the lake's tables and S3 for bronze and landing files. */
import { S3Client } from '@aws-sdk/client-s3';
import { athenaSubjectTables } from '../adapters/aws/athena-subject-tables';
import { SecretsManagerPrivacyKey } from '../adapters/aws/privacy-key-secret';
import { S3BronzeEraser } from '../adapters/aws/s3-bronze-eraser';
import { S3LandingEraser } from '../adapters/aws/s3-landing-eraser';
import { S3ObjectStore } from '../adapters/aws/s3-object-store';
import { systemClock } from '../adapters/system-clock';
import { PipelineError } from '../core/errors';
import { createDsrEraseHandler } from '../handlers/dsr-erase';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { athena } from './platform/athena';
import { sources } from './platform/definitions';
import { secrets } from './platform/secrets';
import { settings } from './platform/settings';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  if (!config.privacy)
    throw new PipelineError(
      'dsr-erase: config.privacy.keySecret names no secret: the request log keeps subjects as keyed hashes, which need the privacy key',
    );
  const engine = await athena(config, 'DsrErase');
  const s3 = tracer.captureAWSv3Client(new S3Client({}));
  return createDsrEraseHandler({
    engine,
    tables: () => athenaSubjectTables(engine, config.project, config.env),
    contracts,
    privacyKey: new SecretsManagerPrivacyKey(secrets(), config.privacy.keySecret),
    // The request log and the pending identifiers, under `privacy/` in the audit bucket.
    audit: new S3ObjectStore(s3, {
      privacy: { bucket: settings().MEDALLION_BUCKETS.audit, keepPrefix: true },
    }),
    bronze: new S3BronzeEraser(s3),
    landing: new S3LandingEraser(s3, settings().MEDALLION_BUCKETS.landing),
    clock: systemClock,
    logger,
  });
});
