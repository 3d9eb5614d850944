/**
 * Data contracts, shaped after the Open Data Contract Standard v3.1 (ODCS). The schema validates
 * the parts the platform acts on and lets every other ODCS field through untouched, so a contract
 * stays a valid ODCS document that other tools can read.
 */
import * as z from 'zod';
import { classifications, type Classification } from '../../../config/access-schema';

export { classifications, type Classification };

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a lower_snake_case name');

const range = z.tuple([z.number(), z.number()]);

/**
 * An ODCS quality rule. `library` rules name a metric (`nullValues`, `missingValues`,
 * `invalidValues` with `arguments.validValues` or `arguments.pattern`, `duplicateValues`,
 * `rowCount`) compared with one operator (`mustBeLessThan`...; `unit: percent` compares the share
 * of rows); `sql` rules run a query returning one number (`${table}` is the dataset, `${rows}`
 * the rows the check covers: `core/dq/scope.ts`); `custom`
 * rules with `engine: medallion` are anomaly checks against run history.
 */
export const qualityRuleSchema = z.looseObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'a lower_snake_case rule name')
    .optional(),
  description: z.string().optional(),
  type: z.enum(['text', 'library', 'sql', 'custom']).optional(),
  metric: z
    .enum(['nullValues', 'missingValues', 'invalidValues', 'duplicateValues', 'rowCount'])
    .optional(),
  arguments: z
    .looseObject({
      validValues: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
      missingValues: z.array(z.union([z.string(), z.number()])).optional(),
      pattern: z.string().optional(),
      properties: z.array(z.string()).optional(),
    })
    .optional(),
  query: z.string().optional(),
  engine: z.string().optional(),
  implementation: z.union([z.string(), z.looseObject({})]).optional(),
  unit: z.string().optional(),
  dimension: z
    .enum([
      'accuracy',
      'completeness',
      'conformity',
      'consistency',
      'coverage',
      'timeliness',
      'uniqueness',
    ])
    .optional(),
  severity: z.enum(['info', 'warning', 'error']).optional(),
  mustBe: z.number().optional(),
  mustNotBe: z.number().optional(),
  mustBeGreaterThan: z.number().optional(),
  mustBeGreaterOrEqualTo: z.number().optional(),
  mustBeLessThan: z.number().optional(),
  mustBeLessOrEqualTo: z.number().optional(),
  mustBeBetween: range.optional(),
  mustNotBeBetween: range.optional(),
});
export type QualityRule = z.output<typeof qualityRuleSchema>;

const logicalTypeOptionsSchema = z.looseObject({
  pattern: z.string().optional(),
  minLength: z.number().int().nonnegative().optional(),
  maxLength: z.number().int().nonnegative().optional(),
  minimum: z.union([z.number(), z.string()]).optional(),
  maximum: z.union([z.number(), z.string()]).optional(),
  exclusiveMinimum: z.union([z.number(), z.string()]).optional(),
  exclusiveMaximum: z.union([z.number(), z.string()]).optional(),
});

const propertySchema = z.looseObject({
  name: identifier,
  logicalType: z.enum([
    'string',
    'date',
    'timestamp',
    'time',
    'number',
    'integer',
    'object',
    'array',
    'boolean',
  ]),
  /** Portable SQL type (`BIGINT`, `DECIMAL(12,2)`, `VARCHAR`, `TIMESTAMP`...); each engine maps it. */
  physicalType: z
    .string()
    .regex(
      /^[A-Z]+(\(\d+(,\s*\d+)?\))?$/,
      'an upper-case SQL type such as BIGINT or DECIMAL(12,2)',
    ),
  description: z.string().default(''),
  required: z.boolean().default(false),
  unique: z.boolean().default(false),
  primaryKey: z.boolean().default(false),
  primaryKeyPosition: z.number().int().optional(),
  /** Left out, the column counts as `internal`, and `medallion access check` names it. */
  classification: z.enum(classifications).optional(),
  /**
   * ODCS extension point. `subject` (value: a kind of identifier such as `email`, `customer_id`)
   * says the column identifies a person, a data subject: data subject requests find a person's rows
   * by these columns, and a table with several links them (see `core/privacy/subjects.ts`).
   * `anonymize` (value: `{ method: pseudonym }`, `{ method: mask, keep: 4 }`...) says how the
   * column leaves when an export or a k-anonymity check asks for it anonymized
   * (`core/privacy/operators.ts`). Custom properties keep contracts valid ODCS.
   */
  customProperties: z.array(z.looseObject({ property: z.string(), value: z.unknown() })).optional(),
  logicalTypeOptions: logicalTypeOptionsSchema.optional(),
  /**
   * Foreign keys: `to` is `<dataset>.<column>` (the dataset's schema name), checked by DQ; a
   * `customProperties` entry `severity` (error by default) says how much a dangling key matters.
   */
  relationships: z
    .array(
      z.looseObject({
        type: z.literal('foreignKey').optional(),
        to: z.string(),
        customProperties: z
          .array(z.looseObject({ property: z.string(), value: z.unknown() }))
          .default([]),
      }),
    )
    .default([]),
  quality: z.array(qualityRuleSchema).default([]),
});

export const contractSchema = z.looseObject({
  apiVersion: z.literal('v3.1.0'),
  kind: z.literal('DataContract'),
  /** `<source>.<dataset>` for bronze (`snowflake.orders`), `<layer>.<name>` for silver and gold. */
  id: z
    .string()
    .regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/, 'an id such as snowflake.orders or silver.orders'),
  name: identifier,
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'a semantic version such as 1.0.0'),
  status: z.enum(['proposed', 'draft', 'active', 'deprecated', 'retired']),
  domain: z.string().optional(),
  team: z.looseObject({ name: z.string().min(1) }),
  description: z.looseObject({ purpose: z.string().min(1) }),
  schema: z
    .array(
      z.looseObject({
        name: identifier,
        /** The relation engines query: `bronze.snowflake_orders`, `silver.orders`... */
        physicalName: z
          .string()
          .regex(/^(bronze|silver|gold)\.[a-z][a-z0-9_]*$/, 'a relation such as silver.orders'),
        physicalType: z.enum(['table', 'view']).default('table'),
        description: z.string().default(''),
        properties: z.array(propertySchema).min(1),
        /** Dataset-level rules: row counts, custom SQL, anomaly checks. */
        quality: z.array(qualityRuleSchema).default([]),
      }),
    )
    .length(1, 'exactly one schema object (one dataset per contract)'),
  slaProperties: z.array(z.looseObject({ property: z.string(), value: z.unknown() })).default([]),
  /** ODCS extension point; `compatibility` (see compatibility.ts) is read from here. */
  customProperties: z
    .array(z.looseObject({ property: z.string(), value: z.unknown() }))
    .default([]),
});

export type ContractDocument = z.output<typeof contractSchema>;
export type ContractProperty = ContractDocument['schema'][number]['properties'][number];
