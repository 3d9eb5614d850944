/**
 * A persona's reading of a table as one SELECT: visible columns in clear or masked, hidden ones
 * absent, its row filter applied. Locally it is the view a `query --as` session reads; the same
 * text in the Athena dialect is what a masked table's view holds on AWS.
 */
import type { Mask } from '../../../config/access-schema';
import type { SqlDialect } from '../ports';
import { operatorSql, type Anonymize } from '../privacy/operators';
import type { TableAccess } from './policy';

/** `source` is the engine's name of the table the persona reads through this SELECT. */
export function personaSelect(access: TableAccess, source: string, dialect: SqlDialect): string {
  const columns = access.columns
    .filter((c) => c.visibility !== 'hidden')
    .map((c) => {
      const q = dialect.quote(c.name);
      return c.visibility === 'masked'
        ? `${maskExpression(c.mask ?? 'hash', q, dialect)} as ${q}`
        : q;
    });
  const filter = access.rows
    ? ` where ${dialect.quote(access.rows.column)} in (${access.rows.in.map((v) => literal(v, dialect)).join(', ')})`
    : '';
  return `select ${columns.join(', ')} from ${source}${filter}`;
}

/**
 * An access mask is an anonymization operator (`core/privacy/operators.ts`) under a short name:
 * `hash`, `last4` (mask keeping 4), `redact`. The key-free ones only: a view's text is readable in
 * the catalog, so a pseudonym key cannot go there.
 */
export const maskOperators: Readonly<Record<Mask, Anonymize>> = {
  hash: { method: 'hash' },
  last4: { method: 'mask', keep: 4 },
  redact: { method: 'redact' },
};

/** A masked value is text, and NULL stays NULL so completeness still reads true. */
export function maskExpression(mask: Mask, column: string, dialect: SqlDialect): string {
  return operatorSql(maskOperators[mask], column, dialect);
}

function literal(value: string | number | boolean, dialect: SqlDialect): string {
  return typeof value === 'string' ? dialect.string(value) : String(value);
}
