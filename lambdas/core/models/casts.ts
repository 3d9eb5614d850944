/**
 * Quarantine rules for the casts a model's macros made of source text ({@link TextCast}). A cast
 * macro yields NULL for what it cannot parse, which would silently turn `annual_revenue: "12k"`
 * into an unknown revenue; so a value that is there (not NULL, not blank) but does not cast fails
 * its row, and so does a parsed date outside the plausible range (`2999-01-01`, `0001-01-01`).
 * Each reason names the column, the value (shortened; not at all when the source contract
 * classifies the column pii or confidential, as contract rules do) and the source row.
 */
import type { PlausibleDates } from '../../../config/schema';
import { ModelGraphError } from '../errors';
import type { Contract } from '../contracts/contract';
import type { RowRule } from '../contracts/rules';
import type { SqlDialect } from '../ports';
import type { Model } from './project';
import type { TextCast } from './render';

/** Longest value a reason quotes: enough to recognise it, never a whole message. */
const shownLength = 40;

export interface CastChecks {
  /**
   * One row per source row: its identity (`_cast_ref`, `_cast_row`) and each cast's value
   * (`_cast_value_<i>`) and text (`_cast_text_<i>`: NULL when missing or blank, and when the
   * value cast and is plausible).
   */
  readonly relation: string;
  /** Rules over those columns and the model's `_source_ref`/`_source_row`, one or two per cast. */
  readonly rules: RowRule[];
}

/**
 * The checks of a model's casts, evaluated over its source window (aliased `s`, as models alias
 * their source): a cast macro's argument is an expression over the source row. Only a
 * `quarantine: true` model of one source can quarantine a row, so casts anywhere else are refused.
 */
export function castChecks(
  model: Model,
  casts: readonly TextCast[],
  sourceWindow: string | undefined,
  bounds: { readonly dates: PlausibleDates; readonly runDate: string },
  d: SqlDialect,
  source?: Contract,
): CastChecks | undefined {
  if (casts.length === 0) return undefined;
  if (!model.config.quarantine || model.sources.length !== 1 || !sourceWindow) {
    throw new ModelGraphError(
      `${model.sqlPath}: ${casts.map((c) => c.label).join(', ')} cast with try_cast/iso_timestamp, which only a model with quarantine: true and one source() may use (a value that does not parse is quarantined, never NULL); use cast() on typed values`,
    );
  }
  const earliest = bounds.dates.earliest;
  const latest = addDays(bounds.runDate, bounds.dates.daysAhead);
  const implausible = (value: string) =>
    `cast(${value} as date) < ${d.date(earliest)} or cast(${value} as date) > ${d.date(latest)}`;
  const columns = casts.flatMap((c, i) => {
    const text = `cast(${c.expression} as varchar)`;
    // The text is only read where the row fails (a reason quotes it): a value that cast, and
    // is plausible, needs none, which spares a string per cast for almost every row.
    const failed = c.temporal ? `(${c.sql} is null or ${implausible(c.sql)})` : `${c.sql} is null`;
    return [
      `case when ${failed} and trim(${text}) <> '' then ${text} end as _cast_text_${i}`,
      `${c.sql} as _cast_value_${i}`,
    ];
  });
  const origin = `', in row ' || cast(_source_row as varchar) || ' of ' || _source_ref`;
  const rules = casts.flatMap((c, i): RowRule[] => {
    const text = `_cast_text_${i}`;
    const classification = source?.column(c.label.split('$')[0]!)?.classification;
    const shown =
      classification === 'pii' || classification === 'confidential'
        ? d.string(`${c.label} (${classification} value)`)
        : `${d.string(`${c.label} '`)} || case when length(${text}) > ${shownLength} then substr(${text}, 1, ${shownLength}) || '...' else ${text} end || ''''`;
    const typeRule: RowRule = {
      id: `${c.label}.type`,
      failing: `(${text} is not null and _cast_value_${i} is null)`,
      reason: `${shown} || ${d.string(` is not a valid ${c.type}`)} || ${origin}`,
    };
    if (!c.temporal) return [typeRule];
    return [
      typeRule,
      {
        id: `${c.label}.plausible_date`,
        failing: `(${implausible(`_cast_value_${i}`)})`,
        reason: `${shown} || ${d.string(` is not a plausible date, outside ${earliest} to ${latest} (the run date + ${bounds.dates.daysAhead} days)`)} || ${origin}`,
      },
    ];
  });
  return {
    relation: `(select s._source_ref as _cast_ref, s._source_row as _cast_row, ${columns.join(', ')} from ${sourceWindow} s)`,
    rules,
  };
}

function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
