/**
 * EventBridge handler for AWS Backup's "Restore Job State Change" events of the restore testing
 * plan: validates the bucket a completed restore job created and reports the verdict on the job.
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html
 */
import * as z from 'zod';
import {
  validateRestore,
  type RestoreValidation,
  type RestoreValidationPorts,
} from '../core/backup/restore-validation';
import type { Logger } from '../core/ports';

const eventSchema = z.object({
  'detail-type': z.literal('Restore Job State Change'),
  detail: z.object({
    restoreJobId: z.string().min(1),
    status: z.literal('COMPLETED'),
    /** The restored bucket: `arn:aws:s3:::name`. */
    createdResourceArn: z.string().regex(/^arn:aws[a-z-]*:s3:::[^/]+$/, 'an S3 bucket ARN'),
  }),
});

export function createRestoreValidationHandler(deps: {
  readonly ports: RestoreValidationPorts;
  readonly logger: Logger;
}) {
  return async (event: unknown): Promise<RestoreValidation> => {
    const { detail } = eventSchema.parse(event);
    const bucket = detail.createdResourceArn.slice(detail.createdResourceArn.indexOf(':::') + 3);
    const validation = await validateRestore(deps.ports, {
      restoreJobId: detail.restoreJobId,
      bucket,
    });
    deps.logger.info('Restore validated', {
      restoreJobId: detail.restoreJobId,
      bucket,
      ...validation,
    });
    return validation;
  };
}
