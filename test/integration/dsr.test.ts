/**
 * Data subject requests on a real local lake (two daily runs on generated data, so there are model
 * versions, change feeds, quarantine and DQ samples): an export returns every row about a person,
 * and an erase leaves no byte of them in any file of the lake, proved independently of the
 * command's own verification scan, also across a crash and a rebuild from bronze.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReadOnly } from '../../lambdas/runtime/cli/context';
import {
  eraseSubject,
  exportSubject,
  readRequestLog,
  replayErasures,
  type DsrLake,
} from '../../lambdas/runtime/dsr';
import { runJob } from '../../lambdas/runtime/runner';
import type { Project } from '../../lambdas/definitions/project-files';
import { day1, day2, openPlatform, sampleLake, testProject } from '../helpers/lake';

/**
 * Every file of the lake holding the text, found without the code under test: raw bytes, gzip
 * decoded, every Parquet row and every row of every table of a DuckDB file read back as text.
 * `_sim/` is left out: it stands for the source systems, not the lake.
 */
async function filesMentioning(lakeRoot: string, text: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const rowsText = async (sql: string) =>
    JSON.stringify((await connection.runAndReadAll(sql)).getRowObjectsJson()).toLowerCase();
  const found: string[] = [];
  try {
    const entries = await readdir(lakeRoot, { recursive: true, withFileTypes: true });
    for (const entry of entries.filter((e) => e.isFile())) {
      const file = path.join(entry.parentPath, entry.name);
      const key = path.relative(lakeRoot, file);
      if (key.startsWith('_sim')) continue;
      const bytes = await readFile(file);
      let hit = bytes.includes(text) || (key.endsWith('.gz') && gunzipSync(bytes).includes(text));
      if (key.endsWith('.parquet'))
        hit ||= (await rowsText(`select * from read_parquet('${file}')`)).includes(text);
      if (key.endsWith('.duckdb')) {
        await connection.run(`attach '${file}' as f (read_only)`);
        const tables = (
          await connection.runAndReadAll(
            `select schema_name || '.' || table_name as t from duckdb_tables() where database_name = 'f'`,
          )
        ).getRowObjectsJson();
        for (const { t } of tables)
          hit ||= (await rowsText(`select * from f.${String(t)}`)).includes(text);
        await connection.run('detach f');
      }
      if (hit) found.push(key);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return found.sort();
}

describe('data subject requests', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let project: Project;
  let dsr: DsrLake;
  let erased: { customer_id: number; email: string };
  let exported: { customer_id: number; email: string };
  /** A copy of the lake taken before the erase, as a backup would be. */
  let backup: string;
  const request = (value: string) => ({
    subject: { kind: 'email', value },
    received: '2026-01-05',
    regime: 'gdpr' as const,
    now: () => new Date('2026-01-06T10:00:00Z'),
  });
  const query = async <T extends Record<string, unknown>>(sql: string, root = lake.lakeRoot) => {
    const lakehouse = await openReadOnly(project, root);
    try {
      return await lakehouse.query<T>(sql);
    } finally {
      lakehouse.close();
    }
  };
  const run = async (date: string, fullRefresh = false) => {
    const platform = await openPlatform(project, lake.lakeRoot);
    const outcome = await runJob(platform, 'daily', {
      runDate: date,
      retryIntervalMs: 0,
      fullRefresh,
    });
    await platform.close();
    expect(outcome.error ?? outcome.status).toBe('succeeded');
  };

  beforeAll(async () => {
    lake = await sampleLake(2_000, 2);
    backup = `${lake.lakeRoot}-backup`;
    project = await testProject();
    await run(day1);
    await run(day2);
    dsr = { project, lakeRoot: lake.lakeRoot, key: randomBytes(32) };
    // Two customers with orders and order events, so every layer holds something about them.
    [erased, exported] = (await query<{ customer_id: number; email: string }>(
      `select customer_id, email from silver.customers c
        where email is not null
          and exists (select 1 from silver.orders o where o.customer_id = c.customer_id)
          and exists (select 1 from silver.order_events e where e.customer_id = c.customer_id)
        order by customer_id limit 2`,
    )) as [typeof erased, typeof exported];
  }, 180_000);
  afterAll(() => {
    lake?.cleanup();
    rmSync(backup, { recursive: true, force: true });
  });

  it('exports every row about a person, as many per table as direct queries count', async () => {
    const { customer_id: id, email } = exported;
    const orders = `(select order_id from silver.orders where customer_id = ${id})`;
    const expected = await query<{ relation: string; n: number }>(
      `select 'bronze.snowflake_customers' as relation, count(*)::bigint as n from bronze.snowflake_customers where customer_id = ${id}
      union all select 'bronze.snowflake_orders', count(*) from bronze.snowflake_orders where customer_id = ${id}
      union all select 'bronze.redshift_customer_behavior', count(*) from bronze.redshift_customer_behavior where customer_id = ${id}
      union all select 'bronze.kafka_order_events', count(*) from bronze.kafka_order_events
        where try_cast(key as bigint) in ${orders} or (case when json_valid(value) then json_extract_string(value, '$.customer_id') end) = '${id}'
      union all select 'silver.customers', count(*) from silver.customers where customer_id = ${id}
      union all select 'silver.orders', count(*) from silver.orders where customer_id = ${id}
      union all select 'silver.order_events', count(*) from silver.order_events where customer_id = ${id} or order_id in ${orders}
      union all select 'silver.customer_behavior', count(*) from silver.customer_behavior where customer_id = ${id}
      union all select 'silver.crm_contacts', count(*) from silver.crm_contacts where customer_id = ${id} or email = '${email}'
      union all select 'gold.dim_customer', count(*) from gold.dim_customer where customer_id = ${id}
      union all select 'gold.fact_orders', count(*) from gold.fact_orders where customer_id = ${id}`,
    );
    const result = await exportSubject(dsr, request(exported.email));
    const counted = new Map<string, number>();
    for (const f of result.found) counted.set(f.table, (counted.get(f.table) ?? 0) + f.rows.length);
    expect(
      Object.fromEntries(expected.map((e) => [e.relation, counted.get(e.relation) ?? 0])),
    ).toEqual(Object.fromEntries(expected.map((e) => [e.relation, e.n])));
    expect(expected.find((e) => e.relation === 'gold.fact_orders')!.n).toBeGreaterThan(0);
    expect(expected.find((e) => e.relation === 'bronze.kafka_order_events')!.n).toBeGreaterThan(0);
    // The published customer_360 is a view over its latest version: every version is exported.
    const versions = result.found.filter((f) => f.table.startsWith('gold.customer_360__v'));
    expect(versions.length).toBeGreaterThanOrEqual(1);
    // Each row says where it came from.
    const bronzeOrders = result.found.find((f) => f.table === 'bronze.snowflake_orders')!;
    expect(bronzeOrders.file).toMatch(/^bronze\/snowflake\/orders\/ingest_date=.*\.parquet$/);
    expect(bronzeOrders.rows[0]).toMatchObject({
      _run_id: expect.any(String),
      _source_ref: expect.any(String),
    });
    expect(result.found.find((f) => f.table === 'gold.fact_orders')!.upstream).toContain(
      'silver.orders',
    );
  });

  it('erases a person from every file of the lake, survives a crash, and stays erased after a rebuild', async () => {
    const { customer_id: id, email } = erased;
    // Landing files already ingested (processed/) or refused (rejected/, not even readable as CSV).
    const landing = (relative: string, content: string | Buffer) => {
      const file = path.join(lake.lakeRoot, 'landing', relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    };
    const contacts = landing(
      'crm/contacts/processed/r0/contacts.jsonl',
      `{"contact_id":"CON-900001","customer_id":${id},"email":"${email.toUpperCase()}"}\n{"contact_id":"CON-900002","customer_id":${exported.customer_id},"email":"${exported.email}"}\n`,
    );
    const orders = landing(
      'snowflake/orders/processed/r0/orders.csv.gz',
      gzipSync(`order_id,customer_id,quantity\n900001,${id},1\n900002,${exported.customer_id},2\n`),
    );
    const broken = landing(
      'snowflake/orders/rejected/r0/broken.csv',
      `order_id,customer_id,note\n900003,${id},"unterminated ${email}\n900004,${exported.customer_id},"ok"\n`,
    );
    const before = await filesMentioning(lake.lakeRoot, email);
    cpSync(lake.lakeRoot, backup, { recursive: true });
    // The independent search can see the person where the lake keeps them, the lakehouse file included.
    expect(before).toEqual(expect.arrayContaining(['lakehouse.duckdb']));
    expect(before.some((f) => f.startsWith('bronze/snowflake/customers/'))).toBe(true);

    // A crash right after the bronze customers file was rewritten, before the orders file.
    await expect(
      eraseSubject(
        {
          ...dsr,
          log: (line) => {
            if (line.includes('bronze/snowflake/customers/')) throw new Error('crash');
          },
        },
        { ...request(email), dryRun: false },
      ),
    ).rejects.toThrow('crash');
    // Nothing is half-published: silver and gold still hold all of the person's rows.
    const [silver] = await query<{ customers: number; orders: number; facts: number }>(
      `select (select count(*) from silver.customers where customer_id = ${id})::bigint as customers,
        (select count(*) from silver.orders where customer_id = ${id})::bigint as orders,
        (select count(*) from gold.fact_orders where customer_id = ${id})::bigint as facts`,
    );
    expect(silver).toMatchObject({ customers: 1 });
    expect(silver!.orders).toBe(silver!.facts);
    // The identifiers it resolved are written down, for the resumed run.
    const pending = path.join(lake.lakeRoot, 'audit/privacy/pending');
    expect(await readdir(pending)).toHaveLength(1);
    // A rebuild from bronze in between drops the customer from silver (their bronze file is
    // rewritten) but not their orders (that file is not yet).
    await run(day2, true);
    expect(await query(`select 1 from silver.customers where customer_id = ${id}`)).toHaveLength(0);

    // Running the erase again resumes it and finishes the job.
    const result = await eraseSubject(dsr, { ...request(email), dryRun: false });
    expect(result.residue).toBe(0);
    expect(result.scan.filter((s) => s.kind === 'table').length).toBeGreaterThan(30);
    expect(result.erased['gold.fact_orders']).toBeGreaterThan(0);
    const [left] = await query<{ n: number }>(
      `select ((select count(*) from silver.orders where customer_id = ${id})
        + (select count(*) from bronze.snowflake_orders where customer_id = ${id})
        + (select count(*) from gold.fact_orders where customer_id = ${id})
        + (select count(*) from silver.customer_behavior where customer_id = ${id}))::bigint as n`,
    );
    expect(left!.n).toBe(0);
    expect(await filesMentioning(lake.lakeRoot, email)).toEqual([]);
    expect(await readdir(pending)).toEqual([]);
    // Landing files keep everyone else's rows.
    expect(readFileSync(contacts, 'utf8')).toContain('CON-900002');
    expect(readFileSync(contacts, 'utf8')).not.toContain('CON-900001');
    expect(gunzipSync(readFileSync(orders)).toString()).toBe(
      `order_id,customer_id,quantity\n900002,${exported.customer_id},2\n`,
    );
    expect(readFileSync(broken, 'utf8')).toBe(
      `order_id,customer_id,note\n900004,${exported.customer_id},"ok"\n`,
    );

    // Rebuilding silver and gold from bronze brings nothing back.
    await run(day2, true);
    expect(await filesMentioning(lake.lakeRoot, email)).toEqual([]);

    // Running the erase again is a no-op that proves it again.
    const again = await eraseSubject(dsr, { ...request(email), dryRun: false });
    expect(again).toMatchObject({ residue: 0, erased: {} });

    // The log names the request and what was erased, never the person in clear.
    const log = await readRequestLog(lake.lakeRoot);
    const logText = await readFile(
      path.join(lake.lakeRoot, 'audit/privacy/requests.jsonl'),
      'utf8',
    );
    expect(logText).not.toContain(email);
    expect(log.filter((e) => e.kind === 'erase').map((e) => e.event)).toEqual([
      'started',
      'started',
      'completed',
      'started',
      'completed',
    ]);
  }, 240_000);
  it('erases again, by the keyed hashes of the request log, a person a restore from backup brought back', async () => {
    const { customer_id: id, email } = erased;
    expect(await filesMentioning(backup, email)).not.toEqual([]);
    const results = await replayErasures(
      { ...dsr, lakeRoot: backup },
      await readRequestLog(lake.lakeRoot),
      () => new Date('2026-01-07T10:00:00Z'),
    );
    expect(results.map((r) => [r.requestId, r.residue])).toEqual([
      [expect.stringMatching(/^erase-2026-01-05-/), 0],
    ]);
    // Found from hashes alone: the log never held the email or the customer id in clear.
    expect(results[0]!.identifiers.get('email')).toEqual(new Set([email]));
    expect(results[0]!.identifiers.get('customer_id')).toEqual(new Set([String(id)]));
    expect(await filesMentioning(backup, email)).toEqual([]);
    const [left] = await query<{ n: number }>(
      `select ((select count(*) from gold.fact_orders where customer_id = ${id})
        + (select count(*) from bronze.snowflake_orders where customer_id = ${id}))::bigint as n`,
      backup,
    );
    expect(left!.n).toBe(0);
  }, 120_000);
});
