import { describe, expect, it } from 'vitest';
import { portableTypeProblem, storableAs } from '../../lambdas/core/sql-types';

describe('portable SQL types', () => {
  it.each([
    'VARCHAR',
    'BIGINT',
    'INTEGER',
    'DOUBLE',
    'BOOLEAN',
    'DATE',
    'TIMESTAMP',
    'DECIMAL(12,2)',
  ])('%s is a type every engine maps', (type) => expect(portableTypeProblem(type)).toBeUndefined());

  it('a misspelt type gets the closest known one; a foreign one the list', () => {
    expect(portableTypeProblem('INTEGR')).toMatch(/; did you mean INTEGER\?$/);
    expect(portableTypeProblem('TIMESTMP')).toMatch(/; did you mean TIMESTAMP\?$/);
    expect(portableTypeProblem('DECIMEL(12,2)')).toMatch(/; did you mean DECIMAL\(p,s\)\?$/);
    expect(portableTypeProblem('JSONB')).toBe(
      'JSONB is not a type the platform supports (VARCHAR, BIGINT, INTEGER, DOUBLE, BOOLEAN, DATE, TIMESTAMP or DECIMAL(p,s))',
    );
    expect(portableTypeProblem('DECIMAL(4,6)')).toMatch(/scale at most the precision/);
  });

  it('a model column may be stored as its own kind, a wider one, or from a NULL literal', () => {
    expect(storableAs('INTEGER', 'BIGINT')).toBe(true);
    expect(storableAs('BIGINT', 'DECIMAL(18,2)')).toBe(true);
    expect(storableAs('DECIMAL(38,4)', 'DOUBLE')).toBe(true);
    expect(storableAs('DATE', 'TIMESTAMP')).toBe(true);
    expect(storableAs('TIMESTAMP WITH TIME ZONE', 'TIMESTAMP')).toBe(true);
    expect(storableAs('"NULL"', 'DATE')).toBe(true);
    expect(storableAs('UNKNOWN', 'DATE')).toBe(true);
    expect(storableAs('varchar', 'VARCHAR')).toBe(true);
  });

  it('text never silently becomes a number or a date, nor a number text', () => {
    expect(storableAs('INTEGER', 'VARCHAR')).toBe(false);
    expect(storableAs('VARCHAR', 'BIGINT')).toBe(false);
    expect(storableAs('VARCHAR', 'DATE')).toBe(false);
    expect(storableAs('DOUBLE', 'INTEGER')).toBe(false);
    expect(storableAs('TIMESTAMP', 'DATE')).toBe(false);
    expect(storableAs('BOOLEAN', 'INTEGER')).toBe(false);
  });
});
