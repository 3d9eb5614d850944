import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import { ContractRegistry, parseContract } from '../../lambdas/core/contracts/contract';
import { rowRules, validationColumns } from '../../lambdas/core/contracts/rules';
import type { ConfigError } from '../../lambdas/core/errors';
import { loadContracts } from '../../lambdas/definitions/source-files';
import { projectRoot } from '../../lambdas/definitions/project-root';

const contract = (properties: string, id = 'silver.things') => `
apiVersion: v3.1.0
kind: DataContract
id: ${id}
name: things
version: 1.0.0
status: active
team: { name: data-platform }
description: { purpose: Things. }
schema:
  - name: things
    physicalName: ${id.startsWith('silver') ? id : 'bronze.' + id.replace('.', '_')}
    properties:
${properties}
`;

const problemsOf = (text: string) => {
  try {
    parseContract(text, 'config/contracts/silver.things.yaml');
  } catch (error) {
    return (error as ConfigError).problems;
  }
  throw new Error('expected the contract to be rejected');
};

describe('data contracts', () => {
  it('every contract of the project parses, one per dataset of every layer', async () => {
    const registry = await loadContracts(projectRoot);
    const files = readdirSync(path.join(projectRoot, 'config/contracts'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    expect(
      registry
        .all()
        .map((c) => c.id)
        .sort(),
    ).toEqual(files.sort());
    expect(new Set(registry.all().map((c) => c.layer))).toEqual(
      new Set(['bronze', 'silver', 'gold']),
    );
    expect(registry.get('silver.orders').primaryKey).toEqual(['order_id']);
    expect(registry.get('redshift.customer_behavior').primaryKey).toEqual([
      'customer_id',
      'activity_date',
    ]);
  });

  it('rejects a primary key that is not required, a repeated column and a broken pattern', () => {
    const problems = problemsOf(
      contract(`
      - { name: id, logicalType: integer, physicalType: BIGINT, primaryKey: true }
      - { name: id, logicalType: integer, physicalType: BIGINT }
      - { name: code, logicalType: string, physicalType: VARCHAR, logicalTypeOptions: { pattern: '([a-z' } }`),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'schema.0.properties.0.required',
      'schema.0.properties.1.name',
      'schema.0.properties.2.logicalTypeOptions.pattern',
    ]);
  });

  it('rejects a type that is not a SQL type', () => {
    const problems = problemsOf(
      contract(`      - { name: id, logicalType: integer, physicalType: int64 }`),
    );
    expect(problems[0]).toMatchObject({
      path: 'schema.0.properties.0.physicalType',
      found: 'string "int64"',
    });
  });

  it('rejects an upper-case type no engine of the platform maps, naming the column and the type it resembles', () => {
    const problems = problemsOf(
      contract(`
      - { name: id, logicalType: integer, physicalType: INTEGR }
      - { name: amount, logicalType: number, physicalType: 'DECIMAL(40,2)' }
      - { name: label, logicalType: string, physicalType: STRING }
      - { name: price, logicalType: number, physicalType: 'DECIMAL(12,2)' }`),
    );
    expect(problems).toEqual([
      {
        path: 'schema.0.properties.0.physicalType',
        expected: 'a supported SQL type for column id',
        found: expect.stringMatching(
          /^INTEGR is not a type the platform supports \(VARCHAR, .*\); did you mean INTEGER\?$/,
        ),
      },
      {
        path: 'schema.0.properties.1.physicalType',
        expected: 'a supported SQL type for column amount',
        found: 'DECIMAL precision is 1 to 38 and scale at most the precision, not DECIMAL(40,2)',
      },
      {
        path: 'schema.0.properties.2.physicalType',
        expected: 'a supported SQL type for column label',
        found: expect.stringMatching(/^STRING is not a type the platform supports .*\)$/),
      },
    ]);
  });

  it('rejects length and pattern rules on a column that is not text: they would fail in the quality gate', () => {
    const problems = problemsOf(
      contract(`
      - { name: id, logicalType: integer, physicalType: INTEGER, logicalTypeOptions: { maxLength: 9 } }`),
    );
    expect(problems).toEqual([
      {
        path: 'schema.0.properties.0.logicalTypeOptions',
        expected: 'minLength, maxLength and pattern only on a VARCHAR column',
        found: 'column id of type INTEGER',
      },
    ]);
  });

  it("reads a dataset's own quality score minimum from customProperties, and refuses one outside 0–100", () => {
    const withMin = (value: string) =>
      `${contract('      - { name: id, logicalType: integer, physicalType: BIGINT }')}customProperties:\n  - { property: qualityScoreMin, value: ${value} }\n`;
    const parsed = parseContract(withMin('99.5'), 'config/contracts/silver.things.yaml');
    expect(parsed.qualityScoreMin).toBe(99.5);
    expect(
      parseContract(
        contract('      - { name: id, logicalType: integer, physicalType: BIGINT }'),
        'config/contracts/silver.things.yaml',
      ).qualityScoreMin,
    ).toBeUndefined();
    for (const value of ['101', '-1', 'high'])
      expect(problemsOf(withMin(value))).toEqual([
        expect.objectContaining({
          path: 'customProperties.0.value',
          expected: 'a quality score minimum from 0 to 100',
        }),
      ]);
  });

  it('refuses two contracts for the same dataset', () => {
    const text = contract(
      `      - { name: id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }`,
    );
    expect(
      () => new ContractRegistry([parseContract(text, 'a.yaml'), parseContract(text, 'b.yaml')]),
    ).toThrow(/b\.yaml.*not used by a\.yaml/s);
  });

  it('compiles column constraints into row rules that name the column and the value', () => {
    const parsed = parseContract(
      contract(`
      - { name: id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }
      - { name: email, logicalType: string, physicalType: VARCHAR, logicalTypeOptions: { pattern: '^[a-z]+@x\\.io$' } }
      - { name: qty, logicalType: integer, physicalType: INTEGER, logicalTypeOptions: { minimum: 1, maximum: 9 } }
      - name: currency
        logicalType: string
        physicalType: VARCHAR
        quality: [{ metric: invalidValues, arguments: { validValues: [USD, EUR] } }]`),
      'things.yaml',
    );
    const rules = rowRules(parsed, duckdbDialect);
    expect(rules.map((r) => r.id)).toEqual([
      'id.required',
      'email.pattern',
      'qty.minimum',
      'qty.maximum',
      'currency.accepted_values',
    ]);
    expect(rules[1]!.failing).toBe(
      `"email" is not null and not regexp_full_match("email", '^[a-z]+@x\\.io$')`,
    );
    expect(rules[4]!.failing).toBe(`"currency" not in ('USD', 'EUR')`);
    const columns = validationColumns(rules, duckdbDialect);
    expect(columns.rule.startsWith(`case when "id" is null then 'id.required' when`)).toBe(true);
    // A valid row (no rule failing) gets no reason text at all.
    expect(columns.reason).toBe(
      `case when ${columns.rule} is not null then concat_ws('; ', ${rules.map((r) => `case when ${r.failing} then ${r.reason} end`).join(', ')}) end`,
    );
  });
});

describe('ODCS conformance', () => {
  const schemaFile = path.resolve(
    projectRoot,
    '../shared/schemas/odcs/odcs-json-schema-v3.1.0.json',
  );

  it.runIf(existsSync(schemaFile))(
    'every contract is a valid ODCS v3.1 document (the official JSON Schema)',
    async () => {
      const ajv = new Ajv2019({ allErrors: true, strict: false });
      addFormats(ajv);
      const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
      const folder = path.join(projectRoot, 'config', 'contracts');
      const files = readdirSync(folder).filter((f) => f.endsWith('.yaml'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const valid = validate(parseYaml(readFileSync(path.join(folder, file), 'utf8')));
        expect(valid ? [] : validate.errors, file).toEqual([]);
      }
    },
  );
});
