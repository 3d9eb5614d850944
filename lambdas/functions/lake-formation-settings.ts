/** Lambda: the `Custom::LakeFormationSettings` resource of the Access stack. */
import { LakeFormationClient } from '@aws-sdk/client-lakeformation';
import { LakeFormationSettings } from '../adapters/aws/lake-formation-settings';
import { createLakeSettingsHandler } from '../handlers/lake-formation-settings';
import { lambdaHandler, logger, tracer } from './lambda-handler';

export const handler = lambdaHandler(async () =>
  createLakeSettingsHandler({
    store: new LakeFormationSettings(
      tracer.captureAWSv3Client(new LakeFormationClient({})),
      process.env.MEDALLION_ACCOUNT!,
    ),
    respond: async (url, response) => {
      const body = JSON.stringify(response);
      // The presigned URL is signed for an empty content type.
      const reply = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
        body,
      });
      if (!reply.ok)
        throw new Error(`CloudFormation response PUT failed: ${reply.status} ${reply.statusText}`);
    },
    logger,
  }),
);
