import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { medallion } from '../helpers/cli';

describe('the medallion CLI', () => {
  let lake: string;
  beforeAll(() => {
    lake = mkdtempSync(path.join(os.tmpdir(), 'medallion-cli-'));
  });
  afterAll(() => rmSync(lake, { recursive: true, force: true }));

  it.each([
    'generate',
    'run',
    'pipeline',
    'validate',
    'test',
    'query',
    'status',
    'compile',
    'show',
    'ls',
    'contract check',
    'contract diff',
    'dq report',
    'dq profile',
    'dq suggest',
    'lineage upstream',
    'lineage downstream',
    'lineage impact',
    'lineage run',
    'lineage events',
    'catalog search',
    'catalog show',
    'docs build',
    'docs serve',
    'privacy export',
    'privacy kanon',
    'privacy report',
    'dsr export',
    'dsr erase',
    'dsr replay',
    'dsr status',
    'report runs',
    'smoke',
  ])('%s --help explains the command with an example', (command) => {
    const { code, stdout } = medallion(...command.split(' '), '--help');
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: medallion ${command}`);
    expect(stdout).toContain('$ medallion');
  });

  it('--version prints the version of package.json', () => {
    const { code, stdout } = medallion('--version');
    expect(code).toBe(0);
    expect(stdout).toBe(
      `${(JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version}\n`,
    );
  });

  it('a usage error prints one line and where to find help, and exits 2', () => {
    const unknown = medallion('status', '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("error: unknown option '--bogus'\nsee 'medallion status --help'\n");
    const missing = medallion('lineage', 'upstream');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "error: missing required argument 'target'\nsee 'medallion lineage upstream --help'\n",
    );
  });

  it('refuses a --date that is not a day of the calendar before running anything', () => {
    const { code, stderr } = medallion('run', '--job', 'fx_to_bronze', '--date', '2026-02-30');
    expect(code).toBe(2);
    expect(stderr).toContain('2026-02-30 is not a day of the calendar');
    expect(stderr).not.toMatch(/select|duckdb/i);
  });

  it('rejects an unknown job, listing the jobs', () => {
    const { code, stderr } = medallion('run', '--job', 'hourly');
    expect(code).not.toBe(0);
    expect(stderr).toContain('Allowed choices are snowflake_to_bronze, redshift_to_bronze');
  });

  it('reports a broken config file by file, key, expectation and finding, and exits 1', () => {
    const config = path.join(lake, 'broken.yaml');
    writeFileSync(
      config,
      'env: local\nsources:\n  crm:\n    kind: rest\n    pageSize: lots\n    datasets: {}\n',
    );
    const { code, stderr } = medallion('--config', config, 'status');
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /broken\.yaml is invalid:\n {2}- sources\.crm\.pageSize: expected number, found string "lots"/,
    );
  });

  it('says what to do when there is no lake yet', () => {
    const { code, stderr } = medallion('--lake', path.join(lake, 'empty'), 'query', 'select 1');
    expect(code).toBe(1);
    expect(stderr).toContain('run a pipeline first (npm run pipeline)');
  });

  it('generates, runs a job, and answers queries as a table, JSON or CSV', () => {
    expect(medallion('--lake', lake, 'generate', '--scale', '300', '--days', '1').code).toBe(0);
    const run = medallion('--lake', lake, 'run', '--job', 'fx_to_bronze');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/fx_to_bronze for 2026-01-01 succeeded/);
    expect(run.stdout).toMatch(/fx\.rates\s+│\s+[\d,]+\s+│/);
    const json = medallion(
      '--lake',
      lake,
      'query',
      'select count(*) as n from bronze.fx_rates',
      '--format',
      'json',
    );
    expect(JSON.parse(json.stdout)[0].n).toBeGreaterThan(0);
    const csv = medallion('--lake', lake, 'query', "select 'a,b' as x, 1 as y", '--format', 'csv');
    expect(csv.stdout).toBe('x,y\n"a,b",1\n');
    const status = medallion('--lake', lake, 'status', '--format', 'json');
    expect(JSON.parse(status.stdout)[0]).toMatchObject({
      job: 'fx_to_bronze',
      status: 'succeeded',
      reconciled: true,
    });
  });

  it('query draws a 20,000-row table as its first 1,000 rows within the width, and says how to see the rest', () => {
    const sql = `select range as id, repeat('wide ', 60) as note from range(20000)`;
    const table = medallion('--lake', lake, 'query', sql);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => /^│\s+\d+ │ wide/.test(l))).toHaveLength(1000);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(120);
    expect(lines[3]).toMatch(/^│ +0 │ wide wide .*… │$/);
    expect(lines.at(-1)).toBe(
      '1,000 of 20,000 rows shown; 19,000 not shown (--limit 0 shows all, --format csv or json writes every row)',
    );

    const limited = medallion('--lake', lake, 'query', sql, '--limit', '5');
    expect(limited.stdout).toContain('5 of 20,000 rows shown; 19,995 not shown');
    expect(medallion('--lake', lake, 'query', sql, '--limit', '0').stdout).toContain(
      '\n20,000 rows\n',
    );

    const json = JSON.parse(medallion('--lake', lake, 'query', sql, '--format', 'json').stdout);
    expect(json).toHaveLength(20_000);
    expect(json[19_999].note).toBe('wide '.repeat(60));
    const csv = medallion('--lake', lake, 'query', sql, '--format', 'csv', '--limit', '2');
    expect(csv.stdout).toBe(`id,note\n0,${'wide '.repeat(60)}\n1,${'wide '.repeat(60)}\n`);
    expect(csv.stderr).toContain('2 of 20,000 rows written (--limit 2)');
  });

  it('refuses a --date outside the generated days, naming them, instead of ingesting nothing', () => {
    const { code, stdout, stderr } = medallion(
      '--lake',
      lake,
      'run',
      '--job',
      'fx_to_bronze',
      '--date',
      '2026-03-01',
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      'No sample data for 2026-03-01: the generated days are 2026-01-01 to 2026-01-01.',
    );
    expect(stdout).toBe('');
  });

  it('contract check passes against the versions runs registered, and fails naming a dropped required column', async () => {
    const clean = medallion('--lake', lake, 'contract', 'check');
    expect(clean.code).toBe(0);
    expect(clean.stderr).toContain('Compared with the versions registered in');
    expect(clean.stderr).toContain('Every contract keeps its compatibility promise');

    // As if silver.orders 1.0.0 had been registered with a required column it no longer has.
    const db = await DuckDBInstance.create(path.join(lake, 'lakehouse.duckdb'));
    const connection = await db.connect();
    const [row] = (
      await connection.runAndReadAll(
        `select document from audit.contract_versions where contract_id = 'silver.orders'`,
      )
    ).getRowObjectsJson() as { document: string }[];
    const document = JSON.parse(row!.document) as {
      version: string;
      schema: { properties: Record<string, unknown>[] }[];
    };
    document.schema[0]!.properties.push({
      name: 'legacy_code',
      logicalType: 'string',
      physicalType: 'VARCHAR',
      required: true,
    });
    await connection.run(
      `update audit.contract_versions set document = '${JSON.stringify(document).replaceAll("'", "''")}' where contract_id = 'silver.orders'`,
    );
    connection.closeSync();
    db.closeSync();

    const broken = medallion('--lake', lake, 'contract', 'check');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(
      `silver.orders (config/contracts/silver.orders.yaml): column legacy_code: remove-required-column (VARCHAR, required) breaks FORWARD compatibility with ${document.version}`,
    );
    const json = JSON.parse(
      medallion('--lake', lake, 'contract', 'check', '--format', 'json').stdout,
    );
    expect(json.ok).toBe(false);
    expect(json.contracts.find((c: { id: string }) => c.id === 'silver.orders')).toMatchObject({
      verdict: 'failing',
      changes: [
        { kind: 'remove-required-column', column: 'legacy_code', breaks: { FORWARD: true } },
      ],
    });
  });

  it('contract diff lists each change with the modes it breaks', () => {
    const before = path.join(lake, 'before.yaml');
    const after = path.join(lake, 'after.yaml');
    const contract = (version: string, amount: string) =>
      `apiVersion: v3.1.0\nkind: DataContract\nid: silver.things\nname: things\nversion: ${version}\nstatus: active\nteam: { name: t }\ndescription: { purpose: p }\nschema:\n  - name: things\n    physicalName: silver.things\n    properties:\n      - { name: id, logicalType: integer, physicalType: BIGINT, required: true }\n      - { name: amount, logicalType: number, physicalType: ${amount} }\n`;
    writeFileSync(before, contract('1.0.0', 'INTEGER'));
    writeFileSync(after, contract('1.1.0', 'BIGINT'));
    const { code, stdout, stderr } = medallion('contract', 'diff', before, after);
    expect(code).toBe(0);
    expect(stderr).toContain('silver.things 1.0.0 → 1.1.0 (compatibility FORWARD): 1 change(s)');
    expect(stdout).toMatch(
      /widen-type\s+│\s+amount\s+│\s+INTEGER → BIGINT\s+│\s+✓\s+│\s+✗\s+│\s+✗/,
    );
    const missing = medallion('contract', 'diff', before, path.join(lake, 'nope.yaml'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.yaml: no such file (use a path, or REV:path)');
  });

  it('dq report lists every silver and gold dataset with a score, as JSON, a table or an offline HTML page', () => {
    expect(medallion('--lake', lake, 'run', '--job', 'daily').code).toBe(0);
    const json = medallion('--lake', lake, 'dq', 'report', '--format', 'json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      datasets: { dataset: string; layer: string; score: number; trend: unknown[] }[];
    };
    const expected = (
      JSON.parse(
        medallion(
          '--lake',
          lake,
          'query',
          `select count(*) as n from audit.dq_scores where run_id = (select max(run_id) from audit.dq_scores)`,
          '--format',
          'json',
        ).stdout,
      ) as { n: number }[]
    )[0]!.n;
    expect(report.datasets).toHaveLength(expected);
    expect(new Set(report.datasets.map((d) => d.layer))).toEqual(new Set(['silver', 'gold']));
    for (const d of report.datasets) {
      expect(d.score).toBeGreaterThanOrEqual(0);
      expect(d.score).toBeLessThanOrEqual(100);
    }

    const html = path.join(lake, 'dq.html');
    const written = medallion('--lake', lake, 'dq', 'report', '--format', 'html', '--output', html);
    expect(written.code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<svg');
    expect(page).toContain('silver.orders');
    // Offline: nothing fetched, nothing run.
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page).not.toContain('<script');

    // No pii value in clear: not in the stored profiles, not in the report.
    const personal = (
      JSON.parse(
        medallion(
          '--lake',
          lake,
          'query',
          'select email, phone, last_name from silver.customers where email is not null limit 50',
          '--format',
          'json',
        ).stdout,
      ) as Record<string, string | null>[]
    ).flatMap((r) => Object.values(r).filter((v): v is string => v !== null && v.length > 3));
    expect(personal.length).toBeGreaterThan(0);
    const stored = medallion(
      '--lake',
      lake,
      'query',
      'select * from audit.dq_profiles',
      '--format',
      'json',
    );
    for (const value of personal) {
      expect(stored.stdout).not.toContain(value);
      expect(json.stdout).not.toContain(value);
      expect(page).not.toContain(value);
    }

    // A terminal wide enough for the check names: tables fit the width, cutting long cells.
    vi.stubEnv('COLUMNS', '400');
    const table = medallion('--lake', lake, 'dq', 'report');
    vi.unstubAllEnvs();
    expect(table.stdout).toMatch(/gold\.fact_orders\s+│\s+\d+\.\d/);
    // Beneath the scores, what the help promises: the checks that did not pass.
    const notPassed = (
      JSON.parse(json.stdout) as { datasets: { notPassed: { check: string }[] }[] }
    ).datasets.flatMap((d) => d.notPassed.map((c) => c.check));
    if (notPassed.length === 0) expect(table.stdout).toContain('Every check passed.');
    else expect(table.stdout).toContain('Checks that did not pass');
    for (const check of notPassed) expect(table.stdout).toContain(check);
    const missing = medallion('--lake', lake, 'dq', 'report', '--run', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Run nope has no quality evidence');
  });

  it('dq profile and dq suggest read a dataset as it is now', () => {
    const profile = medallion(
      '--lake',
      lake,
      'dq',
      'profile',
      'silver.products',
      '--format',
      'json',
    );
    expect(profile.code).toBe(0);
    const columns = (JSON.parse(profile.stdout) as { columns: { column: string }[] }).columns;
    expect(columns.map((c) => c.column)).toContain('category');
    const customers = medallion(
      '--lake',
      lake,
      'dq',
      'profile',
      'silver.customers',
      '--format',
      'json',
    );
    const email = (
      JSON.parse(customers.stdout) as {
        columns: { column: string; min: string | null; max: string | null; topValues: unknown[] }[];
      }
    ).columns.find((c) => c.column === 'email');
    expect(email).toMatchObject({ min: null, max: null, topValues: [] });
    expect(medallion('--lake', lake, 'dq', 'profile', 'silver.customers').stdout).not.toContain(
      '@',
    );
    const suggest = medallion('--lake', lake, 'dq', 'suggest', 'silver.customers');
    expect(suggest.code).toBe(0);
    expect(suggest.stdout).toContain('# Merge into schema[0].properties:');
    expect(suggest.stdout).toContain('name: customers_volume');
    const unknown = medallion('--lake', lake, 'dq', 'profile', 'silver.nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'No silver or gold dataset silver.nope (datasets: gold.customer_360,',
    );
  });

  it('lineage upstream lists the Snowflake, Kafka and FX sources of gold.fact_orders', () => {
    const { code, stdout } = medallion(
      'lineage',
      'upstream',
      'gold.fact_orders',
      '--format',
      'json',
    );
    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as { nodes: { dataset: string; layer: string }[] };
    expect(
      answer.nodes
        .filter((n) => n.layer === 'bronze')
        .map((n) => n.dataset)
        .sort(),
    ).toEqual(['fx.rates', 'kafka.order_events', 'snowflake.orders']);
    const mermaid = medallion(
      'lineage',
      'upstream',
      'gold.fact_orders.amount_usd',
      '--format',
      'mermaid',
    );
    expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
    expect(mermaid.stdout).toContain('["silver.orders.quantity"]:::silver');
    const page = path.join(lake, 'lineage.html');
    expect(
      medallion(
        'lineage',
        'downstream',
        'snowflake.customers',
        '--format',
        'html',
        '--output',
        page,
      ).code,
    ).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('gold.customer_360');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    // Pan and zoom are an inline script; nothing is loaded from anywhere.
    expect(html).not.toMatch(/<script[^>]*\bsrc=/);
  });

  it('lineage impact lists the gold columns a source column reaches, with owners and classifications', () => {
    const { code, stdout } = medallion(
      'lineage',
      'impact',
      'snowflake.customers.email',
      '--format',
      'json',
    );
    expect(code).toBe(0);
    const impacted = (JSON.parse(stdout) as { impacted: Record<string, unknown>[] }).impacted;
    expect(impacted).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          dataset: 'gold.dim_customer',
          column: 'email',
          classification: 'pii',
          owner: 'analytics-engineering',
        }),
        expect.objectContaining({
          dataset: 'gold.customer_360',
          column: 'email',
          classification: 'pii',
        }),
      ]),
    );
    const unknown = medallion('lineage', 'impact', 'snowflake.customers.nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('snowflake.customers has no column nope');
  });

  it('lineage run traces a run’s tasks with their inputs, outputs and rows; lineage events prints its OpenLineage events', () => {
    const [latest] = JSON.parse(medallion('--lake', lake, 'status', '--format', 'json').stdout) as {
      run_id: string;
      job: string;
    }[];
    const run = medallion('--lake', lake, 'lineage', 'run', latest!.run_id, '--format', 'json');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      pipeline: { job: string; status: string };
      tasks: {
        job: string;
        status: string;
        inputs: string[];
        outputs: { dataset: string; rows?: number }[];
      }[];
    };
    expect(summary.pipeline).toMatchObject({ job: latest!.job, status: 'COMPLETE' });
    expect((summary as unknown as { problems: string[] }).problems).toEqual([]);
    expect(summary.tasks.length).toBeGreaterThan(0);
    for (const task of summary.tasks) expect(task.status).toBe('COMPLETE');
    const events = medallion('--lake', lake, 'lineage', 'events', '--run', latest!.run_id);
    expect(events.code).toBe(0);
    const lines = events.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { eventType: string; run: { runId: string } });
    expect(lines).toHaveLength(2 * (summary.tasks.length + 1));
    expect(events.stderr).toContain(`${lines.length} event(s)`);
    const since = medallion(
      '--lake',
      lake,
      'lineage',
      'events',
      '--since',
      '1d',
      '--format',
      'json',
    );
    expect((JSON.parse(since.stdout) as unknown[]).length).toBeGreaterThanOrEqual(lines.length);
    const bad = medallion('--lake', lake, 'lineage', 'events', '--since', 'last tuesday');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected an ISO time or date, or an age such as 24h or 7d');
    const missing = medallion('--lake', lake, 'lineage', 'run', 'no-such-run');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No lineage events for run no-such-run');
  });

  it('catalog search finds PII columns by classification; catalog show gives schema, owner, PII, lineage and runs', () => {
    const search = medallion('--lake', lake, 'catalog', 'search', 'pii', '--format', 'json');
    expect(search.code).toBe(0);
    const hits = JSON.parse(search.stdout) as { dataset: string; matches: string[] }[];
    expect(hits.find((h) => h.dataset === 'snowflake.customers')?.matches).toEqual(
      expect.arrayContaining(['column email (pii)', 'column phone (pii)']),
    );
    expect(hits.map((h) => h.dataset)).toEqual(
      expect.arrayContaining(['gold.dim_customer', 'gold.customer_360', 'silver.customers']),
    );
    expect(hits.map((h) => h.dataset)).not.toContain('gold.fact_orders');
    const show = medallion('--lake', lake, 'catalog', 'show', 'fx.rates', '--format', 'json');
    expect(show.code).toBe(0);
    const entry = JSON.parse(show.stdout) as Record<string, unknown> & {
      status: { lastRunId?: string };
      runs: unknown[];
    };
    expect(entry).toMatchObject({
      dataset: 'fx.rates',
      layer: 'bronze',
      owner: expect.any(String),
      upstream: ['http://local-simulator/fx/v1/rates'],
      downstream: ['silver.fx_rates_published'],
    });
    expect(entry.status.lastRunId).toEqual(expect.any(String));
    expect(entry.runs.length).toBeGreaterThan(0);
    const text = medallion('--lake', lake, 'catalog', 'show', 'gold.customer_360');
    expect(text.stdout).toContain('PII columns:  full_name, email');
    const unknown = medallion('--lake', lake, 'catalog', 'show', 'gold.customers_360');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('did you mean gold.customer_360');
  });

  it('turns a SQL error into a message and exit code 1', () => {
    const { code, stderr } = medallion('--lake', lake, 'query', 'select * from gold.nope');
    expect(code).toBe(1);
    expect(stderr).toContain('Table with name nope does not exist');
  });
});
