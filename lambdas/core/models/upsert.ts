/**
 * The portable spelling of an {@link Upsert}: one MERGE, as Athena runs it on Iceberg (which
 * writes delete files and new data files, and rewrites nothing in place).
 */
import type { Upsert } from '../ports';

export function mergeStatement(u: Upsert, quote: (identifier: string) => string): string {
  const updated = u.columns.filter((c) => !u.keys.includes(c));
  return `merge into ${u.target} t using ${u.source} s on ${u.on}
    when matched and s._deleted and ${u.replaces} then delete
    when matched and not s._deleted and ${u.replaces} then update set ${updated
      .map((c) => `${quote(c)} = s.${quote(c)}`)
      .join(', ')}
    when not matched and not s._deleted then insert (${u.columns.map(quote).join(', ')}) values (${u.columns.map((c) => `s.${quote(c)}`).join(', ')})`;
}
