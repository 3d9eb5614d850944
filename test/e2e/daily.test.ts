import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { PipelineError, TransientError } from '../../lambdas/core/errors';
import { reconciles } from '../../lambdas/core/stats';
import { LineageLog } from '../../lambdas/core/lineage/log';
import { checkRunEvents, runUuid } from '../../lambdas/core/lineage/openlineage';
import { FsObjectStore } from '../../lambdas/adapters/local/object-store';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { LocalPlatform } from '../../lambdas/runtime/local-platform';
import type { Project } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { runJob, type RunOutcome } from '../../lambdas/runtime/runner';
import { day1, day2, openPlatform, sampleLake, testProject } from '../helpers/lake';

/**
 * The daily pipeline end to end on ~10,000 generated orders over two days: day 1 is the initial
 * load, day 2 carries inserts, updates and deletes.
 */
const scale = 10_000;

type Lake = Awaited<ReturnType<typeof sampleLake>>;

/** An order-independent digest of every business column of each silver and gold table. */
async function fingerprints(
  lakehouse: DuckDbLakehouse,
  project: Project,
): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const model of project.models.models) {
    const columns = project.contracts.get(model.contractId).properties.map((p) => `"${p.name}"`);
    const [row] = await lakehouse.query<{ n: number; h: string }>(
      `select count(*) as n, cast(coalesce(bit_xor(hash(${columns.join(', ')})), 0) as varchar) as h from ${model.name}`,
    );
    result[model.name] = `${row!.n}:${row!.h}`;
  }
  return result;
}

/** Runs the CLI in a child process; resolves with its exit code and what it printed. */
function cli(lakeRoot: string, args: string[], killWhen?: { text: string; afterMs: number }) {
  return new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bin/medallion.ts', '--lake', lakeRoot, ...args],
      {
        cwd: projectRoot,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (killWhen && stderr.includes(killWhen.text)) {
        const { afterMs } = killWhen;
        killWhen = undefined;
        setTimeout(() => child.kill('SIGKILL'), afterMs).unref();
      }
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('daily pipeline, end to end', () => {
  let lake: Lake;
  let project: Project;
  let platform: LocalPlatform;
  let runs: RunOutcome[];
  const query = <T extends Record<string, unknown> = Record<string, unknown>>(sql: string) =>
    platform.lakehouse.query<T>(sql);
  const one = async <T extends Record<string, unknown>>(sql: string) => (await query<T>(sql))[0]!;
  const sim = async <T>(sql: string): Promise<T[]> => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `attach '${path.join(lake.lakeRoot, '_sim/snowflake.duckdb')}' as snowflake (read_only)`,
    );
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJson() as T[];
    instance.closeSync();
    return rows;
  };

  const lineageOf = (runId: string) =>
    new LineageLog(new FsObjectStore(lake.lakeRoot)).list({ runIds: [runUuid(runId)] });

  beforeAll(async () => {
    lake = await sampleLake(scale, 2);
    project = await testProject();
    platform = await openPlatform(project, lake.lakeRoot);
    runs = [
      await runJob(platform, 'daily', { runDate: day1 }),
      await runJob(platform, 'daily', { runDate: day2 }),
    ];
  });
  afterAll(async () => {
    await platform?.close();
    lake?.cleanup();
  });

  it('both days succeed and every dataset of every step reconciles', () => {
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    // Parallel + six ingestion branches; per layer its plan, its Map, a Map per DAG level (two
    // each) and a Task per model (10 silver, 7 gold); two quality checks and their gates, the
    // catalog sync, taking and giving back the run lock, and the final Succeed. Step Functions
    // bills per transition.
    expect(runs.map((r) => r.transitions)).toEqual([40, 40]);
    for (const run of runs) {
      expect(run.steps.filter((s) => !reconciles(s))).toEqual([]);
      expect(new Set(run.steps.map((s) => s.step))).toEqual(
        new Set([
          'snowflake_to_bronze',
          'redshift_to_bronze',
          'crm_to_bronze',
          'fx_to_bronze',
          'kafka_to_bronze',
          'bronze_to_silver',
          'silver_to_gold',
        ]),
      );
    }
    const day2Orders = runs[1]!.steps.find((s) => s.dataset === 'silver.orders')!;
    expect(day2Orders.inserted).toBeGreaterThan(0);
    expect(day2Orders.updated).toBeGreaterThan(0);
    expect(day2Orders.deleted).toBeGreaterThan(0);
  });

  it('gold row counts agree with silver and with each other', async () => {
    const n = async (relation: string, where = 'true') =>
      Number((await one<{ n: number }>(`select count(*) as n from ${relation} where ${where}`)).n);
    const orders = await n('silver.orders');
    expect(orders).toBeGreaterThan(scale * 0.95);
    expect(await n('gold.fact_orders')).toBe(orders);
    expect(await n('gold.dim_customer', 'is_current')).toBe(await n('silver.customers'));
    expect(await n('gold.customer_360')).toBe(await n('silver.customers'));
    expect(await n('gold.dim_product')).toBe(await n('silver.products'));
    expect(await n('gold.product_performance')).toBe(await n('silver.products'));
    expect(await n('gold.revenue_daily')).toBe(
      Number(
        (await one<{ n: number }>('select count(distinct order_date) as n from gold.fact_orders'))
          .n,
      ),
    );
    expect(await n('gold.fact_orders', 'amount_usd is null')).toBe(0);
    const totals = await one<{ fact: number; daily: number }>(
      `select (select sum(amount_usd) from gold.fact_orders where status <> 'cancelled') as fact, (select sum(revenue_usd) from gold.revenue_daily) as daily`,
    );
    expect(totals.daily).toBeCloseTo(totals.fact, 2);
    const dates = await one<{ missing: number }>(
      'select count(*) as missing from gold.fact_orders f anti join gold.dim_date d on d.date_day = f.order_date',
    );
    expect(dates.missing).toBe(0);
  });

  it('amount_usd is the order amount at the FX rate of its day, forward-filled over weekends', async () => {
    // A clean EUR order placed on a Sunday, when no rate is published.
    const [order] = await sim<{
      order_id: string;
      quantity: number;
      unit_price: string;
      order_date: string;
    }>(
      `select order_id, quantity, unit_price, cast(cast(order_ts as date) as varchar) as order_date from snowflake.orders
       where currency = 'EUR' and dayofweek(order_ts) = 0 and quantity > 0 and customer_id is not null and not is_deleted
         and order_id not in (select order_id from snowflake.orders group by 1 having count(*) > 1)
       order by order_id limit 1`,
    );
    const rates = readFileSync(path.join(lake.lakeRoot, '_sim/fx/rates.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { rate_date: string; quote_currency: string; rate: number },
      )
      .filter((r) => r.quote_currency === 'EUR' && r.rate > 0 && r.rate_date <= order!.order_date)
      .sort((a, b) => a.rate_date.localeCompare(b.rate_date));
    const rate = rates.at(-1)!;
    expect(rate.rate_date < order!.order_date).toBe(true);
    const expected =
      Math.round(((order!.quantity * Number(order!.unit_price)) / rate.rate) * 100) / 100;
    const fact = await one<{ amount_usd: number; fx_rate: number }>(
      `select amount_usd, fx_rate from gold.fact_orders where order_id = ${order!.order_id}`,
    );
    expect(fact.fx_rate).toBeCloseTo(rate.rate, 9);
    expect(fact.amount_usd).toBeCloseTo(expected, 2);
  });

  it('an order updated on day 2 carries its new state; an order deleted on day 2 is gone from silver and gold', async () => {
    const [updated] = await sim<{ order_id: string; status: string }>(
      `select order_id, status from snowflake.orders o where updated_at >= '${day2}' and not is_deleted and quantity > 0 and customer_id is not null
         and currency in ('USD','EUR','GBP','JPY','CAD','AUD','CHF','SEK','INR')
         and exists (select 1 from snowflake.orders p where p.order_id = o.order_id and p.updated_at < '${day2}')
       order by order_id limit 1`,
    );
    expect(
      await one(`select status from gold.fact_orders where order_id = ${updated!.order_id}`),
    ).toEqual({ status: updated!.status });
    const deleted = await sim<{ order_id: string }>(
      `select order_id from snowflake.orders where is_deleted and updated_at >= '${day2}'`,
    );
    expect(deleted.length).toBeGreaterThan(0);
    const ids = deleted.map((d) => d.order_id).join(', ');
    expect(
      await one(`select count(*) as n from gold.fact_orders where order_id in (${ids})`),
    ).toEqual({ n: 0 });
    expect(await one(`select count(*) as n from silver.orders where order_id in (${ids})`)).toEqual(
      { n: 0 },
    );
  });

  it('dim_customer keeps history: a change on day 2 closes the old version when the new one opens', async () => {
    const [changed] = await query<{ customer_id: number }>(
      `select customer_id from gold.dim_customer group by customer_id having count(*) = 2 and bool_or(is_current) order by customer_id limit 1`,
    );
    const versions = await query<{
      valid_from: string;
      valid_to: string | null;
      is_current: boolean;
    }>(
      `select cast(valid_from as varchar) as valid_from, cast(valid_to as varchar) as valid_to, is_current from gold.dim_customer where customer_id = ${changed!.customer_id} order by valid_from`,
    );
    expect(versions[0]!.valid_to).toBe(versions[1]!.valid_from);
    expect(versions[1]).toMatchObject({ valid_to: null, is_current: true });
    expect(versions[1]!.valid_from >= day2).toBe(true);

    const [tombstone] = await sim<{ customer_id: string; deleted_at: string }>(
      `select customer_id, cast(updated_at as varchar) as deleted_at from snowflake.customers c where is_deleted and updated_at >= '${day2}'
         and exists (select 1 from snowflake.customers p where p.customer_id = c.customer_id and p.updated_at < '${day2}')
       order by customer_id limit 1`,
    );
    const history = await query<{ valid_to: string | null; is_current: boolean }>(
      `select cast(valid_to as varchar) as valid_to, is_current from gold.dim_customer where customer_id = ${tombstone!.customer_id} order by valid_from`,
    );
    if (history.length > 0)
      expect(history.at(-1)).toEqual({ valid_to: tombstone!.deleted_at, is_current: false });
    expect(
      await one(
        `select count(*) as n from gold.customer_360 where customer_id = ${tombstone!.customer_id}`,
      ),
    ).toEqual({ n: 0 });
  });

  it('late Kafka events land in their order by event time', async () => {
    const late = await one<{ orders: number; consistent: number }>(
      `select count(*) as orders,
         count(case when f.latest_event_type = (select max_by(e.event_type, e.event_time) from silver.order_events e where e.order_id = f.order_id) then 1 end) as consistent
       from gold.fact_orders f where f.late_event_count > 0`,
    );
    expect(late.orders).toBeGreaterThan(0);
    expect(late.consistent).toBe(late.orders);
  });

  it('re-running day 2 changes nothing', async () => {
    const before = await fingerprints(platform.lakehouse, project);
    const bronzeBefore = await one<{ n: number }>(
      'select count(*) as n from bronze.snowflake_orders',
    );
    const again = await runJob(platform, 'daily', { runDate: day2 });
    expect(again.status).toBe('succeeded');
    expect(again.steps.filter((s) => s.layer === 'bronze').every((s) => s.rowsOut === 0)).toBe(
      true,
    );
    expect(await fingerprints(platform.lakehouse, project)).toEqual(before);
    expect(await one('select count(*) as n from bronze.snowflake_orders')).toEqual(bronzeBefore);
  });

  it('a transient failure is retried by the state machine, and the run succeeds', async () => {
    const crm = platform.handlers.IngestRest!;
    let calls = 0;
    platform.handlers.IngestRest = async (event) => {
      calls++;
      if (calls === 1) throw new TransientError('CRM API unreachable (simulated)');
      return crm(event);
    };
    try {
      const outcome = await runJob(platform, 'crm_to_bronze', {
        runDate: day2,
        retryIntervalMs: 0,
      });
      expect(outcome.status).toBe('succeeded');
      expect(outcome.attempts).toEqual({
        AcquireRunLock: 1,
        CrmToBronze: 2,
        CatalogSync: 1,
        ReleaseRunLock: 1,
      });
    } finally {
      platform.handlers.IngestRest = crm;
    }
  });

  it('a permanent failure takes the catch path: the run fails, people are notified, history and lineage say why', async () => {
    // The transform fails inside its build of silver.orders, after the models before it.
    const lakehouse = platform.lakehouse;
    const relationExists = lakehouse.relationExists.bind(lakehouse);
    // The plan looks the table up first (is this its first build?): the build's look-up fails.
    let lookups = 0;
    lakehouse.relationExists = async (relation) => {
      if (relation === 'silver.orders' && ++lookups > 1)
        throw new PipelineError('silver is on fire (simulated)');
      return relationExists(relation);
    };
    try {
      const outcome = await runJob(platform, 'bronze_to_silver', {
        runDate: day2,
        retryIntervalMs: 0,
      });
      expect(outcome).toMatchObject({
        status: 'failed',
        error: 'PipelineError: silver is on fire (simulated)',
        attempts: { PlanSilver: 1, NotifyFailure: 1 },
      });
      const notices = readFileSync(path.join(lake.lakeRoot, 'notifications.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(notices.at(-1)).toMatchObject({
        runId: outcome.runId,
        job: 'bronze_to_silver',
        error: 'PipelineError',
        cause: 'silver is on fire (simulated)',
      });
      expect(
        await one(`select status, error from audit.runs where run_id = '${outcome.runId}'`),
      ).toEqual({ status: 'failed', error: outcome.error });
      const events = await lineageOf(outcome.runId);
      const failed = events.filter((e) => e.eventType === 'FAIL');
      expect(failed.map((e) => e.job.name)).toEqual(['model.silver.orders', 'bronze_to_silver']);
      expect(failed[0]!.run.facets?.errorMessage).toMatchObject({
        message: 'silver is on fire (simulated)',
        programmingLanguage: 'TypeScript',
      });
      expect(
        events.find((e) => e.eventType === 'START' && e.job.name === 'model.silver.orders')!.run
          .runId,
      ).toBe(failed[0]!.run.runId);
      expect(checkRunEvents(events)).toEqual([]);
    } finally {
      lakehouse.relationExists = relationExists;
    }
  });

  describe('OpenLineage events', () => {
    const schemas = path.resolve(projectRoot, '../shared/schemas/openlineage');

    it.runIf(existsSync(schemas))(
      'every event of a daily run is valid against the official schemas, each facet against its own',
      async () => {
        const ajv = new Ajv2020({ allErrors: true, strict: false });
        addFormats(ajv);
        const files = [
          path.join(schemas, 'OpenLineage.json'),
          ...readdirSync(path.join(schemas, 'facets')).map((f) => path.join(schemas, 'facets', f)),
        ];
        for (const file of files) ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')) as object);
        const runEvent = ajv.getSchema(
          'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
        )!;
        const events = await lineageOf(runs[0]!.runId);
        expect(events.length).toBeGreaterThan(50);
        const problems: unknown[] = [];
        for (const event of events) {
          if (!runEvent(event)) problems.push({ job: event.job.name, errors: runEvent.errors });
          const facets = [
            event.run.facets,
            event.job.facets,
            ...[...event.inputs, ...event.outputs].flatMap((d) => [
              d.facets,
              'inputFacets' in d ? d.inputFacets : undefined,
              'outputFacets' in d ? d.outputFacets : undefined,
            ]),
          ].flatMap((f) => Object.entries(f ?? {}));
          for (const [name, facet] of facets) {
            const validate = ajv.getSchema(facet._schemaURL);
            if (!validate)
              problems.push({ job: event.job.name, facet: name, unknown: facet._schemaURL });
            else if (!validate(facet))
              problems.push({ job: event.job.name, facet: name, errors: validate.errors });
          }
        }
        expect(problems).toEqual([]);
      },
    );

    it('each task run has one START and one end, its runId a UUIDv7, its parent the pipeline run', async () => {
      const events = await lineageOf(runs[1]!.runId);
      expect(checkRunEvents(events)).toEqual([]);
      const pipelineRun = runUuid(runs[1]!.runId);
      const tasks = events.filter((e) => e.run.runId !== pipelineRun);
      for (const event of tasks) {
        expect(event.run.runId).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        expect(event.run.facets?.parent).toMatchObject({
          run: { runId: pipelineRun },
          job: { namespace: 'medallion-local', name: 'daily' },
        });
      }
      expect(events.filter((e) => e.job.name === 'daily').map((e) => e.eventType)).toEqual([
        'START',
        'COMPLETE',
      ]);
      const jobs = new Set(tasks.map((e) => e.job.name));
      const expected = [
        ...['snowflake.orders', 'crm.accounts', 'fx.rates', 'kafka.order_events'].map(
          (d) => `ingest.${d}`,
        ),
        ...project.models.models.map((m) => `model.${m.contractId}`),
        ...project.contracts
          .all()
          .filter((c) => c.layer !== 'bronze')
          .map((c) => `quality.${c.id}`),
      ];
      expect(expected.filter((job) => !jobs.has(job))).toEqual([]);
    });

    it('a model’s COMPLETE carries its SQL, owner, column lineage and the rows it wrote', async () => {
      const events = await lineageOf(runs[1]!.runId);
      const complete = events.find(
        (e) => e.job.name === 'model.gold.fact_orders' && e.eventType === 'COMPLETE',
      )!;
      expect(complete.job.facets?.sql?.query).toContain("ref('silver.orders')");
      expect(complete.job.facets?.ownership).toMatchObject({
        owners: [{ name: expect.stringMatching(/^team:/) }],
      });
      const [output] = complete.outputs;
      expect(output).toMatchObject({
        namespace: 'file',
        name: `${path.resolve(lake.lakeRoot)}/gold/fact_orders`,
        facets: {
          symlinks: {
            identifiers: [
              {
                namespace: 'arn:aws:glue:us-east-1:000000000000',
                name: 'table/medallion_local_gold/fact_orders',
                type: 'TABLE',
              },
            ],
          },
        },
      });
      const amount = (
        output!.facets!.columnLineage as unknown as {
          fields: Record<string, { inputFields: { name: string; field: string }[] }>;
        }
      ).fields.amount_usd!;
      expect(
        amount.inputFields.map((f) => `${f.name.split('/').slice(-2).join('.')}.${f.field}`).sort(),
      ).toEqual(['silver.fx_rates.usd_rate', 'silver.orders.quantity', 'silver.orders.unit_price']);
      const step = runs[1]!.steps.find((s) => s.dataset === 'gold.fact_orders')!;
      expect(output!.outputFacets?.outputStatistics).toMatchObject({ rowCount: step.rowsOut });
    });

    it('a quality check’s input carries the profile’s metrics and every assertion', async () => {
      const events = await lineageOf(runs[1]!.runId);
      const complete = events.find(
        (e) => e.job.name === 'quality.silver.orders' && e.eventType === 'COMPLETE',
      )!;
      const facets = complete.inputs[0]!.inputFacets!;
      expect(facets.dataQualityMetrics).toMatchObject({ rowCount: expect.any(Number) });
      // The gate computes only what its checks read: silver.orders' freshness column (its newest
      // value), no null or distinct count of any column.
      expect(
        (facets.dataQualityMetrics as unknown as { columnMetrics: Record<string, unknown> })
          .columnMetrics,
      ).toEqual({ updated_at: {} });
      expect(
        (facets.dataQualityAssertions as unknown as { assertions: unknown[] }).assertions,
      ).toContainEqual(
        expect.objectContaining({
          name: 'customer_id.references_customers',
          success: false,
          severity: 'warning',
        }),
      );
    });

    it('the lakehouse view audit.lineage_events reads the stored events', async () => {
      await platform.lakehouse.refreshSources();
      const rows = await query<{ n: number }>(
        `select count(*) as n from audit.lineage_events where '${runUuid(runs[0]!.runId)}' in (json_extract_string(run, '$.facets.parent.run.runId'), json_extract_string(run, '$.runId'))`,
      );
      expect(rows[0]!.n).toBe((await lineageOf(runs[0]!.runId)).length);
    });
  });

  it('data-quality warnings are recorded with failing samples, and the run goes on', async () => {
    const orders = runs[1]!.quality.find((q) => q.dataset === 'silver.orders');
    expect(orders).toMatchObject({ failedErrors: 0, failedWarnings: 1 });
    expect(orders!.score).toBeLessThan(100);
    expect(runs[1]!.quality.map((q) => q.dataset)).toEqual(
      project.contracts
        .all()
        .filter((c) => c.layer === 'silver' || c.layer === 'gold')
        .sort((a, b) => (a.layer === b.layer ? 0 : a.layer === 'silver' ? -1 : 1))
        .map((c) => c.id),
    );
    const warning = await one<{ status: string; severity: string; sample: string }>(
      `select status, severity, sample from audit.dq_results
       where run_id = '${runs[1]!.runId}' and check_name = 'customer_id.references_customers'`,
    );
    expect(warning).toMatchObject({ status: 'fail', severity: 'warning' });
    expect(JSON.parse(warning.sample)).toHaveLength(5);
  });

  it('bad data fails the quality gate: the run stops before gold, notifies, and names the check', async () => {
    // Written by hand, not by a merge of the run: the full check (here asked for) reads it.
    await platform.lakehouse.execute(
      `insert into silver.orders select * replace (999999999 as order_id, null as customer_id) from silver.orders limit 1`,
    );
    try {
      const outcome = await runJob(platform, 'daily', {
        runDate: day2,
        retryIntervalMs: 0,
        fullChecks: true,
      });
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(
        /^DataQualityError: 1 error check\(s\) failed in silver: silver\.orders customer_id\.required \(error\): 1 of [\d,]+ rows/,
      );
      expect(outcome.attempts).toMatchObject({ SilverQuality: 1, NotifyFailure: 1 });
      expect(outcome.attempts.PlanGold).toBeUndefined();
      expect(
        await one(
          `select status, failing_rows from audit.dq_results where run_id = '${outcome.runId}' and dataset = 'silver.orders' and check_name = 'customer_id.required'`,
        ),
      ).toEqual({ status: 'fail', failing_rows: 1 });
    } finally {
      await platform.lakehouse.execute('delete from silver.orders where order_id = 999999999');
    }
    const healed = await runJob(platform, 'bronze_to_silver', { runDate: day2 });
    expect(healed.status).toBe('succeeded');
  });

  describe('killed mid-run', () => {
    let crashed: Lake;
    afterAll(() => crashed?.cleanup());

    it('leaves the last published state readable, and a clean re-run converges to the uninterrupted result', async () => {
      crashed = await sampleLake(scale, 2);
      expect((await cli(crashed.lakeRoot, ['run', '--job', 'daily', '--date', day1])).code).toBe(0);
      const open = () =>
        DuckDbLakehouse.open({
          lakeRoot: crashed.lakeRoot,
          threads: 1,
          memoryLimit: '512MB',
          bronze: project.contracts.all().filter((c) => c.layer === 'bronze'),
          readOnly: true,
        });
      const afterDay1 = await (async () => {
        const lakehouse = await open();
        try {
          return await fingerprints(lakehouse, project);
        } finally {
          lakehouse.close();
        }
      })();

      // Killed while extracting: staged bronze objects are left behind, no watermark moved.
      const duringIngest = await cli(crashed.lakeRoot, ['run', '--job', 'daily', '--date', day2], {
        text: '▶ KafkaToBronze',
        afterMs: 0,
      });
      expect(duringIngest.signal).toBe('SIGKILL');
      // Killed inside the silver transaction.
      const duringSilver = await cli(crashed.lakeRoot, ['run', '--job', 'daily', '--date', day2], {
        text: '▶ BuildSilverModel',
        afterMs: 50,
      });
      expect(duringSilver.signal).toBe('SIGKILL');
      expect(existsSync(path.join(crashed.lakeRoot, '.lock'))).toBe(true);

      const lakehouse = await open();
      try {
        const now = await fingerprints(lakehouse, project);
        for (const model of project.models.layer('gold'))
          expect(now[model.name], model.name).toBe(afterDay1[model.name]);
      } finally {
        lakehouse.close();
      }

      const rerun = await cli(crashed.lakeRoot, ['run', '--job', 'daily', '--date', day2]);
      expect(rerun.code, rerun.stderr).toBe(0);
      const recovered = await open();
      try {
        expect(await fingerprints(recovered, project)).toEqual(
          await fingerprints(platform.lakehouse, project),
        );
        const statuses = await recovered.query<{ status: string; n: number }>(
          'select status, count(*) as n from audit.runs group by status order by status',
        );
        expect(statuses).toEqual([
          { status: 'interrupted', n: 2 },
          { status: 'succeeded', n: 2 },
        ]);
        // The killed runs’ lineage is closed: their pipeline runs and open task runs end in ABORT.
        const interrupted = await recovered.query<{ run_id: string }>(
          `select run_id from audit.runs where status = 'interrupted'`,
        );
        const log = new LineageLog(new FsObjectStore(crashed.lakeRoot));
        for (const { run_id } of interrupted) {
          const events = await log.list({ runIds: [runUuid(run_id)] });
          expect(checkRunEvents(events)).toEqual([]);
          expect(events.filter((e) => e.job.name === 'daily').map((e) => e.eventType)).toEqual([
            'START',
            'ABORT',
          ]);
        }
      } finally {
        recovered.close();
      }
    });
  });
});
