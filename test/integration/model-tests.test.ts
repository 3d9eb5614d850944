import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../../lambdas/definitions/project-root';
import type { CaseResult } from '../../lambdas/runtime/model-tests';
import { medallion } from '../helpers/cli';
import { copyDefinitions } from '../helpers/user-project';

const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));
const scratch = () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'medallion-model-tests-'));
  folders.push(folder);
  return folder;
};

/** A copy of the project's definitions with some files edited. */
function projectWith(edits: Record<string, (text: string) => string>): string {
  const root = scratch();
  copyDefinitions(root);
  for (const [file, edit] of Object.entries(edits)) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const edited = edit(text);
    expect(edited, `the edit of ${file} changed nothing`).not.toBe(text);
    writeFileSync(path.join(root, file), edited);
  }
  return root;
}

interface Report {
  passed: number;
  failed: number;
  errored: number;
  results: CaseResult[];
}

/**
 * Well-formed XML, checked without a parser: every tag closed in order, attributes quoted, and no
 * `<` or bare `&` in text. Returns the elements met, by name.
 */
function xmlElements(text: string): Map<string, Record<string, string>[]> {
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  const elements = new Map<string, Record<string, string>[]>();
  const open: string[] = [];
  let last = 0;
  for (const tag of body.matchAll(/<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const between = body.slice(last, tag.index);
    expect(between, 'text between tags').not.toMatch(/<|&(?!(amp|lt|gt|quot|apos);)/);
    last = tag.index + tag[0].length;
    const [, closing, name, attributes, selfClosing] = tag as unknown as string[];
    if (closing) {
      expect(open.pop(), `</${name}> closes the open element`).toBe(name);
      continue;
    }
    const attrs = Object.fromEntries(
      [...attributes!.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    elements.set(name!, [...(elements.get(name!) ?? []), attrs]);
    if (!selfClosing) open.push(name!);
  }
  expect(body.slice(last).trim()).toBe('');
  expect(open).toEqual([]);
  return elements;
}

describe('medallion test', () => {
  it("passes on the sample project: every case of its test files, each model's Athena check and the definitions; JSON and JUnit count the same", () => {
    const junit = path.join(scratch(), 'models.xml');
    const { code, stdout, stderr } = medallion('test', '--format', 'json', '--junit', junit);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report).toMatchObject({ failed: 0, errored: 0 });
    const names = report.results.map((r) => `${r.model} › ${r.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'definitions › config, contracts and models are valid',
        'gold.dim_customer › a change closes the current version and opens a new one; a delete closes it',
        "silver.fx_rates › carries Friday's rate over the weekend, and starts each currency at its first publication",
        'silver.orders › updates a changed order, deletes a deleted one, inserts a new one',
        'gold.customer_360 › current customers only, revenue without cancellations, activity of the last 30 days',
        'gold.customer_360 › compiles for Athena (Trino grammar)',
        'silver.products › compiles for Athena (Trino grammar)',
      ]),
    );
    // Every model is checked for Athena, and every case of every test file runs.
    const models = readdirSync(path.join(projectRoot, 'models'), { recursive: true }).map(String);
    const sqlFiles = models.filter((f) => f.endsWith('.sql'));
    const cases = models
      .filter((f) => f.endsWith('.test.yml'))
      .flatMap(
        (f) =>
          (
            parseYaml(readFileSync(path.join(projectRoot, 'models', f), 'utf8')) as {
              cases: unknown[];
            }
          ).cases,
      );
    expect(
      report.results
        .filter((r) => r.name.startsWith('compiles for Athena'))
        .map((r) => r.model)
        .sort(),
    ).toEqual(sqlFiles.map((f) => f.replace(/\.sql$/, '').replace(path.sep, '.')).sort());
    expect(report.passed).toBe(1 + sqlFiles.length + cases.length);

    const elements = xmlElements(readFileSync(junit, 'utf8'));
    expect(elements.get('testsuites')).toEqual([
      expect.objectContaining({ tests: String(report.passed), failures: '0', errors: '0' }),
    ]);
    expect(elements.get('testcase')).toHaveLength(report.passed);
    expect(elements.get('failure')).toBeUndefined();
    expect(stderr).toBe('');
  });

  it('fails with a readable diff when the logic of a model breaks; names the Athena syntax error with its line, the definition problem, the case that cannot run', () => {
    const root = projectWith({
      // Revenue now counts cancelled orders.
      'models/gold/customer_360.sql': (sql) =>
        sql.replace(
          "sum(case when status <> 'cancelled' then amount_usd end) as revenue_usd",
          'sum(amount_usd) as revenue_usd',
        ),
      // Source deletes are ignored.
      'models/silver/orders.sql': (sql) =>
        sql.replace('coalesce(is_deleted, false) as is_deleted', 'false as is_deleted'),
      // A deleted customer's version is never closed.
      'models/gold/dim_customer.sql': (sql) =>
        sql.replace('c.customer_id is null as _deleted', 'false as _deleted'),
      // A definition problem, found by the checks validate makes.
      'models/silver/products.sql': (sql) =>
        sql.replace('trim(sku) as sku', 'length(trim(sku)) as sku'),
      // A case that cannot run.
      'models/silver/orders.test.yml': (text) =>
        `${text}\n  - name: a misspelt column\n    given:\n      source('snowflake', 'orders'): [{ order_idd: 1 }]\n    expect: []\n`,
      // DuckDB's cast shorthand, which Athena does not know.
      'models/silver/fx_rates_published.sql': (sql) =>
        sql.replace(
          'upper(trim(base_currency)) as base_currency',
          'upper(trim(base_currency))::varchar as base_currency',
        ),
    });
    // A test file left behind when its model was renamed.
    writeFileSync(path.join(root, 'models/silver/gone.test.yml'), 'cases: []\n');
    const junit = path.join(root, 'models.xml');
    const selection = [
      'gold.customer_360',
      'silver.orders',
      'gold.dim_customer',
      'silver.fx_rates_published',
    ];
    const { code, stdout } = medallion(
      'test',
      '--project',
      root,
      '--select',
      ...selection,
      '--junit',
      junit,
    );
    expect(code).toBe(1);
    expect(stdout).toContain(
      [
        'gold.customer_360 › current customers only, revenue without cancellations, activity of the last 30 days (models/gold/customer_360.test.yml)',
        '  1 changed, 0 missing, 0 unexpected row(s)',
        '  changed rows (1):',
        '    ~ { customer_id: 1 }: lifetime_revenue_usd: 150 → 1149',
      ].join('\n'),
    );
    expect(stdout).toContain(
      '    + { order_id: 2, unit_price: 5, currency: "USD", status: "placed", channel: "store", order_date: "2026-03-01", updated_at: "2026-03-01 10:00:00" }',
    );
    expect(stdout).toContain(
      // The delete became a new version.
      '    + { customer_id: 2, city: null, valid_from: "2026-03-01 17:30:00", valid_to: null, is_current: true }',
    );
    expect(stdout).toMatch(
      /silver\.fx_rates_published › compiles for Athena \(Trino grammar\) \(models\/silver\/fx_rates_published\.sql\)\n {2}models\/silver\/fx_rates_published\.sql does not parse as Athena SQL:\n {2}first build, line 5 of the rendered SQL, column 29: ':' is not valid at this position.*\n {6}upper\(trim\(base_currency\)\)::varchar as base_currency,\n$/,
    );

    expect(stdout).toContain(
      "given.source('snowflake', 'orders'): row 1 names order_idd, not a column of the input (columns: order_id,",
    );
    expect(stdout).toContain(
      [
        'definitions › models/silver/products.sql is valid (models/silver/products.sql)',
        '  does not match contract silver.products (config/contracts/silver.products.yaml): sku is BIGINT, the contract says VARCHAR',
      ].join('\n'),
    );
    expect(stdout).toContain(
      'models/silver/gone.test.yml tests no model: there is no models/silver/gone.sql',
    );

    const elements = xmlElements(readFileSync(junit, 'utf8'));
    expect(elements.get('testsuites')).toEqual([
      expect.objectContaining({ failures: '5', errors: '2' }),
    ]);
    expect(elements.get('failure')).toHaveLength(5);
    expect(elements.get('error')).toHaveLength(2);
  });

  it('is a usage error (exit 2) when the selection names no model', () => {
    const { code, stderr } = medallion('test', '--select', 'silver.ordres');
    expect(code).toBe(2);
    expect(stderr).toContain('silver.orders');
  });
});
