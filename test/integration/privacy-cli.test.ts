import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivacyKeyFile } from '../../lambdas/adapters/local/privacy-key-file';
import { pseudonym } from '../../lambdas/core/privacy/operators';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { medallion } from '../helpers/cli';

/**
 * The sample lake's gold.customer_360, whose contract pseudonymizes `email`, redacts `full_name`
 * and generalizes `first_order_date` to its month.
 */
describe('medallion privacy on the sample lake', () => {
  let lake: string;
  let out: string;
  const privacy = (...args: string[]) => medallion('--lake', lake, 'privacy', ...args);
  /** Rows of a query on a scratch DuckDB, the lakehouse attached read-only as `lake`. */
  const read = async (sql: string) => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`attach '${path.join(lake, 'lakehouse.duckdb')}' as lake (read_only)`);
      return (await connection.runAndReadAll(sql)).getRowObjectsJson();
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  };
  const customers = () =>
    read(
      'select customer_id, email, cast(first_order_date as varchar) as first_order_date from lake.gold.customer_360 order by customer_id',
    );

  beforeAll(() => {
    lake = mkdtempSync(path.join(os.tmpdir(), 'medallion-privacy-'));
    out = mkdtempSync(path.join(os.tmpdir(), 'medallion-export-'));
    const run = medallion('--lake', lake, 'pipeline', '--scale', '300', '--days', '1');
    expect(run.code, run.stderr).toBe(0);
  }, 240_000);
  afterAll(() => {
    rmSync(lake, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('exports every row as CSV, the contract’s operators applied, and says what each column became', async () => {
    const file = path.join(out, 'customers.csv');
    const result = privacy('export', 'gold.customer_360', '--out', file);
    expect(result.code, result.stderr).toBe(0);
    const clear = await customers();
    expect(result.stderr).toContain(
      `${clear.length} rows of gold.customer_360 (${clear.length} read) written to ${file}`,
    );
    expect(result.stderr).toMatch(/email\s+pseudonym/);
    expect(result.stderr).toMatch(/full_name\s+redact/);
    expect(result.stderr).toMatch(/first_order_date\s+generalize \(to month\)/);

    const rows = await read(`select * from read_csv('${file}', all_varchar = true)`);
    expect(rows).toHaveLength(clear.length);
    const key = await PrivacyKeyFile.ofProject(projectRoot).key();
    for (const [i, row] of rows.entries()) {
      const person = clear[i]!;
      // In primary-key order, as the clear table sorted.
      expect(row.customer_id).toBe(String(person.customer_id));
      expect(row.full_name).toBe('***');
      expect(row.email).toBe(pseudonym(key, String(person.email)));
      expect(row.first_order_date).toBe(
        person.first_order_date ? `${String(person.first_order_date).slice(0, 7)}-01` : null,
      );
    }
    expect(readFileSync(file, 'utf8')).not.toContain('@');
  });

  it('writes JSON lines and Parquet too, and refuses another file type', async () => {
    const jsonl = path.join(out, 'customers.jsonl');
    expect(privacy('export', 'gold.customer_360', '--out', jsonl).code).toBe(0);
    const first = JSON.parse(readFileSync(jsonl, 'utf8').split('\n')[0]!) as Record<
      string,
      unknown
    >;
    expect(first.full_name).toBe('***');

    const parquet = path.join(out, 'customers.parquet');
    expect(privacy('export', 'gold.customer_360', '--out', parquet).code).toBe(0);
    const [row] = await read(
      `select count(*) as n, count(*) filter (where email like '%@%') as clear from '${parquet}'`,
    );
    expect(Number(row!.n)).toBe((await customers()).length);
    expect(Number(row!.clear)).toBe(0);

    const refused = privacy('export', 'gold.customer_360', '--out', path.join(out, 'x.xlsx'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('write .csv, .jsonl or .parquet');
  });

  it('fails k-anonymity with the classes and rows below k, and exits 1', () => {
    const result = privacy(
      'kanon',
      'gold.customer_360',
      '--quasi',
      'country_code,segment,first_order_date',
      '--k',
      '5',
      '--format',
      'json',
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ dataset: 'gold.customer_360', k: 5, satisfied: false });
    expect(report.rowsBelowK).toBeGreaterThan(0);
    expect(result.stderr).toMatch(
      /gold\.customer_360 is NOT 5-anonymous over country_code, segment, first_order_date: \d+ of \d+ classes hold fewer than 5 rows/,
    );
  });

  it('passes k-anonymity when every class is big enough, and prints the table', async () => {
    const rows = (await customers()).length;
    const result = privacy('kanon', 'gold.customer_360', '--quasi', 'customer_id', '--k', '2');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`classes below k    ${rows}`);
    const all = privacy('kanon', 'gold.customer_360', '--quasi', 'full_name', '--k', String(rows));
    // full_name is redacted: one class of every row.
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/classes\s+1\n/);
    expect(all.stderr).toContain(`is ${rows}-anonymous over full_name`);
  });

  it('writes the privacy impact report: scanned, with requests and their deadlines, offline', async () => {
    const erase = medallion(
      '--lake',
      lake,
      'dsr',
      'erase',
      '--subject',
      String(((await customers())[0] as { email: string }).email),
      '--request-id',
      'req-old',
      '--received',
      '2020-01-15',
    );
    expect(erase.code, erase.stderr).toBe(0);
    const json = path.join(out, 'privacy.json');
    const result = privacy('report', '--format', 'json', '--output', json);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /datasets with personal data .* 0 open request\(s\), 0 scanner finding\(s\) against contracts/,
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      datasets: { dataset: string }[];
      requests: { id: string; deadline: string; status: string; overdue: boolean }[];
      findings: unknown[];
    };
    expect(report.datasets.map((d) => d.dataset)).toContain('gold.customer_360');
    // Completed, but years after its deadline.
    expect(report.requests).toEqual([
      expect.objectContaining({
        id: 'req-old',
        deadline: '2020-02-15',
        status: 'completed',
        overdue: true,
      }),
    ]);
    expect(report.findings).toEqual([]);
    const html = path.join(out, 'privacy.html');
    expect(privacy('report', '--output', html, '--no-scan').code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg role="img"');
    expect(page).not.toMatch(/<script|src="http/);
  }, 120_000);

  it('names an unknown dataset or column', () => {
    const dataset = privacy('kanon', 'gold.nope', '--quasi', 'a', '--k', '5');
    expect(dataset.code).toBe(1);
    expect(dataset.stderr).toContain('No silver or gold dataset gold.nope');
    const column = privacy('kanon', 'gold.customer_360', '--quasi', 'zip', '--k', '5');
    expect(column.stderr).toContain('gold.customer_360 has no column zip');
    expect(
      privacy('kanon', 'gold.customer_360', '--quasi', 'segment', '--k', '1').stderr,
    ).toContain('at least 2');
  });
});
