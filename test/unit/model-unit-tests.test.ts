import { describe, expect, it } from 'vitest';
import { keyOnlyContract } from '../helpers/contracts';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { ConfigError } from '../../lambdas/core/errors';
import { loadModelProject } from '../../lambdas/core/models/project';
import {
  compareRows,
  formatDiff,
  isEmptyDiff,
  parseInputKey,
  parseModelTests,
  testFileOf,
} from '../../lambdas/core/models/unit-tests';

const contracts = new ContractRegistry(
  ['bronze.shop_orders', 'silver.orders', 'gold.revenue'].map(keyOnlyContract),
);
const project = loadModelProject(
  [
    {
      sqlPath: 'models/silver/orders.sql',
      sql: "select id from {{ source('shop', 'orders') }}",
      ymlPath: 'models/silver/orders.yml',
      yml: 'description: d\nmaterialization: incremental\nunique_key: [id]\n',
    },
    {
      sqlPath: 'models/gold/revenue.sql',
      sql: "select id from {{ ref('silver.orders') }} o join {{ changes('silver.orders') }} c using (id)",
      ymlPath: 'models/gold/revenue.yml',
      yml: 'description: d\nmaterialization: table\n',
    },
  ],
  [],
  contracts,
);
const revenue = project.get('gold.revenue');
const orders = project.get('silver.orders');

describe('model test files', () => {
  it('sit next to the model', () => {
    expect(testFileOf(revenue)).toBe('models/gold/revenue.test.yml');
  });

  it('read inputs written as the template calls them, either quote, spaces or not', () => {
    expect(parseInputKey("ref('silver.orders')")).toEqual({ kind: 'ref', name: 'silver.orders' });
    expect(parseInputKey('changes( "silver.orders" )')).toEqual({
      kind: 'changes',
      name: 'silver.orders',
    });
    expect(parseInputKey("source('shop','orders')")).toEqual({
      kind: 'source',
      source: 'shop',
      dataset: 'orders',
    });
    expect(parseInputKey('this')).toEqual({ kind: 'this' });
    expect(parseInputKey('silver.orders')).toBeUndefined();
  });

  it('parse cases with the run date defaulted and the inputs resolved', () => {
    const tests = parseModelTests(
      `cases:
  - name: sums
    given:
      ref('silver.orders'): [{ id: 1 }]
      changes('silver.orders'): [{ id: 1, _changed_at: 2026-01-01 00:00:00 }]
    expect: [{ id: 1 }]
  - name: by query
    vars: { run_date: 2026-03-02 }
    expect_sql: select 1 as id
`,
      'models/gold/revenue.test.yml',
      revenue,
    );
    expect(tests.cases).toEqual([
      {
        name: 'sums',
        runDate: '2026-01-01',
        given: [
          {
            input: { kind: 'ref', name: 'silver.orders' },
            key: "ref('silver.orders')",
            rows: [{ id: 1 }],
          },
          {
            input: { kind: 'changes', name: 'silver.orders' },
            key: "changes('silver.orders')",
            rows: [{ id: 1, _changed_at: '2026-01-01 00:00:00' }],
          },
        ],
        expect: [{ id: 1 }],
      },
      { name: 'by query', runDate: '2026-03-02', given: [], expectSql: 'select 1 as id' },
    ]);
  });

  it('name the file and the path of every problem', () => {
    const problems = (text: string, model = revenue) => {
      try {
        parseModelTests(text, 'models/x.test.yml', model);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).file).toBe('models/x.test.yml');
        return (error as ConfigError).problems.map((p) => `${p.path}: ${p.expected}`);
      }
      throw new Error('no error');
    };
    expect(
      problems(`cases:
  - name: a
    expect: [{ id: 1 }]
    expect_sql: select 1
  - name: a
    vars: { run_date: yesterday }
    given: { 'silver.orders': [] }
    expect: []
`),
    ).toEqual([
      'cases.0.expect: either expect (rows) or expect_sql (a query), not both',
      'cases.1.vars.run_date: Invalid ISO date',
      "cases.1.given.silver.orders: an input: this, ref('layer.name'), source('source', 'dataset') or changes('layer.name')",
      'cases.1.name: a name no other case of the file has',
    ]);
    expect(
      problems(`cases:
  - name: a
    given: { "ref('gold.other')": [], this: [] }
    expect: []
`),
    ).toEqual([
      "cases.0.given.ref('gold.other'): an input gold.revenue reads (ref('silver.orders'), changes('silver.orders'))",
      'cases.0.given.this: an input of gold.revenue: this (the table before the run) only exists for incremental and scd2 models, and table models that ask is_incremental()',
    ]);
  });

  it('let an incremental model be given this, the table before the run, and its sources', () => {
    const tests = parseModelTests(
      `cases:\n  - { name: a, given: { this: [{ id: 2 }], "source('shop', 'orders')": [] }, expect: [] }\n`,
      'models/silver/orders.test.yml',
      orders,
    );
    expect(tests.cases[0]!.given.map((g) => g.input.kind)).toEqual(['this', 'source']);
  });
});

describe('comparing rows', () => {
  const columns = ['id', 'city', 'amount'];

  it('ignores order and counts duplicates', () => {
    const a = { id: 1, city: 'Paris', amount: '1.50' };
    const b = { id: 2, city: null, amount: null };
    expect(isEmptyDiff(compareRows([a, b], [b, a], columns, ['id']))).toBe(true);
    expect(compareRows([a, a], [a], columns)).toEqual({
      missing: [a],
      unexpected: [],
      changed: [],
    });
  });

  it('tells NULL from the text null', () => {
    const diff = compareRows(
      [{ id: 1, city: null, amount: null }],
      [{ id: 1, city: 'null', amount: null }],
      columns,
    );
    expect(diff.missing).toHaveLength(1);
    expect(diff.unexpected).toHaveLength(1);
  });

  it('reports rows that share a key as changed cells, the rest as missing and unexpected', () => {
    const diff = compareRows(
      [
        { id: 1, city: 'London', amount: 10 },
        { id: 2, city: 'Paris', amount: 5 },
      ],
      [
        { id: 1, city: 'Cambridge', amount: 10 },
        { id: 3, city: 'Rome', amount: 7 },
      ],
      columns,
      ['id'],
    );
    expect(diff).toEqual({
      changed: [
        { key: { id: 1 }, cells: [{ column: 'city', expected: 'London', actual: 'Cambridge' }] },
      ],
      missing: [{ id: 2, city: 'Paris', amount: 5 }],
      unexpected: [{ id: 3, city: 'Rome', amount: 7 }],
    });
    expect(formatDiff(diff)).toBe(
      [
        '1 changed, 1 missing, 1 unexpected row(s)',
        'changed rows (1):',
        '  ~ { id: 1 }: city: "London" → "Cambridge"',
        'missing rows, expected but not returned (1):',
        '  - { id: 2, city: "Paris", amount: 5 }',
        'unexpected rows, returned but not expected (1):',
        '  + { id: 3, city: "Rome", amount: 7 }',
      ].join('\n'),
    );
  });

  it('pairs nothing when the key is not compared or a key is ambiguous', () => {
    const expected = [{ id: 1, city: 'A', amount: 1 }];
    const actual = [{ id: 1, city: 'B', amount: 1 }];
    expect(compareRows(expected, actual, ['city', 'amount'], ['id']).changed).toEqual([]);
    const twice = compareRows([...expected, { id: 1, city: 'C', amount: 1 }], actual, columns, [
      'id',
    ]);
    expect(twice.changed).toEqual([]);
    expect(twice.missing).toHaveLength(2);
  });

  it('compares only the columns named, a cell not given being NULL', () => {
    const diff = compareRows(
      [{ id: 1 }],
      [{ id: 1, city: 'x', amount: 3 }],
      ['id', 'city'],
      ['id'],
    );
    expect(diff.changed).toEqual([
      { key: { id: 1 }, cells: [{ column: 'city', expected: null, actual: 'x' }] },
    ]);
  });
});
