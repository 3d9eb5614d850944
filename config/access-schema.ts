/**
 * The schema of `config/access.yaml`: who may read which tables, which columns in clear, masked
 * or not at all, and which rows. One policy feeds Lake Formation on AWS and `medallion query --as`
 * locally, so both enforce the same thing. The ground floor, like `schema.ts`.
 */
import * as z from 'zod';
import { lakeSchemas } from './layout';

export const classifications = ['public', 'internal', 'confidential', 'pii'] as const;
export type Classification = (typeof classifications)[number];

/** What a persona gets of a column: its value, a masked value, or nothing (the column is absent). */
export const visibilities = ['clear', 'masked', 'hidden'] as const;
export type Visibility = (typeof visibilities)[number];

/**
 * How a masked column reads (anonymization operators, `lambdas/core/privacy/operators.ts`).
 * `hash`: hex SHA-256 of the trimmed, lower-cased text (joins still work, values do not show);
 * `last4`: all but the last four characters replaced by `*` (a value of four or fewer whole);
 * `redact`: the constant `***`.
 */
export const masks = ['hash', 'last4', 'redact'] as const;
export type Mask = (typeof masks)[number];

const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lower_snake_case identifier');
/** `gold.customer_360`, or a pattern with `*`: `gold.*`, `gold.dim_*`. */
const tablePattern = z
  .string()
  .regex(/^[a-z][a-z0-9_]*\.[a-z0-9_*]+$/, 'a <schema>.<table> name or pattern, e.g. gold.dim_*');
const fixedValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * A row filter: the persona sees the rows whose `column` holds one of `in`. Values are fixed:
 * Lake Formation data cells filters take a constant predicate, so a per-region view is one persona
 * per region (`extends`).
 */
const rowFilterSchema = z.strictObject({
  column: identifier,
  in: z.array(fixedValue).min(1),
});

const personaSchema = z.strictObject({
  description: z.string().optional(),
  /** Another persona whose settings this one starts from (its own keys replace the inherited ones). */
  extends: identifier.optional(),
  /** Every table of these schemas. */
  layers: z.array(z.enum(lakeSchemas)).optional(),
  /** More tables, by name or pattern. */
  tables: z.array(tablePattern).optional(),
  /** Tables taken away again from `layers` and `tables`. */
  exclude: z.array(tablePattern).optional(),
  /** Visibility per classification. */
  columns: z
    .strictObject({
      public: z.enum(visibilities),
      internal: z.enum(visibilities),
      confidential: z.enum(visibilities),
      pii: z.enum(visibilities),
    })
    .optional(),
  rows: rowFilterSchema.optional(),
  /**
   * A table without the row filter's column: `hide` it (the safe default, nothing unfiltered
   * leaks) or `show` it whole.
   */
  unfilteredTables: z.enum(['hide', 'show']).optional(),
  /**
   * The platform's reports the persona reads whole, outside the lake's views: `cost` is
   * `audit.cost_reports`, the weekly cost report's CSV (AWS only: the report is made there).
   */
  reports: z.array(z.enum(['cost'])).optional(),
  /** Athena workgroup the persona's role queries through. */
  workgroup: identifier.optional(),
  /** IAM principals (ARNs) that may assume the persona's role on AWS. */
  principals: z.array(z.string().startsWith('arn:')).optional(),
});
export type PersonaSettings = z.output<typeof personaSchema>;

export const accessPolicySchema = z.strictObject({
  personas: z.record(identifier, personaSchema),
  /** How masked columns read: `default`, and per column name. */
  masking: z
    .strictObject({
      default: z.enum(masks).default('hash'),
      columns: z.record(identifier, z.enum(masks)).default({}),
    })
    .default({ default: 'hash', columns: {} }),
  /** Per environment, persona settings that replace the base ones key by key (e.g. prod principals). */
  environments: z.record(identifier, z.record(identifier, personaSchema.partial())).default({}),
});
export type AccessPolicyDocument = z.output<typeof accessPolicySchema>;
