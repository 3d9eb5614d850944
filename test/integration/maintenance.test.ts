/**
 * The maintenance job's local twin on a small generated lake: `daily` twice publishes every
 * `table` model twice (a view over `<table>__v<id>`, as on Athena), then `maintenance` runs
 * through `stepfunctions/maintenance.asl.json`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { systemClock } from '../../lambdas/adapters/system-clock';
import type { Clock } from '../../lambdas/core/ports';
import type { Project } from '../../lambdas/definitions/project-files';
import { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { runJob } from '../../lambdas/runtime/runner';
import { day1, day2, sampleLake, testProject } from '../helpers/lake';

/** A clock `hours` ahead of the wall clock: maintenance as it would run days after the runs. */
const ahead = (hours: number): Clock => ({
  now: () => new Date(Date.now() + hours * 3_600_000),
  sleep: (ms) => systemClock.sleep(ms),
});

describe('maintenance job (local twin)', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let project: Project;
  const messages: string[] = [];

  /** Runs a job on a platform of its own, opened with the given clock. */
  const withPlatform = async <T>(clock: Clock, work: (p: LocalPlatform) => Promise<T>) => {
    const platform = await LocalPlatform.open(project, {
      lakeRoot: lake.lakeRoot,
      clock,
      logger: { info: (m) => messages.push(m), warn: (m) => messages.push(m) },
    });
    try {
      return await work(platform);
    } finally {
      await platform.close();
    }
  };
  const maintain = (clock: Clock) =>
    withPlatform(clock, async (p) => {
      messages.length = 0;
      const outcome = await runJob(p, 'maintenance', { runDate: day2, retryIntervalMs: 0 });
      expect(outcome.status, outcome.error).toBe('succeeded');
      return [...messages];
    });
  /** Tables and views of the lakehouse, and what gold holds, row for row. */
  const snapshot = () =>
    withPlatform(systemClock, async (p) => {
      const relations = (await p.lakehouse.list(['silver', 'gold', 'quarantine'])).map(
        (e) => `${e.schema}.${e.name}${e.kind === 'view' ? ' (view)' : ''}`,
      );
      const gold: Record<string, unknown> = {};
      for (const model of project.models.models.filter((m) => m.layer === 'gold'))
        gold[model.name] = await p.lakehouse.query(`select * from ${model.name} order by all`);
      const [quarantined] = await p.lakehouse.query<{ orders: number; customers: number }>(
        `select (select count(*) from quarantine.orders) as orders, (select count(*) from quarantine.customers) as customers`,
      );
      return { relations, gold, quarantined: quarantined! };
    });

  beforeAll(async () => {
    lake = await sampleLake(10_000);
    project = await testProject((c) => ({
      ...c,
      maintenance: {
        ...c.maintenance,
        retention: { quarantine: { days: 90 }, 'quarantine.orders': { days: 1 } },
      },
    }));
    await withPlatform(systemClock, async (p) => {
      for (const date of [day1, day2]) {
        const outcome = await runJob(p, 'daily', { runDate: date, retryIntervalMs: 0 });
        expect(outcome.status, outcome.error).toBe('succeeded');
      }
    });
  }, 240_000);
  afterAll(() => lake?.cleanup());

  const tableModels = () =>
    project.models.models.filter((m) => m.config.materialization === 'table').map((m) => m.name);
  const versionsOf = (relations: readonly string[], model: string) =>
    relations.filter((r) => r.startsWith(`${model}__v`));

  it('two runs leave two versions of every table model, the newest published', async () => {
    const { relations } = await snapshot();
    expect(tableModels().length).toBeGreaterThan(0);
    for (const model of tableModels()) {
      expect(versionsOf(relations, model), model).toHaveLength(2);
      expect(relations, model).toContain(`${model} (view)`);
    }
  });

  /** Rows each merge target holds, live and with the deleted ones DuckDB still keeps. */
  const mergeTargetRows = () =>
    withPlatform(systemClock, async (p) => {
      const rows: Record<string, { stored: number; live: number }> = {};
      for (const model of project.models.models.filter(
        (m) => m.config.materialization !== 'table',
      )) {
        const [schema, table] = model.name.split('.');
        const [row] = await p.lakehouse.query<{ stored: number; live: number }>(
          `select (select estimated_size from duckdb_tables() where database_name = 'lake' and schema_name = '${schema}' and table_name = '${table}') as stored,
            (select count(*) from ${model.name}) as live`,
        );
        rows[model.name] = row!;
      }
      return rows;
    });

  it('the daily upserts leave the rows they replace as delete marks, which maintenance compacts away', async () => {
    const before = await mergeTargetRows();
    for (const model of ['silver.orders', 'silver.customers', 'gold.fact_orders'])
      expect(before[model]!.stored, model).toBeGreaterThan(before[model]!.live);
    const log = await maintain(systemClock);
    const after = await mergeTargetRows();
    for (const [model, { stored, live }] of Object.entries(before)) {
      expect(after[model], model).toEqual({ stored: live, live });
      // A table without marks is left as it is.
      expect(log.includes(`maintained ${model}`), model).toBe(stored > live);
    }
    expect(Object.values(before).some(({ stored, live }) => stored === live)).toBe(true);
  });

  it('right after the runs, maintenance drops nothing: the superseded versions may still be read', async () => {
    const before = await snapshot();
    await maintain(systemClock);
    expect((await snapshot()).relations).toEqual(before.relations);
  });

  it('days later it drops the superseded versions, keeps the published ones, ages out rows, and gold is unchanged', async () => {
    const before = await snapshot();
    expect(before.quarantined.orders).toBeGreaterThan(0);
    expect(before.quarantined.customers).toBeGreaterThan(0);

    const log = await maintain(ahead(48));
    const after = await snapshot();
    for (const model of tableModels()) {
      const [older, newer] = versionsOf(before.relations, model).sort();
      expect(versionsOf(after.relations, model), model).toEqual([newer]);
      expect(log, model).toContain(`dropped ${older}: superseded version of ${model}`);
    }
    expect(after.gold).toEqual(before.gold);
    // quarantine.orders keeps one day, the rest of quarantine 90.
    expect(after.quarantined).toEqual({ orders: 0, customers: before.quarantined.customers });
    // Seeds are published the same way, and their superseded versions go too.
    const dropped = log.filter((m) => m.startsWith('dropped '));
    expect(dropped.every((m) => / superseded version of (silver|gold|seeds)\./.test(m))).toBe(true);
    expect(log.at(-1)).toBe(
      `maintenance: dropped ${dropped.length} table(s), deleted ${before.quarantined.orders} row(s) and 0 bronze object(s)`,
    );
  });

  it('a second run changes nothing', async () => {
    const before = await snapshot();
    const log = await maintain(ahead(48));
    expect(await snapshot()).toEqual(before);
    expect(log.at(-1)).toBe(
      'maintenance: dropped 0 table(s), deleted 0 row(s) and 0 bronze object(s)',
    );
  });
});

describe('a lakehouse written before table models were versioned', () => {
  it('is adopted on open: each table model becomes its first version behind a view, merge targets stay tables', async () => {
    const lakeRoot = mkdtempSync(path.join(os.tmpdir(), 'medallion-adopt-'));
    const open = (mergeTargets?: readonly string[]) =>
      DuckDbLakehouse.open({
        lakeRoot,
        threads: 1,
        memoryLimit: '256MB',
        bronze: [],
        ...(mergeTargets ? { mergeTargets } : {}),
      });
    try {
      const old = await open();
      await old.execute('create table gold.revenue_daily as select 1 as day, 10 as revenue');
      await old.execute('create table silver.orders as select 7 as order_id');
      old.close();

      const adopted = await open(['silver.orders']);
      const entries = await adopted.list(['silver', 'gold']);
      expect(
        entries.map((e) => [`${e.schema}.${e.name.replace(/__v\w+$/, '__v<id>')}`, e.kind]),
      ).toEqual([
        ['gold.revenue_daily', 'view'],
        ['gold.revenue_daily__v<id>', 'table'],
        ['silver.orders', 'table'],
      ]);
      expect(await adopted.query('select * from gold.revenue_daily')).toEqual([
        { day: 1, revenue: 10 },
      ]);
      // The next publication replaces the view, as on a lake that was versioned from the start.
      for (const sql of adopted.dialect.createOrReplaceTableAs(
        adopted.dialect.relation('gold.revenue_daily'),
        'select 2 as day, 20 as revenue',
      ))
        await adopted.execute(sql);
      expect(await adopted.query('select * from gold.revenue_daily')).toEqual([
        { day: 2, revenue: 20 },
      ]);
      adopted.close();
    } finally {
      rmSync(lakeRoot, { recursive: true, force: true });
    }
  });
});
