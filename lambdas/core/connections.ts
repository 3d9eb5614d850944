/**
 * The `connection:` block of a warehouse source, per engine. Config keeps it as a plain mapping
 * (local runs need none); these schemas check it where it is used: when the CDK app synthesizes
 * an environment and when a Lambda function connects, with errors naming the key.
 */
import * as z from 'zod';
import { PipelineError } from './errors';

/** Where and as whom statements run: a Serverless workgroup or a provisioned cluster. */
export interface RedshiftConnection {
  readonly workgroup?: string;
  readonly clusterIdentifier?: string;
  readonly database: string;
  /** Secrets Manager secret (name or ARN) with the database credentials. */
  readonly secretArn?: string;
  /** Database user for temporary credentials, on a provisioned cluster without a secret. */
  readonly dbUser?: string;
  /** Role Redshift assumes to write UNLOAD files into the bronze bucket. */
  readonly iamRole: string;
}

const redshiftSchema = z
  .object({
    workgroup: z.string().min(1).optional(),
    clusterIdentifier: z.string().min(1).optional(),
    database: z.string().min(1),
    secret: z.string().min(1).optional(),
    dbUser: z.string().min(1).optional(),
    iamRole: z.string().startsWith('arn:'),
  })
  .refine((c) => (c.workgroup === undefined) !== (c.clusterIdentifier === undefined), {
    message: 'exactly one of workgroup and clusterIdentifier',
  });

/** Reads a warehouse source's `connection:` block (config/*.yaml) for the Redshift client. */
export function parseRedshiftConnection(
  source: string,
  connection: Readonly<Record<string, string>>,
): RedshiftConnection {
  const parsed = redshiftSchema.safeParse(connection);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${['sources', source, 'connection', ...i.path].join('.')}: ${i.message}`,
    );
    throw new PipelineError(
      `Redshift connection of source ${source} is invalid: ${problems.join('; ')}`,
    );
  }
  const { secret, ...rest } = parsed.data;
  return { ...rest, secretArn: secret };
}

export interface SnowflakeConnection {
  /** Account identifier as in the account URL: `myorg-myaccount`, or a locator `xy12345.eu-west-1`. */
  readonly account: string;
  readonly database: string;
  readonly schema: string;
  readonly warehouse: string;
  readonly role?: string;
  /** Secrets Manager secret `{ "user": ..., "privateKey": "-----BEGIN PRIVATE KEY-----..." }`. */
  readonly secret: string;
  /** External stage whose URL is the bronze bucket's staging prefix (`s3://<bronze>/_staging/`). */
  readonly stage: string;
}

const snowflakeSchema = z.object({
  account: z.string().min(1),
  database: z.string().min(1),
  schema: z.string().min(1),
  warehouse: z.string().min(1),
  role: z.string().min(1).optional(),
  secret: z.string().min(1),
  stage: z.string().min(1),
});

/** Reads a warehouse source's `connection:` block (config/*.yaml) for the Snowflake client. */
export function parseSnowflakeConnection(
  source: string,
  connection: Readonly<Record<string, string>>,
): SnowflakeConnection {
  const parsed = snowflakeSchema.safeParse(connection);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${['sources', source, 'connection', ...i.path].join('.')}: ${i.message}`,
    );
    throw new PipelineError(
      `Snowflake connection of source ${source} is invalid: ${problems.join('; ')}`,
    );
  }
  return parsed.data;
}
