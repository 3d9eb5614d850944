import type { SqlDialect } from '../ports';
import type { ClassifiedProperty, Contract } from './contract';
import type { ContractProperty } from './schema';

/**
 * A row-level rule compiled from a contract column: a SQL predicate that is TRUE for a failing
 * row, and a SQL text expression saying why. NULLs only fail `required`; every other rule lets a
 * NULL through, as SQL constraints do.
 */
export interface RowRule {
  /** `<column>.<kind>`, e.g. `email.pattern`: what quarantine's `_rule` records. */
  readonly id: string;
  readonly failing: string;
  readonly reason: string;
}

export function rowRules(contract: Contract, dialect: SqlDialect): RowRule[] {
  return contract.properties.flatMap((p) => columnRules(p, dialect));
}

/**
 * A reason quotes the failing value, except a pii or confidential one: the quarantined row keeps
 * it in its own column, where the access policy hides or masks it; a reason is free text it
 * cannot see into.
 */
function columnRules(p: ClassifiedProperty, d: SqlDialect): RowRule[] {
  const col = d.quote(p.name);
  const shown =
    p.classification === 'pii' || p.classification === 'confidential'
      ? d.string(`(${p.classification} value)`)
      : `coalesce('''' || cast(${col} as varchar) || '''', 'NULL')`;
  const rules: RowRule[] = [];
  const rule = (kind: string, failing: string, message: string) =>
    rules.push({
      id: `${p.name}.${kind}`,
      failing,
      reason: `'${p.name} ' || ${shown} || ${d.string(` ${message}`)}`,
    });

  if (p.required) {
    rules.push({
      id: `${p.name}.required`,
      failing: `${col} is null`,
      reason: d.string(`${p.name} is required but missing`),
    });
  }
  const options = p.logicalTypeOptions ?? {};
  if (options.pattern !== undefined) {
    rule(
      'pattern',
      `${col} is not null and not ${d.regexMatches(col, options.pattern)}`,
      `does not match ${options.pattern}`,
    );
  }
  if (options.minLength !== undefined) {
    rule(
      'min_length',
      `length(${col}) < ${options.minLength}`,
      `is shorter than ${options.minLength}`,
    );
  }
  if (options.maxLength !== undefined) {
    rule(
      'max_length',
      `length(${col}) > ${options.maxLength}`,
      `is longer than ${options.maxLength}`,
    );
  }
  const bound = (value: number | string) =>
    typeof value === 'number' ? String(value) : boundLiteral(p, value, d);
  if (options.minimum !== undefined)
    rule(
      'minimum',
      `${col} < ${bound(options.minimum)}`,
      `is below the minimum ${options.minimum}`,
    );
  if (options.exclusiveMinimum !== undefined) {
    rule(
      'minimum',
      `${col} <= ${bound(options.exclusiveMinimum)}`,
      `is not above ${options.exclusiveMinimum}`,
    );
  }
  if (options.maximum !== undefined)
    rule(
      'maximum',
      `${col} > ${bound(options.maximum)}`,
      `is above the maximum ${options.maximum}`,
    );
  if (options.exclusiveMaximum !== undefined) {
    rule(
      'maximum',
      `${col} >= ${bound(options.exclusiveMaximum)}`,
      `is not below ${options.exclusiveMaximum}`,
    );
  }
  for (const q of p.quality) {
    const valid = q.metric === 'invalidValues' ? q.arguments?.validValues : undefined;
    if (!valid) continue;
    const list = valid.map((v) => (typeof v === 'string' ? d.string(v) : String(v))).join(', ');
    rule('accepted_values', `${col} not in (${list})`, `is not one of ${valid.join(', ')}`);
  }
  return rules;
}

function boundLiteral(p: ContractProperty, value: string, d: SqlDialect): string {
  if (p.logicalType === 'date') return d.date(value);
  if (p.logicalType === 'timestamp') return d.timestamp(value);
  return d.string(value);
}

/**
 * The two columns validation adds to each row: `_rule`, the first failing rule in contract order
 * (NULL when the row is valid), and `_reason`, every failure spelled out. Only a failing row gets
 * a reason (a valid one gets NULL): only quarantine reads it, and spelling out every rule for
 * millions of valid rows made staging about a tenth slower.
 */
export function validationColumns(
  rules: readonly RowRule[],
  d: SqlDialect,
): { rule: string; reason: string } {
  if (rules.length === 0) return { rule: 'cast(null as varchar)', reason: 'cast(null as varchar)' };
  const rule = `case ${rules.map((r) => `when ${r.failing} then ${d.string(r.id)}`).join(' ')} end`;
  return {
    rule,
    reason: `case when ${rule} is not null then concat_ws('; ', ${rules.map((r) => `case when ${r.failing} then ${r.reason} end`).join(', ')}) end`,
  };
}
