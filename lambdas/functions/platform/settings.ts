/**
 * What a function learns from its environment (set by the pipeline stack) and where it finds the
 * definitions bundled with it. Read once per container.
 */
import path from 'node:path';
import * as z from 'zod';
import { bucketRoles } from '../../core/aws-names';
import { PipelineError } from '../../core/errors';

const settingsSchema = z.object({
  MEDALLION_ENV: z.string().min(1),
  /** The account the stack is deployed in: lineage names its Glue tables by it. */
  MEDALLION_ACCOUNT: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  /** Set by Lambda itself. */
  AWS_REGION: z.string().min(1),
  MEDALLION_BUCKETS: z
    .string()
    .transform((text) => JSON.parse(text) as unknown)
    .pipe(
      z.object(
        Object.fromEntries(bucketRoles.map((role) => [role, z.string().min(3)])) as Record<
          (typeof bucketRoles)[number],
          z.ZodString
        >,
      ),
    ),
  MEDALLION_WORKGROUP: z.string().min(1),
  MEDALLION_FAILURE_TOPIC_ARN: z.string().startsWith('arn:'),
  /** The DynamoDB table holding the lake's run lock. */
  MEDALLION_RUN_LOCK_TABLE: z.string().min(3),
});

export type FunctionSettings = z.output<typeof settingsSchema>;

let cached: FunctionSettings | undefined;

/** The function's settings, read and checked on first use. */
export function settings(): FunctionSettings {
  if (cached) return cached;
  const result = settingsSchema.safeParse(process.env);
  if (!result.success) {
    throw new PipelineError(`Function environment is incomplete: ${z.prettifyError(result.error)}`);
  }
  cached = result.data;
  return cached;
}

/** The folder holding `config/` and `models/`: the bundle on Lambda, the repository in tests. */
export const definitionsRoot =
  process.env.LAMBDA_TASK_ROOT ?? path.resolve(import.meta.dirname, '../../..');
