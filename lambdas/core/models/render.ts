/**
 * Renders a model template to the SQL of one engine. Templates use Jinja syntax (nunjucks);
 * every engine difference is a macro that delegates to the {@link SqlDialect}.
 */
import nunjucks from 'nunjucks';
import { ModelGraphError } from '../errors';
import type { SqlDialect } from '../ports';
import { anonymizeSchema, operatorSql } from '../privacy/operators';
import type { Model } from './project';

export interface RenderInputs {
  /** True when the target exists and only new input is processed. */
  readonly incremental: boolean;
  /** The relation `source(s, d)` stands for: all of bronze, or this run's window of it. */
  source(source: string, dataset: string): string;
  /** The relation `changes(m)` stands for: keys of `m` changed since this model last read it. */
  changes(model: string): string;
  /** The run's logical date, `YYYY-MM-DD`. */
  readonly runDate: string;
  /** The privacy key, for `anonymize(..., { method: 'pseudonym' })`; see {@link RenderedModel}. */
  readonly privacyKey?: Uint8Array;
}

const environment = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });

/** What a template's macros need of an engine's dialect. */
export type TemplateDialect = Pick<
  SqlDialect,
  | 'relation'
  | 'date'
  | 'jsonText'
  | 'jsonValid'
  | 'tryCast'
  | 'parseIsoTimestamp'
  | 'dateSpine'
  | 'regexReplaceAll'
  | 'isoDayOfWeek'
  | 'sha256Hex'
  | 'hmacSha256Hex'
  | 'tryCast'
  | 'string'
>;

/**
 * A typed cast a template's macro (`try_cast`, `iso_timestamp`) made of a source value. The macro
 * yields NULL for text it cannot parse, so the build checks every cast against its text: a value
 * that is there but does not cast is quarantined, not turned into NULL.
 */
export interface TextCast {
  /** The value cast, as the template wrote it: SQL over the model's source row. */
  readonly expression: string;
  /** What a reason calls it: the column, or the column and JSON path (`value$.amount`). */
  readonly label: string;
  /** The type as the template wrote it (`decimal(18,2)`; `timestamp` for `iso_timestamp`). */
  readonly type: string;
  /** The cast itself, in the engine's SQL. */
  readonly sql: string;
  /** A date or timestamp, which must also be plausible (see `transform.plausibleDates`). */
  readonly temporal: boolean;
}

export interface RenderedModel {
  readonly sql: string;
  /** Every distinct cast the template made, in the order it made them. */
  readonly casts: readonly TextCast[];
  /**
   * The template pseudonymizes and was rendered without the privacy key: its SQL holds an
   * all-zero key, fit to read the SQL's shape, not to run. Render again with the key.
   */
  readonly needsPrivacyKey: boolean;
}

export function renderModel(
  model: Model,
  dialect: TemplateDialect,
  inputs: RenderInputs,
): RenderedModel {
  const casts = new Map<string, TextCast>();
  const key = { missing: false };
  try {
    const sql = environment.renderString(
      model.template,
      templateContext(model, dialect, inputs, casts, key),
    );
    return { sql, casts: [...casts.values()], needsPrivacyKey: key.missing };
  } catch (error) {
    throw new ModelGraphError(
      `${model.sqlPath}: cannot render: ${(error as Error).message.trim()}`,
    );
  }
}

/** The functions a model template may call. */
function templateContext(
  model: Model,
  d: TemplateDialect,
  inputs: RenderInputs,
  casts: Map<string, TextCast>,
  key: { missing: boolean },
): Record<string, unknown> {
  /** Labels of the JSON fields `json_text` extracted, by the SQL it returned. */
  const jsonFields = new Map<string, string>();
  const cast = (expression: string, type: string, sql: string, temporal: boolean) => {
    if (!casts.has(sql))
      casts.set(sql, {
        expression,
        label: jsonFields.get(expression) ?? columnLabel(expression),
        type,
        sql,
        temporal,
      });
    return sql;
  };
  return {
    ref: (name: string) => d.relation(name),
    source: (source: string, dataset: string) => inputs.source(source, dataset),
    changes: (model: string) => inputs.changes(model),
    is_incremental: () => inputs.incremental,
    /** The model's own table as the previous run left it: read it only when `is_incremental()`. */
    this: d.relation(model.name),
    run_date: () => d.date(inputs.runDate),
    json_text: (expression: string, path: string) => {
      const sql = d.jsonText(expression, path);
      jsonFields.set(sql, `${columnLabel(expression)}${path}`);
      return sql;
    },
    json_valid: (expression: string) => d.jsonValid(expression),
    try_cast: (expression: string, type: string) =>
      cast(expression, type, d.tryCast(expression, type), /^(date|timestamp)\b/i.test(type)),
    iso_timestamp: (expression: string) =>
      cast(expression, 'timestamp', d.parseIsoTimestamp(expression), true),
    date_spine: (start: string, end: string) => d.dateSpine(start, end),
    /** Lower-cased, trimmed e-mail; validity is the contract's pattern rule. */
    normalize_email: (expression: string) => `lower(trim(${expression}))`,
    e164_phone: (phone: string, callingCode: string, trunkPrefix: string) =>
      e164Phone(d, phone, callingCode, trunkPrefix),
    iso_day_of_week: (expression: string) => d.isoDayOfWeek(expression),
    /** An anonymization operator, written as a contract's `anonymize` is: `{ method: 'mask', keep: 4 }`. */
    anonymize: (expression: string, operator: unknown) => {
      const parsed = anonymizeSchema.safeParse(operator);
      if (!parsed.success)
        throw new Error(
          `anonymize(${expression}, ...): ${parsed.error.issues.map((i) => `${i.path.join('.') || 'operator'}: ${i.message}`).join('; ')} (methods: pseudonym, hash, mask, redact, generalize)`,
        );
      if (parsed.data.method === 'pseudonym' && !inputs.privacyKey) key.missing = true;
      return operatorSql(parsed.data, expression, d, inputs.privacyKey ?? placeholderKey);
    },
  };
}

/** Stands in for the privacy key while a template is rendered only to read its SQL. */
const placeholderKey = new Uint8Array(32);

/** A column reference without its table alias or quotes: `s."created_at"` → `created_at`. */
function columnLabel(expression: string): string {
  return expression
    .trim()
    .replace(/^\w+\./, '')
    .replaceAll('"', '');
}

/**
 * Rewrites a phone number in E.164 (`+<country code><number>`). International spellings
 * (`+44 ...`, `0044 ...`) keep their country code; national ones (`(415) 555-0134`,
 * `020 7946 0958`) get the country's calling code, their trunk prefix dropped (`0` in most
 * countries, `1` in North America, none in Italy or Spain, where the leading 0 belongs to the
 * number). What cannot be rewritten is returned as written, so the contract's pattern rule
 * quarantines it with the value in its reason instead of it silently becoming NULL.
 */
function e164Phone(
  d: TemplateDialect,
  phone: string,
  callingCode: string,
  trunkPrefix: string,
): string {
  const digits = d.regexReplaceAll(phone, '[^0-9]', '');
  return `case
      when ${phone} is null then null
      when ${digits} = '' then trim(${phone})
      when trim(${phone}) like '+%' then '+' || ${digits}
      when ${digits} like '00%' then '+' || substr(${digits}, 3)
      when ${callingCode} is null then trim(${phone})
      when coalesce(${trunkPrefix}, '') <> '' and ${digits} like ${trunkPrefix} || '%'
        then '+' || ${callingCode} || substr(${digits}, length(${trunkPrefix}) + 1)
      else '+' || ${callingCode} || ${digits}
    end`;
}
