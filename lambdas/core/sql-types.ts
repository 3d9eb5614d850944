/**
 * The portable SQL types contracts declare, the ones every engine of the platform maps (Athena
 * and Glue, DuckDB, the warehouses): a type outside this list would only fail once a run reached
 * the engine, or worse, be read differently by each.
 */

/** The type names besides `DECIMAL(precision,scale)`. */
export const portableTypeNames = [
  'VARCHAR',
  'BIGINT',
  'INTEGER',
  'DOUBLE',
  'BOOLEAN',
  'DATE',
  'TIMESTAMP',
] as const;
export type PortableTypeName = (typeof portableTypeNames)[number];

const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/;

/** Why `type` is not a portable type, with a guess at the one meant; undefined when it is one. */
export function portableTypeProblem(type: string): string | undefined {
  const decimalMatch = decimal.exec(type);
  if (decimalMatch) {
    const [precision, scale] = [Number(decimalMatch[1]), Number(decimalMatch[2])];
    return precision >= 1 && precision <= 38 && scale <= precision
      ? undefined
      : `DECIMAL precision is 1 to 38 and scale at most the precision, not ${type}`;
  }
  if ((portableTypeNames as readonly string[]).includes(type)) return undefined;
  const known = `${portableTypeNames.join(', ')} or DECIMAL(p,s)`;
  const guess = closest(type.replace(/\(.*$/, ''), [...portableTypeNames, 'DECIMAL']);
  return `${type} is not a type the platform supports (${known})${guess ? `; did you mean ${guess === 'DECIMAL' ? 'DECIMAL(p,s)' : guess}?` : ''}`;
}

/** Kinds of values: a column may be written from another type of its kind, or as noted below. */
type TypeFamily =
  'text' | 'integer' | 'number' | 'boolean' | 'date' | 'timestamp' | 'null' | 'other';

/** The family of a portable or engine type (DuckDB's `TIMESTAMP WITH TIME ZONE`, `HUGEINT`...). */
export function typeFamily(type: string): TypeFamily {
  const t = type.toUpperCase().replace(/^"|"$/g, '');
  // A NULL literal: DuckDB's type for it, and Athena's.
  if (t === 'NULL' || t === 'UNKNOWN') return 'null';
  if (/^(VARCHAR|STRING|TEXT|CHAR)\b/.test(t)) return 'text';
  if (/^U?(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT)$/.test(t)) return 'integer';
  if (/^(DECIMAL|NUMERIC|DOUBLE|FLOAT|REAL)\b/.test(t)) return 'number';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DATE') return 'date';
  if (/^TIMESTAMP\b/.test(t)) return 'timestamp';
  return 'other';
}

/**
 * Whether a model's column of type `produced` may be stored in a contract column of type
 * `declared`: the same family, a wider one (an integer as a number, a date as a timestamp), or a
 * NULL literal. Text never silently becomes a number or a date, nor a number text: the contract's
 * rules (lengths, patterns, ranges) would meet a type they were not written for.
 */
export function storableAs(produced: string, declared: string): boolean {
  const [from, to] = [typeFamily(produced), typeFamily(declared)];
  if (from === 'null' || from === to) return true;
  return (from === 'integer' && to === 'number') || (from === 'date' && to === 'timestamp');
}

/** The candidate within two edits of `word`, if one is. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toUpperCase(), candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}
