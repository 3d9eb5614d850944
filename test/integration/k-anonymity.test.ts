import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAthenaDialect } from '../helpers/athena';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import {
  equivalenceClassesSql,
  exportPlan,
  kAnonymitySql,
  kAnonymitySummary,
  kAnonymityVerdict,
  quasiIdentifiers,
  smallestClassesSql,
  unreadableValuesNotes,
  unreadableValuesSql,
  type KAnonymityCounts,
} from '../../lambdas/core/privacy/k-anonymity';
import { testContract } from '../helpers/contracts';

/**
 * People whose age and postal code the contract generalizes: 10-year bands and 3-character
 * areas. 20 rows: ages 20-29 in area 941 (8 rows), 30-39 in 941 (7), 30-39 in 100 (4), and one
 * 70-year-old in 100.
 */
const contract = testContract(
  'gold.people',
  'gold.people',
  `      - { name: person_id, logicalType: integer, physicalType: BIGINT, classification: internal }
      - { name: email, logicalType: string, physicalType: VARCHAR, classification: pii, customProperties: [{ property: anonymize, value: { method: pseudonym } }] }
      - { name: full_name, logicalType: string, physicalType: VARCHAR, classification: pii }
      - { name: age, logicalType: integer, physicalType: INTEGER, classification: internal, customProperties: [{ property: anonymize, value: { method: generalize, to: band, width: 10 } }] }
      - { name: postal_code, logicalType: string, physicalType: VARCHAR, classification: internal, customProperties: [{ property: anonymize, value: { method: generalize, to: prefix, length: 3 } }] }
      - { name: gender, logicalType: string, physicalType: VARCHAR, classification: internal }`,
);

const people = [
  ...Array.from({ length: 8 }, (_, i) => [20 + i, `9410${i}`, i % 2 ? 'f' : 'm']),
  ...Array.from({ length: 7 }, (_, i) => [30 + i, `9411${i}`, i % 2 ? 'f' : 'm']),
  ...Array.from({ length: 4 }, (_, i) => [31 + i, `1000${i}`, 'f']),
  [71, '10001', 'm'],
] as const;

let instance: DuckDBInstance;
let connection: DuckDBConnection;
const query = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson();
const key = new Uint8Array(32).fill(3);

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await connection.run(
    `create table people as select * from (values ${people
      .map(
        ([age, zip, gender], i) =>
          `(${i + 1}, 'p${i + 1}@example.com', 'Person ${i + 1}', ${age}, '${zip}', '${gender}')`,
      )
      .join(', ')}) t(person_id, email, full_name, age, postal_code, gender)`,
  );
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

const check = async (columns: string[], k: number) => {
  const quasi = quasiIdentifiers(contract, columns);
  const classes = equivalenceClassesSql('people', quasi, duckdbDialect, key);
  const [counts] = await query(kAnonymitySql(classes, k));
  return {
    verdict: kAnonymityVerdict(counts as unknown as KAnonymityCounts, k, quasi),
    smallest: await query(smallestClassesSql(classes, quasi, duckdbDialect, 2)),
  };
};

describe('k-anonymity over generalized quasi-identifiers', () => {
  it('groups by the age band and postal area the contract generalizes to', async () => {
    const { verdict, smallest } = await check(['age', 'postal_code'], 4);
    expect(verdict).toMatchObject({
      rows: 20,
      classes: 4,
      smallestClass: 1,
      classesBelowK: 1,
      rowsBelowK: 1,
      satisfied: false,
    });
    expect(smallest).toEqual([
      { age: '70-79', postal_code: '100', _size: '1' },
      { age: '30-39', postal_code: '100', _size: '4' },
    ]);
  });

  it('is met when every class holds at least k rows', async () => {
    const { verdict } = await check(['postal_code'], 5);
    expect(verdict).toMatchObject({ classes: 2, smallestClass: 5, satisfied: true });
  });

  it('counts every class and row below k, with a summary that says so', async () => {
    const { verdict } = await check(['age', 'postal_code', 'gender'], 5);
    expect(verdict).toMatchObject({ rows: 20, classes: 6, rowsBelowK: 20, classesBelowK: 6 });
    expect(kAnonymitySummary('gold.people', verdict)).toBe(
      'gold.people is NOT 5-anonymous over age, postal_code, gender: 6 of 6 classes hold fewer than 5 rows (20 of 20 rows, 100.0%); the smallest holds 1',
    );
  });

  it('finds an empty dataset anonymous, and says it is empty', async () => {
    const quasi = quasiIdentifiers(contract, ['gender']);
    const classes = equivalenceClassesSql(
      '(select * from people where false)',
      quasi,
      duckdbDialect,
    );
    const [counts] = await query(kAnonymitySql(classes, 5));
    const verdict = kAnonymityVerdict(counts as unknown as KAnonymityCounts, 5, quasi);
    expect(verdict).toMatchObject({ rows: 0, classes: 0, smallestClass: null, satisfied: true });
    expect(kAnonymitySummary('gold.people', verdict)).toBe(
      'gold.people is empty: nothing to re-identify over gender',
    );
  });

  it('names a quasi-identifier the contract does not have, with the columns it has', () => {
    expect(() => quasiIdentifiers(contract, ['age', 'zip'])).toThrow(
      'gold.people.yaml: gold.people has no column zip (columns: person_id, email, full_name, age, postal_code, gender)',
    );
    expect(() => quasiIdentifiers(contract, [])).toThrow(/at least one quasi-identifier/);
  });

  it('groups on Athena with the same SQL, valid Trino', () => {
    const athena = testAthenaDialect();
    const quasi = quasiIdentifiers(contract, ['email', 'age', 'postal_code', 'gender']);
    const classes = equivalenceClassesSql(athena.relation('gold.people'), quasi, athena, key);
    const parser = new TrinoSQL();
    expect(parser.validate(kAnonymitySql(classes, 5))).toEqual([]);
    expect(parser.validate(smallestClassesSql(classes, quasi, athena, 10))).toEqual([]);
  });
});

describe('values an operator cannot read', () => {
  it('are counted per column, so an export or a check says what became NULL', async () => {
    const columns = [
      { name: 'age', operator: contract.column('age')!.anonymize! },
      { name: 'postal_code', operator: contract.column('postal_code')!.anonymize! },
      { name: 'gender' },
    ];
    const sql = unreadableValuesSql(
      `(select * from (values ('37', 'A1', 'f'), ('old', 'B2', 'm'), (null, null, null), ('x', 'C3', 'f')) t(age, postal_code, gender))`,
      columns,
      duckdbDialect,
    )!;
    const [counts] = await query(sql);
    // A prefix reads any text: only the band can fail.
    expect(counts).toEqual({ age: '2' });
    expect(unreadableValuesNotes(counts!)).toEqual([
      'age: 2 value(s) the operator could not read became NULL',
    ]);
    expect(unreadableValuesSql('people', [{ name: 'gender' }], duckdbDialect)).toBeUndefined();
  });
});

describe('the SELECT an anonymized export writes', () => {
  it('applies each declared operator, keeps undeclared non-pii columns, and leaves undeclared pii out', async () => {
    const plan = exportPlan(contract, 'people', duckdbDialect, key);
    expect(plan.leftOut).toEqual(['full_name']);
    expect(plan.columns.map((c) => c.name)).toEqual([
      'person_id',
      'email',
      'age',
      'postal_code',
      'gender',
    ]);
    const [first] = await query(`${plan.select} order by person_id limit 1`);
    expect(first).toEqual({
      person_id: 1,
      email: expect.stringMatching(/^[0-9a-f]{64}$/),
      age: '20-29',
      postal_code: '941',
      gender: 'm',
    });
  });

  it('refuses a dataset whose every column is pii without an operator', () => {
    const secret = testContract(
      'gold.secret',
      'gold.secret',
      '      - { name: full_name, logicalType: string, physicalType: VARCHAR, classification: pii }',
    );
    expect(() => exportPlan(secret, 'secret', duckdbDialect)).toThrow(
      /every column of gold\.secret is pii without an anonymize operator/,
    );
  });
});
