import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { validateProject } from '../../lambdas/runtime/validate';
import { medallion } from '../helpers/cli';
import { copyDefinitions } from '../helpers/user-project';

const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));
const scratch = (prefix: string) => {
  const folder = mkdtempSync(path.join(os.tmpdir(), prefix));
  folders.push(folder);
  return folder;
};

/** What the project holds, counted from its files: the figures `validate` reports. */
const contractCount = readdirSync(path.join(projectRoot, 'config/contracts')).filter((f) =>
  f.endsWith('.yaml'),
).length;
const modelCount = readdirSync(path.join(projectRoot, 'models'), { recursive: true }).filter((f) =>
  String(f).endsWith('.sql'),
).length;

/** A copy of the project's definitions with some files edited. */
function projectWith(edits: Record<string, (text: string) => string>): string {
  const root = scratch('medallion-definitions-');
  copyDefinitions(root);
  for (const [file, edit] of Object.entries(edits)) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const edited = edit(text);
    expect(edited, `the edit of ${file} changed nothing`).not.toBe(text);
    writeFileSync(path.join(root, file), edited);
  }
  return root;
}

/** The local config with a dataset no contract describes and a Snowflake connection half filled in. */
const unworkableConfig = (text: string) =>
  text
    .replace(
      'orders: { table: orders, watermark: updated_at }',
      'orders: { table: orders, watermark: updated_at }\n      invoices: { table: invoices }',
    )
    .replace('engine: snowflake\n', 'engine: snowflake\n    connection: { account: acme-dev }\n');

describe('validating the definitions before a run', () => {
  it('the sample project is valid: every model builds on empty inputs and matches its contract', async () => {
    const validation = await validateProject({ root: projectRoot });
    expect(validation.problems).toEqual([]);
    expect(validation).toMatchObject({ contracts: contractCount, models: modelCount });
  });

  it('names the model whose column type disagrees with its contract, and the model whose SQL does not bind, each with its file; their readers are still checked', async () => {
    const root = projectWith({
      'models/silver/products.sql': (sql) =>
        sql.replace('trim(sku) as sku', 'length(trim(sku)) as sku'),
      'models/silver/crm_accounts.sql': (sql) =>
        sql.replace("iso_timestamp('s.updated_at')", "iso_timestamp('s.updated_att')"),
      'models/gold/dim_product.sql': (sql) => sql.replace(/\bsku\b/, 'skew'),
    });
    const { problems } = await validateProject({ root });
    expect(problems).toEqual([
      {
        file: 'models/silver/crm_accounts.sql',
        message: expect.stringMatching(
          /^DuckDB: Binder Error: .*"updated_att".* \(at `try_cast\(s\.updated_att as timestamp\)/,
        ),
      },
      {
        file: 'models/silver/products.sql',
        message:
          'does not match contract silver.products (config/contracts/silver.products.yaml): sku is BIGINT, the contract says VARCHAR',
      },
      {
        file: 'models/gold/dim_product.sql',
        message: expect.stringMatching(/skew/),
      },
    ]);
  });

  it('names the incremental model over source(...) that drops _ingested_at, and the latest_by column a model does not select, with the rule', async () => {
    const root = projectWith({
      'models/silver/products.sql': (sql) => sql.replace('  _ingested_at,\n', ''),
      'models/silver/products.yml': (yml) => yml.replace('_ingested_at, ', ''),
      'models/silver/crm_accounts.yml': (yml) => yml.replace('updated_at, ', 'updated_on, '),
    });
    const { problems } = await validateProject({ root });
    expect(problems).toEqual([
      {
        file: 'models/silver/crm_accounts.sql',
        message: expect.stringMatching(/^latest_by updated_on must be columns the model selects/),
      },
      {
        file: 'models/silver/products.sql',
        message: expect.stringMatching(
          /^an incremental model over source\(\.\.\.\) must select _ingested_at, the row's provenance .* that the merge stores/,
        ),
      },
    ]);
  });

  it("names the contract whose quality check could not run on its model's table, before a gate would fail on it", async () => {
    const root = projectWith({
      'config/contracts/gold.customer_360.yaml': (text) =>
        text.replace('where days_since_last_order < 0', 'where days_since_last_ordr < 0'),
    });
    const { problems } = await validateProject({ root });
    expect(problems).toEqual([
      {
        file: 'config/contracts/gold.customer_360.yaml',
        message: expect.stringMatching(
          /^quality check days_since_last_order_not_negative: could not run: .*days_since_last_ordr/,
        ),
      },
    ]);
  });

  it('reports every problem of every contract, not just the first file, and builds no model until the contracts read', async () => {
    const root = projectWith({
      'config/contracts/silver.orders.yaml': (text) =>
        text.replace('physicalType: INTEGER', 'physicalType: INTEGR'),
      'config/contracts/silver.products.yaml': (text) =>
        text.replace(
          'physicalType: BIGINT\n',
          'physicalType: BIGINT\n        logicalTypeOptions: { maxLength: 3 }\n',
        ),
    });
    const validation = await validateProject({ root });
    expect(validation.problems).toEqual([
      {
        file: 'config/contracts/silver.orders.yaml',
        message: expect.stringMatching(
          /^schema\.0\.properties\.\d+\.physicalType: expected a supported SQL type for column \w+, found INTEGR is not a type .*; did you mean INTEGER\?$/,
        ),
      },
      {
        file: 'config/contracts/silver.products.yaml',
        message:
          'schema.0.properties.0.logicalTypeOptions: expected minLength, maxLength and pattern only on a VARCHAR column, found column product_id of type BIGINT',
      },
    ]);
    expect(validation.models).toBe(0);
  });

  it('names each config problem with its file and key: an unknown source kind, a setting out of range', async () => {
    const root = projectWith({
      'config/local.yaml': (text) =>
        text.replace('kind: kafka', 'kind: kafak').replace('pageSize: 500', 'pageSize: 0'),
    });
    const { problems } = await validateProject({ root });
    expect(problems).toEqual([
      {
        file: 'config/local.yaml',
        message: expect.stringMatching(/^sources\.crm\.pageSize: expected .*, found number 0$/),
      },
      {
        file: 'config/local.yaml',
        message: expect.stringMatching(
          /^sources\.kafka\.kind: expected one of "warehouse", "rest", "kafka", found string "kafak"$/,
        ),
      },
    ]);
  });

  it('names the state machine template the config’s jobs cannot be built from', async () => {
    const root = projectWith({
      'stepfunctions/templates/daily.asl.json': (text) =>
        text
          .replace('"IngestSources": {', '"IngestAll": {')
          .replace('"Next": "IngestSources"', '"Next": "IngestAll"'),
    });
    const { problems } = await validateProject({ root });
    expect(problems).toEqual([
      { file: 'stepfunctions', message: 'daily template: no IngestSources Parallel state' },
    ]);
  });

  it('names a source dataset without a contract and a warehouse connection missing settings', async () => {
    const root = projectWith({ 'config/local.yaml': unworkableConfig });
    const { problems } = await validateProject({ root });
    expect(problems).toEqual([
      {
        file: 'config/local.yaml',
        message:
          'sources.snowflake.datasets.invoices: no contract config/contracts/snowflake.invoices.yaml describes what it lands in bronze',
      },
      {
        file: 'config/local.yaml',
        message: expect.stringMatching(
          /^Snowflake connection of source snowflake is invalid: sources\.snowflake\.connection\.database: .*sources\.snowflake\.connection\.stage/,
        ),
      },
    ]);
  });

  it('names a bronze contract its source cannot write, and an access policy naming a table that does not exist', async () => {
    const root = projectWith({
      'config/access.yaml': (text) => text.replace('gold.revenue_daily,', 'gold.revenue_weekly,'),
      'config/contracts/crm.accounts.yaml': (text) =>
        text.replace(
          /(name: annual_revenue\n\s+logicalType: )string(\n\s+physicalType: )VARCHAR/,
          '$1number$2DOUBLE',
        ),
    });
    const { problems } = await validateProject({ root });
    expect(problems).toEqual([
      {
        file: 'config/contracts/crm.accounts.yaml',
        message: expect.stringMatching(
          /^schema\.0\.properties\.\d+\.physicalType: expected VARCHAR: a rest source keeps JSON values as text/,
        ),
      },
      {
        file: 'config/access.yaml',
        message: 'persona finance names gold.revenue_weekly, which matches no table',
      },
    ]);
  });

  it('names the contract and the config key whose retention a rebuild would undo or that would break a history', async () => {
    const root = projectWith({
      'config/contracts/gold.revenue_daily.yaml': (text) =>
        text.replace(
          'slaProperties:\n',
          'slaProperties:\n  - { property: retention, value: 90, unit: d, element: revenue_daily.order_date }\n',
        ),
      'config/local.yaml': (text) =>
        `${text}\nmaintenance:\n  retention:\n    gold.dim_customer: { days: 30, column: valid_from }\n`,
    });
    const { problems } = await validateProject({ root });
    expect(problems).toEqual([
      {
        file: 'config/contracts/gold.revenue_daily.yaml',
        message: expect.stringMatching(
          /^slaProperties retention: gold\.revenue_daily keeps 90 days, but models\/gold\/revenue_daily\.sql rebuilds it in full on every run \(materialization: table\)/,
        ),
      },
      {
        file: 'config/local.yaml',
        message: expect.stringMatching(
          /^maintenance\.retention\.gold\.dim_customer: gold\.dim_customer keeps 30 days, but models\/gold\/dim_customer\.sql keeps an scd2 history/,
        ),
      },
    ]);
  });

  describe('on the command line', () => {
    const badConfig = () => {
      const file = path.join(scratch('medallion-config-'), 'local.yaml');
      writeFileSync(
        file,
        unworkableConfig(readFileSync(path.join(projectRoot, 'config/local.yaml'), 'utf8')),
      );
      return file;
    };

    it('validate prints each problem as file: message and a summary, and exits 1; 0 when all is well', () => {
      const config = path.relative(projectRoot, badConfig());
      const failing = medallion('--config', config, 'validate');
      expect(failing.code).toBe(1);
      expect(failing.stdout.trimEnd().split('\n')).toEqual([
        expect.stringMatching(
          /^.*local\.yaml: sources\.snowflake\.datasets\.invoices: no contract/,
        ),
        expect.stringMatching(
          /^.*local\.yaml: Snowflake connection of source snowflake is invalid/,
        ),
      ]);
      expect(failing.stderr).toMatch(
        new RegExp(
          `^2 problem\\(s\\) in 1 file\\(s\\) \\(${contractCount} contracts, ${modelCount} models built on empty inputs, [\\d.]+s\\)\n$`,
        ),
      );

      const json = medallion('--config', config, 'validate', '--format', 'json');
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, problems: [{}, {}] });

      const clean = medallion('validate');
      expect(clean.code).toBe(0);
      expect(clean.stdout).toBe('');
      expect(clean.stderr).toMatch(
        new RegExp(`^valid \\(${contractCount} contracts, ${modelCount} models`),
      );
    }, 120_000);

    it('run and pipeline refuse to start on invalid definitions: nothing is generated, locked or published', () => {
      const config = badConfig();
      const lake = scratch('medallion-refused-');
      for (const command of [['run', '--job', 'daily', '--date', '2026-01-01'], ['pipeline']]) {
        const refused = medallion('--config', config, '--lake', lake, ...command);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain('sources.snowflake.datasets.invoices: no contract');
        expect(refused.stderr).toMatch(/error: 2 problem\(s\) in 1 file\(s\) .*: nothing was run/);
      }
      expect(existsSync(path.join(lake, '_sim'))).toBe(false);
      expect(existsSync(path.join(lake, 'lakehouse.duckdb'))).toBe(false);
      expect(existsSync(path.join(lake, 'bronze'))).toBe(false);
    }, 120_000);
  });
});
