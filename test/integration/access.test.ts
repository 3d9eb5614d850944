/**
 * The repository's access policy enforced on a real local lake (one daily run on generated data):
 * what each persona reads is what the policy says, cell for cell, and PII never reaches a persona
 * that may not see it, through any table.
 */
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAthenaDialect } from '../helpers/athena';
import { personaViews } from '../../lambdas/core/access/persona-views';
import type { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import type { PersonaSession } from '../../lambdas/adapters/duckdb/persona-session';
import {
  accessMatrix,
  personaNames,
  type AccessPolicy,
  type LakeTable,
} from '../../lambdas/core/access/policy';
import { classifyTables } from '../../lambdas/core/access/tables';
import { loadAccessPolicy } from '../../lambdas/definitions/source-files';
import { projectRoot } from '../../lambdas/definitions/project-root';
import type { Project } from '../../lambdas/definitions/project-files';
import { openAs, openReadOnly } from '../../lambdas/runtime/cli/context';
import { runJob } from '../../lambdas/runtime/runner';
import { day1, openPlatform, sampleLake, testProject } from '../helpers/lake';

describe('query --as a persona', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let project: Project;
  let policy: AccessPolicy;
  let tables: LakeTable[];
  let base: DuckDbLakehouse;
  const sessions = new Map<string, { lakehouse: DuckDbLakehouse; session: PersonaSession }>();
  const as = (persona: string) => sessions.get(persona)!.session;

  beforeAll(async () => {
    lake = await sampleLake(2_000, 1);
    project = await testProject();
    const platform = await openPlatform(project, lake.lakeRoot);
    const outcome = await runJob(platform, 'daily', { runDate: day1, retryIntervalMs: 0 });
    await platform.close();
    expect(outcome.error ?? outcome.status).toBe('succeeded');
    policy = (await loadAccessPolicy(projectRoot, 'local'))!;
    base = await openReadOnly(project, lake.lakeRoot);
    tables = classifyTables(await base.columns(), project.contracts);
    for (const persona of personaNames(policy))
      sessions.set(persona, await openAs(project, lake.lakeRoot, policy, persona));
  }, 120_000);
  afterAll(() => {
    for (const { lakehouse } of sessions.values()) lakehouse.close();
    base?.close();
    lake?.cleanup();
  });

  it('refuses a hidden column by name, naming the persona, its classification and the policy', async () => {
    await expect(as('analyst').query('select email from gold.customer_360')).rejects.toThrow(
      'analyst may not read gold.customer_360.email: pii columns are hidden from analyst in config/access.yaml',
    );
  });

  it('returns masked PII to the auditor: hashes of the normalized value, never the value', async () => {
    const [clear] = await base.query<{ email: string }>(
      'select email from gold.customer_360 where email is not null order by customer_id limit 1',
    );
    const [masked] = await as('auditor').query<{ email: string }>(
      'select email from gold.customer_360 where email is not null order by customer_id limit 1',
    );
    expect(masked!.email).toMatch(/^[0-9a-f]{64}$/);
    const [expected] = await base.query<{ h: string }>(
      `select sha256(lower(trim('${clear!.email.replaceAll("'", "''")}'))) as h`,
    );
    expect(masked!.email).toBe(expected!.h);
  });

  it('filters rows to the persona’s region, also through a WITH query and a subquery', async () => {
    const regions = await as('analyst').query<{ country_code: string }>(
      'with c as (select * from gold.customer_360) select distinct country_code from c where customer_id in (select customer_id from gold.dim_customer) order by 1',
    );
    expect(regions.map((r) => r.country_code)).toEqual(['CA', 'US']);
  });

  it('refuses every way around the views: catalogs, files, table functions, other statements', async () => {
    const analyst = as('analyst');
    await expect(analyst.query('select * from lake.gold.customer_360')).rejects.toThrow(
      'without a catalog: lake.gold.customer_360',
    );
    await expect(
      analyst.query(`select * from '${lake.lakeRoot}/bronze/snowflake/customers/x.parquet'`),
    ).rejects.toThrow('is neither that nor a WITH query');
    await expect(
      analyst.query(`select * from read_parquet('${lake.lakeRoot}/bronze/**/*.parquet')`),
    ).rejects.toThrow('not table functions: read_parquet()');
    await expect(analyst.query('select * from bronze.snowflake_customers')).rejects.toThrow(
      'analyst (config/access.yaml) may not read bronze.snowflake_customers',
    );
    await expect(analyst.query("attach 'x.duckdb' as x")).rejects.toThrow(
      'As analyst only a SELECT can run',
    );
  });

  it('serves each persona exactly the policy’s table × column matrix', async () => {
    const expected = accessMatrix(policy, tables);
    const actual: typeof expected = [];
    for (const persona of personaNames(policy)) {
      const { lakehouse } = sessions.get(persona)!;
      const visible = await lakehouse.query<{ relation: string; column: string }>(
        `select table_schema || '.' || table_name as relation, column_name as "column"
          from information_schema.columns where table_catalog = 'persona'`,
      );
      for (const table of tables) {
        const shown = table.columns.filter((c) =>
          visible.some((v) => v.relation === table.relation && v.column === c.name),
        );
        const read = await readsAsStored(
          lakehouse,
          table.relation,
          shown.map((c) => c.name),
        );
        for (const column of table.columns)
          actual.push({
            persona,
            relation: table.relation,
            column: column.name,
            visibility:
              read.get(column.name) ??
              // A column with no values cannot tell clear from masked: it counts as the policy
              // says (there are few), hidden or not is still checked.
              (shown.includes(column)
                ? expected.find(
                    (m) =>
                      m.persona === persona &&
                      m.relation === table.relation &&
                      m.column === column.name,
                  )!.visibility
                : 'hidden'),
          });
      }
    }
    expect(actual).toEqual(expected);
  });

  it('serves the same matrix on AWS through each persona’s views, in SQL Athena parses', () => {
    const dialect = testAthenaDialect({ env: 'prod' });
    const views = personaViews(
      policy,
      tables,
      { database: (persona, schema) => `medallion_prod_${persona}_${schema}` },
      dialect,
    );
    const trino = new TrinoSQL();
    for (const view of views) expect(trino.validate(view.select), view.select).toEqual([]);
    const expected = accessMatrix(policy, tables);
    const onAws = expected.map((cell) => {
      const view = views.find((v) => v.persona === cell.persona && v.relation === cell.relation);
      const column = `"${cell.column}"`;
      const visibility = !view
        ? 'hidden'
        : new RegExp(`^select (.*, )?${column}(, .*)? from `).test(view.select)
          ? 'clear'
          : view.select.includes(` as ${column}`)
            ? 'masked'
            : 'hidden';
      return { ...cell, visibility };
    });
    expect(onAws).toEqual(expected);
    expect(onAws.some((c) => c.visibility === 'masked')).toBe(true);
  });

  /**
   * Per column the persona sees: `clear` when every value it reads is a value the table holds,
   * `masked` when some are not. Columns without values are left out.
   */
  async function readsAsStored(
    lakehouse: DuckDbLakehouse,
    relation: string,
    columns: readonly string[],
  ): Promise<Map<string, 'clear' | 'masked'>> {
    if (columns.length === 0) return new Map();
    const [schema, name] = relation.split('.') as [string, string];
    const q = (s: string) => `"${s}"`;
    const source =
      schema === 'bronze'
        ? `${lakehouse.bronzeCatalog}.main.${q(name)}`
        : `lake.${q(schema)}.${q(name)}`;
    // Every value of every column as (column, value) pairs, NULLs left out, on each side.
    const pairs = (from: string) =>
      `select distinct name, value from (unpivot (select ${columns
        .map((c) => `cast(${q(c)} as varchar) as ${q(c)}`)
        .join(', ')} from ${from}) on ${columns.map(q).join(', ')} into name name value value)`;
    const rows = await lakehouse.query<{ column: string; values: number; foreign: number }>(
      `with seen as (${pairs(`persona.${q(schema)}.${q(name)}`)}), held as (${pairs(source)})
       select s.name as "column", count(*) as "values", count(*) filter (where h.value is null) as "foreign"
       from seen s left join held h on h.name = s.name and h.value = s.value group by s.name`,
    );
    return new Map(
      rows
        .filter((r) => r.values > 0)
        .map((r) => [r.column, r.foreign === 0 ? 'clear' : ('masked' as const)]),
    );
  }

  it('never shows analysts, auditors or finance a PII value, in any table, column or reason', async () => {
    const pii = new Set<string>();
    // The values of the columns contracts classify pii, wherever else they may turn up.
    for (const table of tables.filter((t) => project.contracts.forRelation(t.relation)))
      for (const column of table.columns.filter((c) => c.classification === 'pii')) {
        const [schema, name] = table.relation.split('.') as [string, string];
        const source = schema === 'bronze' ? `bronze.main."${name}"` : `lake."${schema}"."${name}"`;
        const values = await base.query<{ v: string }>(
          `select distinct cast("${column.name}" as varchar) as v from ${source} where length(cast("${column.name}" as varchar)) >= 6`,
        );
        for (const { v } of values) pii.add(v);
      }
    expect(pii.size).toBeGreaterThan(500);
    for (const persona of ['analyst', 'analyst_eu', 'auditor', 'finance']) {
      const granted = await sessions
        .get(persona)!
        .lakehouse.query<{ relation: string }>(
          `select distinct table_schema || '.' || table_name as relation from information_schema.tables where table_catalog = 'persona'`,
        );
      for (const { relation } of granted) {
        const rows = await as(persona).query(`select * from ${relation}`);
        const cells = new Set(rows.flatMap((r) => Object.values(r).map((v) => String(v))));
        const text = [...cells].join('\n');
        // A value as a whole cell; an e-mail or phone number inside one too (a reason, a sample).
        const leaked = [...pii].filter(
          (value) =>
            cells.has(value) || ((/@/.test(value) || /\d{7}/.test(value)) && text.includes(value)),
        );
        expect({ persona, relation, leaked: leaked.slice(0, 3) }).toEqual({
          persona,
          relation,
          leaked: [],
        });
      }
    }
  });
});
