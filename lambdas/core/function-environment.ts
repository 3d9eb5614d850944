/**
 * What a Lambda function learns from its environment, as one schema: the pipeline stack spells a
 * function's settings with {@link functionEnvironment} and the function reads them back with
 * {@link parseFunctionEnvironment}, so the two cannot disagree on a name or a shape.
 */
import * as z from 'zod';
import { bucketRoles, type BucketRole } from './aws-names';
import { PipelineError } from './errors';

const bucketsSchema = z.object(
  Object.fromEntries(bucketRoles.map((role) => [role, z.string().min(3)])) as Record<
    BucketRole,
    z.ZodString
  >,
);

const environmentSchema = z.object({
  MEDALLION_ENV: z.string().min(1),
  /** The account the stack is deployed in: lineage names its Glue tables by it. */
  MEDALLION_ACCOUNT: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  /** Set by Lambda itself. */
  AWS_REGION: z.string().min(1),
  MEDALLION_BUCKETS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'JSON naming the bucket of each role' });
        return z.NEVER;
      }
    })
    .pipe(bucketsSchema),
  MEDALLION_WORKGROUP: z.string().min(1),
  MEDALLION_FAILURE_TOPIC_ARN: z.string().startsWith('arn:'),
  /** The DynamoDB table holding the lake's run lock. */
  MEDALLION_RUN_LOCK_TABLE: z.string().min(3),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1),
});

/**
 * What the landing starter alone adds: the state machine it starts. The task functions cannot
 * know it, since the state machine depends on them.
 */
const landingStarterSchema = z.object({
  MEDALLION_LANDING_STATE_MACHINE_ARN: z.string().startsWith('arn:'),
});
export type LandingStarterSettings = z.output<typeof landingStarterSchema>;

/**
 * What the catalog export and restore functions (Backup stack) know: the audit bucket their
 * exports live in, and the prefix of the project's Glue databases (`medallion_prod_`).
 */
const catalogBackupSchema = z.object({
  MEDALLION_AUDIT_BUCKET: z.string().min(3),
  MEDALLION_DATABASE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_]+_$/, 'a Glue database name prefix ending in _'),
});
export type CatalogBackupSettings = z.output<typeof catalogBackupSchema>;

/** The catalog export and restore functions' settings as Lambda environment variables. */
export function catalogBackupEnvironment(settings: CatalogBackupSettings): Record<string, string> {
  return { ...settings };
}

/** The catalog export and restore functions' settings, read like {@link parseFunctionEnvironment}. */
export function parseCatalogBackupEnvironment(
  environment: Readonly<Record<string, string | undefined>>,
): CatalogBackupSettings {
  return parse(catalogBackupSchema, environment);
}

/** A JSON variable, parsed before its schema checks it. */
const json = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

/**
 * What the cost report function alone adds: where its summary goes, whose anomalies it reports,
 * whose memory it right-sizes.
 */
const costReportSchema = z.object({
  MEDALLION_COST_TOPIC_ARN: z.string().startsWith('arn:'),
  MEDALLION_ANOMALY_MONITOR_ARN: z.string().startsWith('arn:'),
  /** The platform functions' log groups, a JSON list: what right-sizing reads REPORT lines from. */
  MEDALLION_FUNCTION_LOG_GROUPS: json(z.array(z.string().min(1))),
});
export type CostReportSettings = z.output<typeof costReportSchema>;

/**
 * What the cost optimizer function alone adds: the functions and state machines it watches for
 * idleness (the lake's buckets are in every function's MEDALLION_BUCKETS).
 */
const costOptimizerSchema = z.object({
  /** The platform functions, a JSON list of `{"name", "memoryMb"}`. */
  MEDALLION_WATCHED_FUNCTIONS: json(
    z.array(z.object({ name: z.string().min(1), memoryMb: z.number().int().positive() })),
  ),
  /** The platform's state machines, a JSON list of ARNs. */
  MEDALLION_STATE_MACHINE_ARNS: json(z.array(z.string().startsWith('arn:'))),
});
export type CostOptimizerSettings = z.output<typeof costOptimizerSchema>;

/** The cost optimizer function's own settings, read like {@link parseFunctionEnvironment}. */
export function parseCostOptimizerEnvironment(
  environment: Readonly<Record<string, string | undefined>>,
): CostOptimizerSettings {
  return parse(costOptimizerSchema, environment);
}

export type FunctionSettings = z.output<typeof environmentSchema>;

/** A function's settings as Lambda environment variables (Lambda sets AWS_REGION itself). */
export function functionEnvironment(
  settings: Omit<FunctionSettings, 'AWS_REGION'>,
): Record<string, string> {
  return { ...settings, MEDALLION_BUCKETS: JSON.stringify(settings.MEDALLION_BUCKETS) };
}

/** Reads and checks a function's environment; a missing or malformed variable is named. */
export function parseFunctionEnvironment(
  environment: Readonly<Record<string, string | undefined>>,
): FunctionSettings {
  return parse(environmentSchema, environment);
}

/** The landing starter's own settings, read like {@link parseFunctionEnvironment}. */
export function parseLandingStarterEnvironment(
  environment: Readonly<Record<string, string | undefined>>,
): LandingStarterSettings {
  return parse(landingStarterSchema, environment);
}

/** The cost report function's own settings, read like {@link parseFunctionEnvironment}. */
export function parseCostReportEnvironment(
  environment: Readonly<Record<string, string | undefined>>,
): CostReportSettings {
  return parse(costReportSchema, environment);
}

function parse<S extends z.ZodType>(
  schema: S,
  environment: Readonly<Record<string, string | undefined>>,
): z.output<S> {
  const result = schema.safeParse(environment);
  if (!result.success)
    throw new PipelineError(`Function environment is incomplete: ${z.prettifyError(result.error)}`);
  return result.data;
}
