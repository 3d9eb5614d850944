/**
 * Anonymization operators: one family, rendered as SQL of either engine, used wherever a value
 * leaves in a weaker form — a contract column's `anonymize` (exports, k-anonymity), a model's
 * `anonymize()` macro, and the access policy's masks (`hash`, `last4`, `redact` are operators
 * of this family). Every operator keeps NULL as NULL, so completeness still reads true.
 *
 * Where the key goes: a pseudonym is an HMAC whose key is a literal of the statement (DuckDB and
 * Athena have no other way in), so it shows in Athena's query history. That key is not the privacy
 * key itself but {@link pseudonymKey}, derived from it for pseudonyms only: someone who reads it
 * from the history can recompute pseudonyms of guessed values (as anyone allowed to run the
 * pipeline can), but not the erasure log's subject hashes, which use the privacy key. Engine
 * errors quote statements through {@link withoutKeys}, so the key stays out of logs.
 */
import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { PipelineError } from '../errors';
import type { SqlDialect } from '../ports';
import { keyedHash } from './keyed-hash';

const positiveInt = z.number().int().positive();

/**
 * What a column becomes. `pseudonym`: keyed HMAC-SHA256 hex of the trimmed, lower-cased text
 * (joins across tables still work; without the key nobody can test a guess). `hash`: the same
 * without a key, for views that cannot hold one (a guessed value can be confirmed: prefer
 * `pseudonym`). `mask`: all but the last `keep` characters replaced by `*` (a value no longer than
 * `keep` is masked whole). `redact`: the constant `***`. `generalize`: a date to the first day of
 * its `month` or `year`, a text to its `prefix` of `length` characters (postal codes), a number
 * to its `band` of `width` (`30-39`).
 */
export const anonymizeSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('pseudonym') }),
  z.strictObject({ method: z.literal('hash') }),
  z.strictObject({ method: z.literal('mask'), keep: z.number().int().nonnegative().default(4) }),
  z.strictObject({ method: z.literal('redact') }),
  z.discriminatedUnion('to', [
    z.strictObject({ method: z.literal('generalize'), to: z.enum(['month', 'year']) }),
    z.strictObject({
      method: z.literal('generalize'),
      to: z.literal('prefix'),
      length: positiveInt,
    }),
    z.strictObject({ method: z.literal('generalize'), to: z.literal('band'), width: positiveInt }),
  ]),
]);
export type Anonymize = z.output<typeof anonymizeSchema>;
export type AnonymizeMethod = Anonymize['method'];

/** The constant a redacted value reads as. */
export const redacted = '***';

/** What an operator needs of a dialect (the lineage dialect implements the same). */
export type OperatorDialect = Pick<
  SqlDialect,
  'sha256Hex' | 'hmacSha256Hex' | 'regexReplaceAll' | 'tryCast' | 'string'
>;

/**
 * Whitespace JavaScript's `trim()` removes, which {@link keyedHash} applies: the SQL trims the
 * same, so a pseudonym made in SQL equals the one the TypeScript makes of the same value.
 */
const edgeSpace =
  '[\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}]+';

/**
 * SQL for `column` (an expression) under `operator`. `key` is the privacy key; only `pseudonym`
 * needs it, and asking for one without it is an error naming what to do.
 */
export function operatorSql(
  operator: Anonymize,
  column: string,
  d: OperatorDialect,
  key?: Uint8Array,
): string {
  const text = `cast(${column} as varchar)`;
  const normalized = `lower(${d.regexReplaceAll(text, `^${edgeSpace}|${edgeSpace}$`, '')})`;
  switch (operator.method) {
    case 'pseudonym':
      if (!key)
        throw new PipelineError(
          'A pseudonym needs the privacy key (locally .secrets/privacy.key, created on first use; on AWS the secret config.privacy.keySecret names)',
        );
      return d.hmacSha256Hex(normalized, pseudonymKey(key));
    case 'hash':
      return d.sha256Hex(normalized);
    case 'mask': {
      const length = `length(${text})`;
      const keep = operator.keep;
      return `case when ${column} is null then null when ${length} <= ${keep} then lpad('', cast(${length} as integer), '*') else lpad('', cast(${length} - ${keep} as integer), '*') || substr(${text}, ${length} - ${keep} + 1) end`;
    }
    case 'redact':
      return `case when ${column} is null then null else ${d.string(redacted)} end`;
    case 'generalize':
      switch (operator.to) {
        case 'month':
        case 'year':
          // A text that is no date becomes NULL: generalizing must never pass the raw value on.
          return `cast(date_trunc('${operator.to}', ${d.tryCast(column, 'DATE')}) as date)`;
        case 'prefix':
          return `substr(${d.regexReplaceAll(text, `^${edgeSpace}|${edgeSpace}$`, '')}, 1, ${operator.length})`;
        case 'band': {
          const low = `cast(floor(${d.tryCast(column, 'DOUBLE')} / ${operator.width}) * ${operator.width} as bigint)`;
          return `cast(${low} as varchar) || '-' || cast(${low} + ${operator.width - 1} as varchar)`;
        }
      }
  }
}

/** How an operator reads in a summary: `mask (keep 4)`, `generalize (to band of 10)`. */
export function describeOperator(operator: Anonymize): string {
  switch (operator.method) {
    case 'mask':
      return `mask (keep last ${operator.keep})`;
    case 'generalize':
      return operator.to === 'prefix'
        ? `generalize (prefix of ${operator.length})`
        : operator.to === 'band'
          ? `generalize (band of ${operator.width})`
          : `generalize (to ${operator.to})`;
    default:
      return operator.method;
  }
}

/**
 * The key pseudonyms are made with: an HMAC of a fixed label under the privacy key. It is the one
 * that appears in SQL, so the privacy key itself never does.
 */
export function pseudonymKey(privacyKey: Uint8Array): Uint8Array {
  return createHmac('sha256', privacyKey).update('medallion pseudonym v1', 'utf8').digest();
}

/** The pseudonym of a value, as the `pseudonym` operator makes it in SQL. */
export function pseudonym(privacyKey: Uint8Array, value: string): string {
  return keyedHash(pseudonymKey(privacyKey), value);
}

/**
 * A statement as error messages may quote it: long hex literals (HMAC keys and their padded
 * blocks, 64 hex digits and more) replaced, so an engine error never logs the pseudonym key.
 */
export function withoutKeys(text: string): string {
  return text.replace(/'[0-9a-fA-F]{64,}'/g, "'<key>'");
}
