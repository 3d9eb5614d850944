import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import {
  jsonKeysByKind,
  parseSubject,
  resolveIdentifiers,
  scrubProfile,
  scrubSample,
  searchTables,
  subjectCondition,
  subjectKindsByColumn,
  textPattern,
  type Identifiers,
  type SearchTable,
} from '../../lambdas/core/privacy/subjects';
import { testContract } from '../helpers/contracts';

const customers = testContract(
  'silver.customers',
  'silver.customers',
  `      - { name: customer_id, logicalType: integer, physicalType: BIGINT, customProperties: [{ property: subject, value: customer_id }] }
      - { name: email, logicalType: string, physicalType: VARCHAR, customProperties: [{ property: subject, value: email }] }
      - { name: city, logicalType: string, physicalType: VARCHAR }`,
);
const orders = testContract(
  'silver.orders',
  'silver.orders',
  `      - { name: order_id, logicalType: integer, physicalType: BIGINT, customProperties: [{ property: subject, value: order_id }] }
      - { name: customer_id, logicalType: integer, physicalType: BIGINT, customProperties: [{ property: subject, value: customer_id }] }
      - { name: amount, logicalType: number, physicalType: DOUBLE }`,
);
const contracts = new ContractRegistry([customers, orders]);
const kinds = new Set(subjectKindsByColumn(contracts).values());
const ids = (entries: Record<string, string[]>): Identifiers =>
  new Map(Object.entries(entries).map(([k, v]) => [k, new Set(v)]));
const column = (name: string, type = 'VARCHAR') => ({ name, type });

describe('naming the subject of a request', () => {
  it('reads an email as an email and anything else as a customer id, normalized', () => {
    expect(parseSubject(' Ann@Example.COM ', kinds)).toEqual({
      kind: 'email',
      value: 'ann@example.com',
    });
    expect(parseSubject('21', kinds)).toEqual({ kind: 'customer_id', value: '21' });
    expect(parseSubject('order_id=42', kinds)).toEqual({ kind: 'order_id', value: '42' });
  });

  it('refuses a kind no contract declares, listing the declared ones', () => {
    expect(() => parseSubject('passport=X1', kinds)).toThrow(
      'no contract declares a column as subject passport (declared kinds: customer_id, email, order_id',
    );
  });

  it('reads the kind from the column’s ODCS custom property, and refuses one that is not a name', () => {
    expect(customers.column('email')?.subject).toBe('email');
    expect(customers.column('city')?.subject).toBeUndefined();
    expect(() =>
      testContract(
        'silver.people',
        'silver.people',
        `      - { name: email, logicalType: string, physicalType: VARCHAR, customProperties: [{ property: subject, value: E-mail }] }`,
      ),
    ).toThrow(
      /customProperties[\s\S]*a subject kind in lower_snake_case for column email[\s\S]*"E-mail"/,
    );
  });

  it('refuses a column name declared as two kinds by two contracts', () => {
    const clash = testContract(
      'gold.people',
      'gold.people',
      `      - { name: email, logicalType: string, physicalType: VARCHAR, customProperties: [{ property: subject, value: contact }] }`,
    );
    expect(() => subjectKindsByColumn(new ContractRegistry([customers, clash]))).toThrow(
      'column email is subject contact, but another contract declares email as subject email',
    );
  });
});

describe('the tables a request searches', () => {
  const tables = searchTables(
    [
      {
        relation: 'silver.customers',
        columns: [column('customer_id', 'BIGINT'), column('email'), column('city')],
      },
      { relation: 'gold.customers__v20260101000000000_abcdef12', columns: [column('email')] },
      {
        relation: 'quarantine.orders',
        columns: [column('order_id', 'BIGINT'), column('_extra', 'JSON'), column('_reason')],
      },
      {
        relation: 'changelog.silver_orders',
        columns: [column('order_id', 'BIGINT'), column('_change_type')],
      },
      { relation: 'audit.dq_results', columns: [column('sample')] },
      { relation: 'audit.dq_profiles', columns: [column('min_value')] },
      { relation: 'audit.runs', columns: [column('run_id'), column('error')] },
      { relation: 'seeds.countries', columns: [column('name')] },
    ],
    contracts,
  );
  const byName = new Map(tables.map((t) => [t.relation, t]));

  it('takes subject columns from the contract, and by name where there is none', () => {
    expect(byName.get('silver.customers')).toEqual({
      relation: 'silver.customers',
      role: 'rows',
      subjectColumns: [
        { name: 'customer_id', kind: 'customer_id' },
        { name: 'email', kind: 'email' },
      ],
      textColumns: ['city'],
    });
    expect(byName.get('quarantine.orders')!.subjectColumns).toEqual([
      { name: 'order_id', kind: 'order_id' },
    ]);
    expect(byName.get('quarantine.orders')!.textColumns).toEqual(['_extra', '_reason']);
    expect(byName.get('changelog.silver_orders')!.subjectColumns).toEqual([
      { name: 'order_id', kind: 'order_id' },
    ]);
  });

  it('searches model versions, scrubs audit samples and profiles, only verifies other audit tables, skips seeds', () => {
    expect(byName.get('gold.customers__v20260101000000000_abcdef12')!.role).toBe('rows');
    expect(byName.get('audit.dq_results')!.role).toBe('samples');
    expect(byName.get('audit.dq_profiles')!.role).toBe('profiles');
    expect(byName.get('audit.runs')).toMatchObject({
      role: 'verify',
      textColumns: ['run_id', 'error'],
    });
    expect(byName.has('seeds.countries')).toBe(false);
  });
});

describe('matching text about the subject', () => {
  const pattern = new RegExp(
    `^${textPattern(ids({ email: ['ann@x.com'], customer_id: ['21'] }), jsonKeysByKind(contracts))!}$`,
  );

  it('finds a distinctive identifier anywhere, but not inside a longer address', () => {
    expect(pattern.test('{"contact":"ann@x.com","n":1}')).toBe(true);
    expect(pattern.test('line one\nwrote to ann@x.com today')).toBe(true);
    expect(pattern.test('{"contact":"joann@x.com"}')).toBe(false);
    expect(pattern.test('{"contact":"ann@x.com.au"}')).toBe(false);
  });

  it('finds a short id only as a JSON field of its kind', () => {
    expect(pattern.test('{"order_id":7,"customer_id": 21,"amount":3}')).toBe(true);
    expect(pattern.test('{"customer_id":"21"}')).toBe(true);
    expect(pattern.test('{"customer_id":210}')).toBe(false);
    expect(pattern.test('{"amount":21,"customer_id":3}')).toBe(false);
  });

  it('builds one SQL condition over subject columns and text columns; none without identifiers', () => {
    const table: SearchTable = {
      relation: 'silver.customers',
      role: 'rows',
      subjectColumns: [{ name: 'email', kind: 'email' }],
      textColumns: ['city'],
    };
    const sql = subjectCondition(table, ids({ email: ["o'neil@x.com"] }), duckdbDialect, new Map());
    expect(sql).toContain(`lower(trim(cast("email" as varchar))) in ('o''neil@x.com')`);
    expect(sql).toContain('regexp_full_match(lower(cast("city" as varchar))');
    expect(subjectCondition(table, ids({ order_id: ['1'] }), duckdbDialect, new Map())).toBe(
      undefined,
    );
  });
});

describe('resolving every identifier of a person', () => {
  const tables = searchTables(
    [
      { relation: 'silver.customers', columns: [column('customer_id', 'BIGINT'), column('email')] },
      {
        relation: 'silver.orders',
        columns: [column('order_id', 'BIGINT'), column('customer_id', 'BIGINT')],
      },
    ],
    contracts,
  );
  const data: Record<string, Record<string, unknown>[]> = {
    'silver.customers': [
      { customer_id: 21, email: 'ann@x.com' },
      { customer_id: 22, email: 'bob@x.com' },
    ],
    'silver.orders': [
      { order_id: 1, customer_id: 21 },
      { order_id: 2, customer_id: 22 },
      { order_id: 3, customer_id: 21 },
    ],
  };
  // A fake engine: the rows whose subject columns hold one of the values the condition lists.
  const valuesIn = (condition: string, name: string) =>
    new Set(
      [
        ...(
          new RegExp(`"${name}" as varchar\\)\\)\\) in \\(([^)]*)\\)`).exec(condition)?.[1] ?? ''
        ).matchAll(/'([^']*)'/g),
      ].map((m) => m[1]),
    );
  const fetch = (table: SearchTable, condition: string) =>
    Promise.resolve(
      data[table.relation]!.filter((row) =>
        table.subjectColumns.some((c) => valuesIn(condition, c.name).has(String(row[c.name]))),
      ),
    );

  it('follows links transitively: email → customer id → that customer’s orders, and no one else’s', async () => {
    const resolved = await resolveIdentifiers(
      [{ kind: 'email', value: 'Ann@X.com' }],
      tables,
      duckdbDialect,
      fetch,
    );
    expect(Object.fromEntries([...resolved].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      email: ['ann@x.com'],
      customer_id: ['21'],
      order_id: ['1', '3'],
    });
  });
  it('repeats until nothing new turns up: an order id leads back to the email through a later table', async () => {
    const resolved = await resolveIdentifiers(
      [{ kind: 'order_id', value: '3' }],
      tables,
      duckdbDialect,
      fetch,
    );
    expect(resolved.get('email')).toEqual(new Set(['ann@x.com']));
    expect(resolved.get('order_id')).toEqual(new Set(['1', '3']));
  });
});

describe('scrubbing audit values', () => {
  const kindOfKey = subjectKindsByColumn(contracts);
  const subject = ids({ email: ['ann@x.com'], customer_id: ['21'], order_id: ['7'] });

  it('removes the subject’s rows from a failing-row sample and keeps the others', () => {
    const sample = JSON.stringify([
      { order_id: 7, customer_id: 21 },
      { order_id: 8, customer_id: 22 },
      { note: 'wrote ann@x.com' },
    ]);
    expect(scrubSample(sample, subject, kindOfKey)).toEqual({
      sample: JSON.stringify([{ order_id: 8, customer_id: 22 }]),
      removed: 2,
    });
    expect(scrubSample('[{"order_id":8}]', subject, kindOfKey)).toBeUndefined();
    expect(scrubSample('not json: ann@x.com', subject, kindOfKey)).toEqual({
      sample: null,
      removed: 1,
    });
  });

  it('blanks a profile’s extreme and frequent values that are the subject’s identifiers', () => {
    expect(
      scrubProfile(
        {
          column_name: 'customer_id',
          min_value: '21',
          max_value: '30',
          top_values: JSON.stringify([
            { value: '21', count: 4 },
            { value: '5', count: 2 },
          ]),
        },
        subject,
        kindOfKey,
      ),
    ).toEqual({
      min_value: null,
      max_value: '30',
      top_values: JSON.stringify([{ value: '5', count: 2 }]),
    });
    expect(
      scrubProfile(
        { column_name: 'amount', min_value: '21', max_value: '40', top_values: '[]' },
        subject,
        kindOfKey,
      ),
    ).toBeUndefined();
  });
});
