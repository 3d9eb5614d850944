/**
 * The dialect models are rendered in for lineage: plain logical relation names (`silver.orders`)
 * and, for every engine-specific macro, an expression over the same input columns in the SQL
 * subset the lineage parser reads. The SQL is never run; only which columns feed which matters.
 */
import type { TemplateDialect } from '../models/render';

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

export const lineageDialect: TemplateDialect = {
  relation: (logicalName) => logicalName,
  date: (isoDate) => `date ${literal(isoDate)}`,
  jsonText: (expression, path) => `json_extract_scalar(${expression}, ${literal(path)})`,
  jsonValid: (expression) => `(${expression} is not null)`,
  tryCast: (expression, type) => `cast(${expression} as ${type})`,
  parseIsoTimestamp: (expression) => `cast(${expression} as timestamp)`,
  // A calendar is generated, not read: its dates come from no column.
  dateSpine: () => '(select cast(null as date) as date_day)',
  regexReplaceAll: (expression, pattern, replacement) =>
    `regexp_replace(${expression}, ${literal(pattern)}, ${literal(replacement)})`,
  isoDayOfWeek: (expression) => `day_of_week(${expression})`,
  string: literal,
  sha256Hex: (expression) => `sha256(${expression})`,
  // The key is not the lineage's business: the pseudonym's column is its input.
  hmacSha256Hex: (expression) => `hmac_sha256(${expression})`,
};
