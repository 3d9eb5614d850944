import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { runJob } from '../../lambdas/runtime/runner';
import { runSummary } from '../../lambdas/runtime/cli/output';
import { RunHistory } from '../../lambdas/core/runs';
import { summarizeRun } from '../../lambdas/core/lineage/summary';
import { FsObjectStore } from '../../lambdas/adapters/local/object-store';
import { LineageLog } from '../../lambdas/core/lineage/log';
import { runUuid } from '../../lambdas/core/lineage/openlineage';
import { day1, openPlatform, sampleLake, testProject } from '../helpers/lake';

describe('landing-zone files', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let platform: LocalPlatform;
  const drop = (relative: string, content: string | Buffer) => {
    const file = path.join(lake.lakeRoot, 'landing', relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  };
  const land = () => runJob(platform, 'landing_to_bronze', { runDate: day1, retryIntervalMs: 0 });
  const bronzeCount = async (relation: string) =>
    Number(
      (await platform.lakehouse.query<{ n: number }>(`select count(*) as n from ${relation}`))[0]!
        .n,
    );

  beforeAll(async () => {
    lake = await sampleLake(500, 1);
    platform = await openPlatform(await testProject(), lake.lakeRoot);
  });
  afterAll(async () => {
    await platform.close();
    lake.cleanup();
  });

  it('ingests csv, json and jsonl files into the dataset’s bronze, typed per contract, then moves them to processed/', async () => {
    drop(
      'crm/accounts/fix-2026-01-01.csv',
      'account_id,name,industry,country,annual_revenue,updated_at,is_deleted,note\nACC-900001,"Acme, Inc.",retail,US,1000,2026-01-01T09:00:00Z,false,hello\n',
    );
    drop(
      'crm/accounts/more.jsonl',
      '{"account_id":"ACC-900002","name":"Beta","annual_revenue":12.5,"updated_at":"2026-01-01T10:00:00Z"}\n',
    );
    drop(
      'snowflake/products/backfill.json',
      '[{"product_id": 9001, "sku": "SKU-9001", "name": "Widget", "category": "tools", "list_price_usd": 9.99, "updated_at": "2026-01-01 08:00:00"}]',
    );
    const outcome = await land();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.map((s) => [s.dataset, s.rowsIn, s.rowsOut])).toEqual([
      ['crm.accounts', 2, 2],
      ['snowflake.products', 1, 1],
    ]);
    expect(outcome.steps[0]!.notes).toEqual([
      expect.stringContaining('columns not in contract crm.accounts were not ingested: note'),
    ]);
    // Each dataset's landing is a task run whose input is its landing folder.
    const events = await new LineageLog(new FsObjectStore(lake.lakeRoot)).list({
      runIds: [runUuid(outcome.runId)],
    });
    const landed = events.filter((e) => e.job.name === 'landing.crm.accounts');
    expect(landed.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
    expect(landed[1]!.inputs).toEqual([
      { namespace: 'file', name: `${path.resolve(lake.lakeRoot)}/landing/crm/accounts` },
    ]);
    expect(landed[1]!.outputs[0]!.outputFacets?.outputStatistics).toMatchObject({ rowCount: 2 });
    const rows = await platform.lakehouse.query(
      `select account_id, name, annual_revenue, _source_ref, _source_row from bronze.crm_accounts order by account_id`,
    );
    expect(rows).toEqual([
      {
        account_id: 'ACC-900001',
        name: 'Acme, Inc.',
        annual_revenue: '1000',
        _source_ref: expect.stringMatching(/^landing\/crm\/accounts\/fix-2026-01-01\.csv@/),
        _source_row: 1,
      },
      {
        account_id: 'ACC-900002',
        name: 'Beta',
        annual_revenue: '12.5',
        _source_ref: expect.stringMatching(/more\.jsonl@/),
        _source_row: 1,
      },
    ]);
    const [product] = await platform.lakehouse.describe(
      'select list_price_usd from bronze.snowflake_products',
    );
    expect(product!.type).toBe('DECIMAL(10,2)');
    expect(existsSync(path.join(lake.lakeRoot, 'landing/crm/accounts/more.jsonl'))).toBe(false);
    const processed = readdirSync(
      path.join(lake.lakeRoot, 'landing/crm/accounts/processed', outcome.runId),
    );
    expect(processed.sort()).toEqual(['fix-2026-01-01.csv', 'more.jsonl']);
  });

  it('ingests a Parquet file, casting its columns to the contract’s types', async () => {
    const file = path.join(lake.lakeRoot, 'landing/snowflake/customers/export.parquet');
    mkdirSync(path.dirname(file), { recursive: true });
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `copy (select 9001::integer as customer_id, 'Ada' as first_name, 'ada@example.com' as email, timestamp '2026-01-01 07:00:00' as updated_at) to '${file}' (format parquet)`,
    );
    instance.closeSync();
    const outcome = await land();
    expect(outcome.steps.map((s) => [s.dataset, s.rowsIn, s.rowsOut])).toEqual([
      ['snowflake.customers', 1, 1],
    ]);
    const [row] = await platform.lakehouse.query(
      `select customer_id, email, cast(updated_at as varchar) as updated_at from bronze.snowflake_customers`,
    );
    expect(row).toEqual({
      customer_id: 9001,
      email: 'ada@example.com',
      updated_at: '2026-01-01 07:00:00',
    });
    expect(
      (await platform.lakehouse.describe('select customer_id from bronze.snowflake_customers'))[0]!
        .type,
    ).toBe('BIGINT');
  });

  it('never ingests a file twice: a re-run finds nothing, the same content under another name is skipped', async () => {
    const before = await bronzeCount('bronze.crm_accounts');
    expect((await land()).steps).toEqual([]);
    drop(
      'crm/accounts/more-again.jsonl',
      readFileSync(
        path.join(
          lake.lakeRoot,
          'landing/crm/accounts/processed',
          readdirSync(path.join(lake.lakeRoot, 'landing/crm/accounts/processed'))[0]!,
          'more.jsonl',
        ),
        'utf8',
      ),
    );
    const outcome = await land();
    expect(outcome.steps[0]).toMatchObject({
      rowsIn: 0,
      notes: [expect.stringContaining('the same content was ingested before')],
    });
    expect(await bronzeCount('bronze.crm_accounts')).toBe(before);
  });

  it('rejects a file whose values do not fit the contract, naming the row and column, and ingests nothing from it', async () => {
    drop('snowflake/orders/bad.csv', 'order_id,quantity\n1,2\n2,two\n');
    drop('snowflake/orders/notes.txt', 'not data');
    const outcome = await land();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps[0]!.rejectedFiles).toEqual([
      {
        file: 'landing/snowflake/orders/bad.csv',
        reason: "row 2 (line 3): column quantity: 'two' is not a valid INTEGER",
      },
      {
        file: 'landing/snowflake/orders/notes.txt',
        reason: expect.stringContaining('unsupported extension .txt'),
      },
    ]);
    const reason = readFileSync(
      path.join(
        lake.lakeRoot,
        'landing/snowflake/orders/rejected',
        outcome.runId,
        'bad.csv.reason.txt',
      ),
      'utf8',
    );
    expect(reason).toContain("'two' is not a valid INTEGER");
    expect(await bronzeCount('bronze.snowflake_orders')).toBe(0);
  });

  it('names a refused value of a personal or identifying column by its kind only, so no reason carries a person into notes, history or lineage', async () => {
    // A person's email in customer_id (the subject's id, BIGINT) and a phone in created_at (TIMESTAMP).
    drop(
      'snowflake/customers/misplaced.csv',
      'customer_id,email,created_at\nann.misplaced@example.com,ann@example.com,2026-01-01\n',
    );
    drop(
      'snowflake/customers/late.csv',
      'customer_id,email,segment,created_at\n5,bo@example.com,retail,not-a-date\n',
    );
    const outcome = await land();
    expect(outcome.steps[0]!.rejectedFiles).toEqual([
      {
        file: 'landing/snowflake/customers/late.csv',
        // An internal column that identifies nobody keeps its value quoted.
        reason: "row 1 (line 2): column created_at: 'not-a-date' is not a valid TIMESTAMP",
      },
      {
        file: 'landing/snowflake/customers/misplaced.csv',
        reason: 'row 1 (line 2): column customer_id: (customer_id value) is not a valid BIGINT',
      },
    ]);
    const history = await new RunHistory(platform.lakehouse).steps(outcome.runId);
    const events = await new LineageLog(new FsObjectStore(lake.lakeRoot)).list({
      runIds: [runUuid(outcome.runId)],
    });
    const everywhere = JSON.stringify([outcome, history, events, runSummary(outcome)]);
    expect(everywhere).toContain('(customer_id value)');
    expect(everywhere).not.toContain('ann.misplaced');
  });

  it('records a refused file: counted apart in the step, in the run history, the run summary and the lineage', async () => {
    drop('crm/accounts/good.csv', 'account_id,name\nACC-910001,Good\n');
    drop('crm/accounts/ragged.csv', 'account_id,name\nACC-910002,A\nACC-910003,B,extra\n');
    const outcome = await land();
    const reason = 'cannot be read as csv: line 3 has 3 fields where the header has 2';
    const [step] = outcome.steps;
    // The accepted file's rows reconcile; the refused file is counted apart.
    expect(step).toMatchObject({
      dataset: 'crm.accounts',
      rowsIn: 1,
      rowsOut: 1,
      rejectedFiles: [{ file: 'landing/crm/accounts/ragged.csv', reason }],
    });
    expect(runSummary(outcome)).toContain(`rejected landing/crm/accounts/ragged.csv: ${reason}`);
    const history = new RunHistory(platform.lakehouse);
    expect(await history.steps(outcome.runId)).toEqual([
      expect.objectContaining({
        dataset: 'crm.accounts',
        rows_in: 1,
        rows_out: 1,
        reconciled: true,
        files_rejected: 1,
        notes: `rejected landing/crm/accounts/ragged.csv: ${reason}`,
      }),
    ]);
    const [latest] = await history.latest(1);
    expect(latest).toMatchObject({ run_id: outcome.runId, files_rejected: 1 });
    const events = await new LineageLog(new FsObjectStore(lake.lakeRoot)).list({
      runIds: [runUuid(outcome.runId)],
    });
    const { tasks } = summarizeRun(events, runUuid(outcome.runId), '');
    expect(tasks.find((t) => t.job === 'landing.crm.accounts')).toMatchObject({
      status: 'COMPLETE',
      checks: { total: 1, failed: ['landing/crm/accounts/ragged.csv (warning)'] },
    });
  });

  it('keeps every row’s values intact when one JSON line gives a text column an object', async () => {
    drop(
      'snowflake/orders/mixed.jsonl',
      [
        '{"order_id":7001,"currency":"USD","status":"shipped"}',
        '{"order_id":7002,"currency":{"code":"EUR"},"status":"open"}',
        '{"order_id":7003,"currency":"GBP","status":"open"}',
      ].join('\n'),
    );
    const outcome = await land();
    expect(outcome.steps[0]).toMatchObject({ rowsIn: 3, rowsOut: 3 });
    expect(
      await platform.lakehouse.query(
        `select order_id, currency, status from bronze.snowflake_orders where order_id >= 7001 order by order_id`,
      ),
    ).toEqual([
      { order_id: 7001, currency: 'USD', status: 'shipped' },
      { order_id: 7002, currency: '{"code":"EUR"}', status: 'open' },
      { order_id: 7003, currency: 'GBP', status: 'open' },
    ]);
  });

  it('lists at most 20 of a file’s columns that are not in the contract, then how many more', async () => {
    const extra = Array.from({ length: 5000 }, (_, i) => `x${i + 1}`);
    drop(
      'crm/accounts/wide.csv',
      `account_id,${extra.join(',')}\nACC-920001,${extra.map(() => '1').join(',')}\n`,
    );
    const outcome = await land();
    expect(outcome.steps[0]!.notes).toEqual([
      `landing/crm/accounts/wide.csv: columns not in contract crm.accounts were not ingested: ${extra.slice(0, 20).join(', ')} and 4980 more`,
    ]);
  });

  it('reads a gzipped CSV', async () => {
    drop('crm/accounts/zipped.csv.gz', gzipSync('account_id,name\nACC-930001,Zipped\n'));
    const outcome = await land();
    expect(outcome.steps[0]).toMatchObject({ rowsIn: 1, rowsOut: 1 });
    expect(
      await platform.lakehouse.query(
        `select name from bronze.crm_accounts where account_id = 'ACC-930001'`,
      ),
    ).toEqual([{ name: 'Zipped' }]);
  });
});
