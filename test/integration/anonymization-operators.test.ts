import { randomBytes } from 'node:crypto';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAthenaDialect } from '../helpers/athena';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import { keyedHash } from '../../lambdas/core/privacy/keyed-hash';
import {
  anonymizeSchema,
  operatorSql,
  pseudonym,
  pseudonymKey,
  withoutKeys,
  type Anonymize,
} from '../../lambdas/core/privacy/operators';

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

/** Each value through the operator on DuckDB, in order. `type` is the column's SQL type. */
async function apply(
  operator: Anonymize,
  values: readonly (string | number | null)[],
  type = 'VARCHAR',
  key?: Uint8Array,
): Promise<unknown[]> {
  const rows = values
    .map(
      (v, i) => `(${i}, cast(${v === null ? 'null' : duckdbDialect.string(String(v))} as ${type}))`,
    )
    .join(', ');
  const sql = `select cast(${operatorSql(operator, 'v', duckdbDialect, key)} as varchar) as out from (values ${rows}) t(i, v) order by i`;
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson().map((r) => r.out);
}

const athena = testAthenaDialect();

describe('the pseudonym operator', () => {
  const key = randomBytes(32);
  const values = [
    'ann@example.com',
    '  Ann@Example.COM ',
    '\tann@example.com\n',
    '\u00a0Zoë.Ümlaut@example.de\u3000',
    '',
    "o'brien@example.ie",
    'x'.repeat(200),
  ];

  it('gives on DuckDB exactly what the TypeScript pseudonym gives, for every spelling', async () => {
    expect(await apply({ method: 'pseudonym' }, values, 'VARCHAR', key)).toEqual(
      values.map((v) => pseudonym(key, v)),
    );
  });

  it('is the keyed hash under a key derived from the privacy key, never the privacy key itself', () => {
    const derived = pseudonymKey(key);
    expect(Buffer.from(derived).equals(key)).toBe(false);
    expect(pseudonym(key, 'Ann@x.com')).toBe(keyedHash(derived, 'ann@x.com'));
    expect(operatorSql({ method: 'pseudonym' }, 'v', duckdbDialect, key)).not.toContain(
      key.toString('hex'),
    );
  });

  it('hashes keys longer than a SHA-256 block first, as RFC 2104 says', async () => {
    const { createHmac } = await import('node:crypto');
    const long = randomBytes(100);
    const sql = `select ${duckdbDialect.hmacSha256Hex("'abc'", long)} as h`;
    const [row] = (await connection.runAndReadAll(sql)).getRowObjectsJson();
    expect(row!.h).toBe(createHmac('sha256', long).update('abc').digest('hex'));
  });

  it('keeps NULL as NULL', async () => {
    expect(await apply({ method: 'pseudonym' }, [null], 'VARCHAR', key)).toEqual([null]);
  });

  it('pseudonymizes numbers by their text, as the TypeScript does', async () => {
    expect(await apply({ method: 'pseudonym' }, [42], 'BIGINT', key)).toEqual([
      pseudonym(key, '42'),
    ]);
  });

  it('refuses to render without the privacy key, saying where it comes from', () => {
    expect(() => operatorSql({ method: 'pseudonym' }, 'v', duckdbDialect)).toThrow(
      /needs the privacy key/,
    );
  });

  it('is Athena’s documented hmac_sha256(varbinary, key) and valid Trino SQL', () => {
    const sql = operatorSql({ method: 'pseudonym' }, '"email"', athena, key);
    expect(sql).toContain(`hmac_sha256(to_utf8(lower(regexp_replace(cast("email" as varchar), `);
    expect(sql).toContain(`from_hex('${Buffer.from(pseudonymKey(key)).toString('hex')}')`);
    expect(new TrinoSQL().validate(`select ${sql} as email from t`)).toEqual([]);
  });

  it('keeps the key out of error messages that quote the statement', () => {
    const sql = operatorSql({ method: 'pseudonym' }, 'v', duckdbDialect, key);
    const quoted = withoutKeys(`DuckDB: error\n--- while running:\n${sql}`);
    const derived = Buffer.from(pseudonymKey(key));
    expect(quoted).not.toMatch(/[0-9a-f]{64}/);
    expect(quoted).not.toContain(derived.toString('hex'));
    expect(quoted).toContain("unhex('<key>')");
  });
});

describe('the hash operator (the access policy’s hash mask)', () => {
  it('is the unkeyed SHA-256 of the trimmed, lower-cased text', async () => {
    const { createHash } = await import('node:crypto');
    expect(await apply({ method: 'hash' }, [' Ann@X.com\t', null])).toEqual([
      createHash('sha256').update('ann@x.com').digest('hex'),
      null,
    ]);
  });
});

describe('the mask operator', () => {
  it('keeps the last N characters and stars the rest', async () => {
    expect(
      await apply({ method: 'mask', keep: 4 }, ['4111111111111111', '+44 20 7946 0958']),
    ).toEqual(['************1111', '************0958']);
  });

  it('masks a value no longer than N whole, so a short value never shows', async () => {
    expect(await apply({ method: 'mask', keep: 4 }, ['1234', 'ab', '', null])).toEqual([
      '****',
      '**',
      '',
      null,
    ]);
  });

  it('keeps nothing with keep 0, and masks numbers by their text', async () => {
    expect(await apply({ method: 'mask', keep: 0 }, ['secret'])).toEqual(['******']);
    expect(await apply({ method: 'mask', keep: 2 }, [123456], 'BIGINT')).toEqual(['****56']);
  });

  it('defaults to keeping 4', () => {
    expect(anonymizeSchema.parse({ method: 'mask' })).toEqual({ method: 'mask', keep: 4 });
  });
});

describe('the redact operator', () => {
  it('replaces every value by *** and keeps NULL', async () => {
    expect(await apply({ method: 'redact' }, ['anything', '', null])).toEqual(['***', '***', null]);
  });
});

describe('the generalize operator', () => {
  it('turns a date into the first day of its month or year', async () => {
    const dates = ['2024-02-29', '1987-12-31', null];
    expect(await apply({ method: 'generalize', to: 'month' }, dates, 'DATE')).toEqual([
      '2024-02-01',
      '1987-12-01',
      null,
    ]);
    expect(await apply({ method: 'generalize', to: 'year' }, dates, 'DATE')).toEqual([
      '2024-01-01',
      '1987-01-01',
      null,
    ]);
  });

  it('generalizes timestamps and date text too, and a text that is no date to NULL, never to itself', async () => {
    expect(
      await apply({ method: 'generalize', to: 'month' }, ['2024-05-17 10:11:12'], 'TIMESTAMP'),
    ).toEqual(['2024-05-01']);
    expect(
      await apply({ method: 'generalize', to: 'year' }, ['2024-05-17', '2024-02-30', 'soon', '']),
    ).toEqual(['2024-01-01', null, null, null]);
  });

  it('keeps a prefix of a postal code, trimmed', async () => {
    expect(
      await apply({ method: 'generalize', to: 'prefix', length: 3 }, [
        ' SW1A 1AA',
        '94107',
        'AB',
        null,
      ]),
    ).toEqual(['SW1', '941', 'AB', null]);
  });

  it('puts a number in its band of the given width', async () => {
    expect(
      await apply({ method: 'generalize', to: 'band', width: 10 }, [
        '37',
        '30',
        '39.9',
        '0',
        '-5',
        'old',
        null,
      ]),
    ).toEqual(['30-39', '30-39', '30-39', '0-9', '-10--1', null, null]);
    expect(await apply({ method: 'generalize', to: 'band', width: 5 }, [42], 'INTEGER')).toEqual([
      '40-44',
    ]);
  });

  it('needs the length of a prefix and the width of a band', () => {
    expect(anonymizeSchema.safeParse({ method: 'generalize', to: 'prefix' }).success).toBe(false);
    expect(anonymizeSchema.safeParse({ method: 'generalize', to: 'band', width: 0 }).success).toBe(
      false,
    );
    expect(anonymizeSchema.safeParse({ method: 'generalize', to: 'week' }).success).toBe(false);
    expect(anonymizeSchema.safeParse({ method: 'scramble' }).success).toBe(false);
  });
});

describe('every operator in the Athena dialect', () => {
  const key = randomBytes(32);
  const operators: Anonymize[] = [
    { method: 'pseudonym' },
    { method: 'hash' },
    { method: 'mask', keep: 4 },
    { method: 'redact' },
    { method: 'generalize', to: 'month' },
    { method: 'generalize', to: 'year' },
    { method: 'generalize', to: 'prefix', length: 3 },
    { method: 'generalize', to: 'band', width: 10 },
  ];

  it.each(operators.map((o) => [JSON.stringify(o), o] as const))(
    '%s is valid Trino SQL',
    (_, o) => {
      const sql = `select ${operatorSql(o, '"c"', athena, key)} as c from "gold"."t"`;
      expect(new TrinoSQL().validate(sql)).toEqual([]);
    },
  );
});
