import { describe, expect, it } from 'vitest';
import { TrinoSQL } from 'dt-sql-parser';
import { lakeSchemas, type LakeSchema } from '../../config/layout';
import { athenaDialect } from '../../lambdas/adapters/aws/athena-dialect';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import { personaSelect } from '../../lambdas/core/access/masking';
import { operatorSql } from '../../lambdas/core/privacy/operators';
import {
  accessMatrix,
  parseAccessPolicy,
  persona,
  policyProblems,
  tableAccess,
  type LakeTable,
} from '../../lambdas/core/access/policy';
import { classifyTables, declaredTables } from '../../lambdas/core/access/tables';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { testContract } from '../helpers/contracts';

const policyText = `
personas:
  analyst:
    layers: [gold]
    columns: { public: clear, internal: clear, confidential: masked, pii: hidden }
    rows: { column: country_code, in: [US, CA] }
    workgroup: analytics
  analyst_eu:
    extends: analyst
    rows: { column: country_code, in: [DE] }
  auditor:
    layers: [gold, quarantine]
    exclude: [gold.secret_*]
    columns: { public: clear, internal: clear, confidential: masked, pii: masked }
  finance:
    tables: [gold.revenue]
    columns: { public: clear, internal: clear, confidential: clear, pii: hidden }
masking:
  columns: { phone: last4 }
environments:
  prod:
    auditor: { principals: ['arn:aws:iam::123456789012:role/Audit'] }
`;
const policy = (env = 'dev') => parseAccessPolicy(policyText, 'config/access.yaml', env);

const customers: LakeTable = {
  relation: 'gold.customers',
  columns: [
    { name: 'customer_id', classification: 'internal' },
    { name: 'email', classification: 'pii' },
    { name: 'phone', classification: 'pii' },
    { name: 'segment', classification: 'confidential' },
    { name: 'country_code', classification: 'public' },
  ],
};
const revenue: LakeTable = {
  relation: 'gold.revenue',
  columns: [
    { name: 'day', classification: 'public' },
    { name: 'revenue', classification: 'internal' },
  ],
};

describe('an access policy', () => {
  it('shows each column in clear, masked or not at all by its classification', () => {
    const access = tableAccess(policy(), persona(policy(), 'auditor'), customers)!;
    expect(access.columns.map((c) => [c.name, c.visibility, c.mask])).toEqual([
      ['customer_id', 'clear', undefined],
      ['email', 'masked', 'hash'],
      ['phone', 'masked', 'last4'],
      ['segment', 'masked', 'hash'],
      ['country_code', 'clear', undefined],
    ]);
  });

  it('filters rows on a column the table has, and by default hides a table without it', () => {
    const analyst = persona(policy(), 'analyst');
    expect(tableAccess(policy(), analyst, customers)?.rows).toEqual({
      column: 'country_code',
      in: ['US', 'CA'],
    });
    expect(tableAccess(policy(), analyst, revenue)).toBeUndefined();
    expect(
      tableAccess(policy(), { ...analyst, unfilteredTables: 'show' }, revenue)?.rows,
    ).toBeUndefined();
  });

  it('inherits through extends, its own keys winning, and takes environment overrides', () => {
    const eu = persona(policy(), 'analyst_eu');
    expect(eu.rows).toEqual({ column: 'country_code', in: ['DE'] });
    expect(eu.columns.pii).toBe('hidden');
    expect(eu.workgroup).toBe('analytics');
    expect(persona(policy('dev'), 'auditor').principals).toEqual([]);
    expect(persona(policy('prod'), 'auditor').principals).toEqual([
      'arn:aws:iam::123456789012:role/Audit',
    ]);
    expect(persona(policy(), 'finance').workgroup).toBe('finance');
  });

  it('grants tables by layer or by name, and takes excluded ones away', () => {
    const secret: LakeTable = { relation: 'gold.secret_sauce', columns: revenue.columns };
    expect(tableAccess(policy(), persona(policy(), 'auditor'), secret)).toBeUndefined();
    expect(tableAccess(policy(), persona(policy(), 'finance'), revenue)).toBeDefined();
    expect(tableAccess(policy(), persona(policy(), 'finance'), customers)).toBeUndefined();
  });

  it('refuses an unknown persona, a missing parent and a cycle, naming the file', () => {
    expect(() => persona(policy(), 'ceo')).toThrow(
      "No persona 'ceo' in config/access.yaml (personas: analyst, analyst_eu, auditor, finance)",
    );
    const cyclic = parseAccessPolicy(
      'personas:\n  a: { extends: b }\n  b: { extends: a }\n',
      'config/access.yaml',
      'dev',
    );
    expect(() => persona(cyclic, 'a')).toThrow('extend each other in a cycle: a → b → a');
    const orphan = parseAccessPolicy(
      'personas:\n  a: { extends: z }\n',
      'config/access.yaml',
      'dev',
    );
    expect(() => persona(orphan, 'a')).toThrow("persona 'a' extends 'z', which is not defined");
  });

  it('rejects an unknown visibility or layer with the file and key', () => {
    expect(() =>
      parseAccessPolicy('personas:\n  a:\n    layers: [platinum]\n', 'config/access.yaml', 'dev'),
    ).toThrow(/config\/access.yaml is invalid:\n {2}- personas\.a\.layers\.0/);
  });

  it('reports names and patterns that match nothing and row filters on absent columns', () => {
    const text = `personas:
  a:
    tables: [gold.nope, gold.rev*]
    columns: { public: clear, internal: clear, confidential: clear, pii: clear }
    rows: { column: region, in: [eu] }
    unfilteredTables: show
`;
    expect(
      policyProblems(parseAccessPolicy(text, 'config/access.yaml', 'dev'), [customers, revenue]),
    ).toEqual([
      'config/access.yaml: persona a names gold.nope, which matches no table',
      'config/access.yaml: persona a filters rows on region, which no table it reads has',
    ]);
  });

  it('lists every persona × table × column, hidden included', () => {
    const matrix = accessMatrix(policy(), [customers, revenue]);
    expect(matrix).toHaveLength(4 * (customers.columns.length + revenue.columns.length));
    expect(matrix).toContainEqual({
      persona: 'analyst',
      relation: 'gold.customers',
      column: 'email',
      visibility: 'hidden',
    });
    expect(matrix).toContainEqual({
      persona: 'finance',
      relation: 'gold.revenue',
      column: 'revenue',
      visibility: 'clear',
    });
  });
});

describe('a persona reading a table through one SELECT', () => {
  const access = tableAccess(policy(), persona(policy(), 'auditor'), customers)!;
  const filtered = tableAccess(policy(), persona(policy(), 'analyst'), customers)!;

  it('masks with the hash and keep-last-4 operators, and filters rows, on DuckDB', () => {
    expect(personaSelect(filtered, 'lake.gold.customers', duckdbDialect)).toBe(
      `select "customer_id", ${operatorSql({ method: 'hash' }, '"segment"', duckdbDialect)} as "segment", "country_code" from lake.gold.customers where "country_code" in ('US', 'CA')`,
    );
    expect(personaSelect(access, 'x', duckdbDialect)).toContain(
      `${operatorSql({ method: 'mask', keep: 4 }, '"phone"', duckdbDialect)} as "phone"`,
    );
  });

  it('is valid Trino SQL in the Athena dialect', () => {
    const locations = Object.fromEntries(lakeSchemas.map((s) => [s, `s3://lake-${s}/`]));
    const dialect = athenaDialect({
      project: 'medallion',
      env: 'dev',
      locations: locations as Record<LakeSchema, string>,
      mergeTargets: [],
    });
    const sql = personaSelect(access, dialect.relation('gold.customers'), dialect);
    expect(sql).toContain(`${operatorSql({ method: 'hash' }, '"email"', dialect)} as "email"`);
    expect(sql).toContain(
      'lower(to_hex(sha256(to_utf8(lower(regexp_replace(cast("email" as varchar)',
    );
    expect(new TrinoSQL().validate(sql)).toEqual([]);
  });
});

describe('classifying the lake', () => {
  const contract = testContract(
    'silver.people',
    'silver.people',
    `      - { name: person_id, logicalType: integer, physicalType: BIGINT, classification: internal }
      - { name: email, logicalType: string, physicalType: VARCHAR, classification: pii }
      - { name: nickname, logicalType: string, physicalType: VARCHAR }`,
  );
  const contracts = new ContractRegistry([contract]);

  it('takes contracted columns from the contract and names the unclassified ones', () => {
    expect(contract.unclassified).toEqual(['nickname']);
    expect(contract.column('nickname')?.classification).toBe('internal');
  });

  it('fails closed for tables without a contract: known names by contract, unknown ones pii', () => {
    const [quarantine] = classifyTables(
      [{ relation: 'quarantine.people', columns: ['person_id', 'email', 'notes', '_reason'] }],
      contracts,
    );
    expect(quarantine!.columns).toEqual([
      { name: 'person_id', classification: 'internal' },
      { name: 'email', classification: 'pii' },
      { name: 'notes', classification: 'pii' },
      { name: '_reason', classification: 'internal' },
    ]);
  });

  it('reads a REST source’s unnamed fields (_extra) as pii, other platform columns as internal', () => {
    const [bronze] = classifyTables(
      [{ relation: 'bronze.crm_people', columns: ['_extra', '_run_id', 'ingest_date'] }],
      contracts,
    );
    expect(bronze!.columns).toEqual([
      { name: '_extra', classification: 'pii' },
      { name: '_run_id', classification: 'internal' },
      { name: 'ingest_date', classification: 'internal' },
    ]);
  });

  it('reads audit samples of failing rows as pii, and leaves out table versions', () => {
    const tables = classifyTables(
      [
        ...declaredTables(contracts),
        { relation: 'silver.people__v20260101000000000_0123abcd', columns: ['email'] },
      ],
      contracts,
    );
    expect(tables.map((t) => t.relation)).not.toContain(
      'silver.people__v20260101000000000_0123abcd',
    );
    const results = tables.find((t) => t.relation === 'audit.dq_results')!;
    expect(results.columns.find((c) => c.name === 'sample')?.classification).toBe('pii');
    expect(results.columns.find((c) => c.name === 'dataset')?.classification).toBe('internal');
  });
});
