/**
 * The one schema for `config/*.yaml`. The same parsed object configures the local runtime (CLI)
 * and, on AWS, the CDK stacks, so every setting has one home and one default.
 */
import * as z from 'zod';
import { parseYamlWith } from '../lambdas/core/validation';

const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lower_snake_case identifier');
const isoDate = z.iso.date();
const positiveInt = z.number().int().positive();

/** Client-side retry of REST calls: exponential backoff with full jitter, honouring `Retry-After`. */
const retrySchema = z.strictObject({
  /** @default 6 */
  maxAttempts: positiveInt.max(20).default(6),
  /** @default 200 */
  baseDelayMs: z.number().int().nonnegative().default(200),
  /** @default 8000 */
  maxDelayMs: positiveInt.default(8_000),
});

const warehouseSource = z.strictObject({
  kind: z.literal('warehouse'),
  /** Which warehouse the AWS connector talks to; locally a DuckDB file stands in for either. */
  engine: z.enum(['snowflake', 'redshift']),
  description: z.string().default(''),
  /** Connection settings for the AWS connector (account, database, schema, secret name...). */
  connection: z.record(z.string(), z.string()).default({}),
  datasets: z.record(
    identifier,
    z.strictObject({
      /** Table (or view) in the warehouse. */
      table: z.string().min(1),
      /** Monotonic column used for incremental extraction. @default 'updated_at' */
      watermark: identifier.default('updated_at'),
    }),
  ),
});

const restSource = z.strictObject({
  kind: z.literal('rest'),
  description: z.string().default(''),
  /** Base URL of the API. Left out locally: the runner starts the local simulator and uses its URL. */
  baseUrl: z.url().optional(),
  /** Secrets Manager secret holding the API token (AWS only). */
  secret: z.string().optional(),
  /** @default 500 */
  pageSize: positiveInt.max(10_000).default(500),
  /** @default 10000 */
  timeoutMs: positiveInt.default(10_000),
  retry: retrySchema.default(retrySchema.parse({})),
  datasets: z.record(
    identifier,
    z.strictObject({
      /** Path of the collection, e.g. `/crm/v1/accounts`. */
      path: z.string().startsWith('/'),
      /** Field compared with the stored watermark (`updated_since`). */
      watermark: identifier,
    }),
  ),
});

const kafkaSource = z.strictObject({
  kind: z.literal('kafka'),
  description: z.string().default(''),
  /** MSK bootstrap brokers (AWS only). */
  bootstrapServers: z.string().optional(),
  /** Most records per MSK-shaped batch handed to the handler. @default 5000 */
  batchSize: positiveInt.max(10_000).default(5_000),
  datasets: z.record(identifier, z.strictObject({ topic: z.string().min(1) })),
});

const sourceSchema = z.discriminatedUnion('kind', [warehouseSource, restSource, kafkaSource]);

const pipelineSchema = z.strictObject({
  /** EventBridge Scheduler expression, e.g. `cron(0 2 * * ? *)`. */
  schedule: z
    .string()
    .regex(/^(cron|rate)\(.+\)$/, 'a cron(...) or rate(...) expression')
    .optional(),
  /** @default 'UTC' */
  timezone: z.string().default('UTC'),
});

export const configSchema = z.strictObject({
  /** Environment name: local, dev, prod... Stack ids and resource names carry it. */
  env: identifier,
  /** @default 'medallion' */
  project: identifier.default('medallion'),
  lake: z
    .strictObject({
      /** Local lake root: the folder that mirrors the S3 buckets. @default '.lake' */
      root: z.string().min(1).default('.lake'),
    })
    .default({ root: '.lake' }),
  engine: z
    .strictObject({
      /** DuckDB worker threads. @default 2 */
      threads: positiveInt.default(2),
      /** DuckDB memory limit; it spills to disk beyond it. @default '3GB' */
      memoryLimit: z
        .string()
        .regex(/^\d+(\.\d+)?\s*(MB|GB)$/i, 'a size such as 3GB')
        .default('3GB'),
    })
    .default({ threads: 2, memoryLimit: '3GB' }),
  sample: z
    .strictObject({
      /** Orders in the initial load. @default 100000 */
      scale: positiveInt.default(100_000),
      /** Days generated: day 1 is the initial load, later days carry ~1% changes. @default 2 */
      days: positiveInt.max(366).default(2),
      /** @default 42 */
      seed: z.number().int().nonnegative().default(42),
      /** The first generated day. @default '2026-01-01' */
      startDate: isoDate.default('2026-01-01'),
    })
    .default({ scale: 100_000, days: 2, seed: 42, startDate: '2026-01-01' }),
  /** Behaviour of the local stand-ins for the REST APIs. */
  simulators: z
    .strictObject({
      /** Every Nth request gets a 429 with Retry-After. 0 disables. @default 9 */
      throttleEvery: z.number().int().nonnegative().default(9),
      /** Share of requests answered with a 5xx. @default 0.03 */
      serverErrorRate: z.number().min(0).max(0.5).default(0.03),
      /** Seconds announced in Retry-After. @default 1 */
      retryAfterSeconds: z.number().int().nonnegative().default(1),
    })
    .default({ throttleEvery: 9, serverErrorRate: 0.03, retryAfterSeconds: 1 }),
  sources: z.record(identifier, sourceSchema),
  pipelines: z.record(identifier, pipelineSchema).default({}),
  notifications: z
    .strictObject({
      /** Addresses subscribed to failure notifications (SNS on AWS). @default [] */
      emails: z.array(z.email()).default([]),
    })
    .default({ emails: [] }),
});

export type PlatformConfig = z.output<typeof configSchema>;
export type SourceConfig = PlatformConfig['sources'][string];
export type WarehouseSourceConfig = Extract<SourceConfig, { kind: 'warehouse' }>;
export type RestSourceConfig = Extract<SourceConfig, { kind: 'rest' }>;
export type KafkaSourceConfig = Extract<SourceConfig, { kind: 'kafka' }>;
export type RetryPolicy = z.output<typeof retrySchema>;

/** Parses a config file's text; `file` is only used in error messages. */
export function parseConfig(text: string, file: string): PlatformConfig {
  return parseYamlWith(configSchema, text, file);
}
