import { describe, expect, it } from 'vitest';
import {
  isDataStatement,
  RecordingSqlEngine,
  relationsOf,
} from '../../lambdas/core/recording-engine';
import type { SqlEngine } from '../../lambdas/core/ports';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';

describe('the data/bookkeeping classifier', () => {
  it('reads the qualified names a statement mentions, quoted or not, ignoring string literals', () => {
    expect(
      relationsOf(
        `insert into "silver"."orders" select * from bronze.orders o where o.note <> 'audit.runs'`,
      ),
    ).toEqual(['silver.orders', 'bronze.orders', 'o.note']);
  });

  it.each([
    [
      'a model build',
      'create or replace table "gold"."fact_orders__v1" as select * from silver.orders',
    ],
    [
      'a merge',
      'merge into "silver"."orders" t using "stage_silver_orders" s on t.order_id = s.order_id',
    ],
    ['a quarantine write', 'insert into "quarantine"."orders" select * from "stage_silver_orders"'],
    ['a gate check', 'select count(*) as n from "silver"."orders" where order_id is null'],
    ['a scratch table of a build', 'drop table if exists "stage_silver_orders"'],
  ])('counts %s as data', (_, sql) => expect(isDataStatement(sql)).toBe(true));

  it.each([
    ['run history', `select max(run_date) from "audit"."runs" where status = 'succeeded'`],
    [
      'a watermark',
      `merge into "audit"."model_state" t using (values ('silver.orders')) s on t.model = s.model`,
    ],
    ['quality results', `insert into "audit"."dq_results" (run_id) values ('r')`],
    [
      'a read joining the lake to bookkeeping',
      'select * from silver.orders o join audit.model_state m on true',
    ],
  ])('counts %s as bookkeeping', (_, sql) => expect(isDataStatement(sql)).toBe(false));
});

describe('RecordingSqlEngine', () => {
  const sent: string[] = [];
  const engine: SqlEngine = {
    dialect: duckdbDialect,
    execute: async (sql) => (sent.push(sql), 1),
    query: async <T>(sql: string) => (sent.push(sql), [] as T[]),
    refreshSources: async () => {},
    transaction: async (work) => work(),
    relationExists: async () => true,
    describe: async () => [],
  };

  it('passes every statement on and keeps the data ones, tagged by step, in order', async () => {
    let step = 'BuildSilverModel';
    const recording = new RecordingSqlEngine(engine, () => step);
    await recording.execute('create table silver.a as select 1');
    await recording.query(`select * from audit.runs`);
    step = 'SilverQuality';
    await recording.query('select count(*) from silver.a');
    await recording.describe('select * from silver.a');
    expect(sent).toEqual([
      'create table silver.a as select 1',
      'select * from audit.runs',
      'select count(*) from silver.a',
    ]);
    expect(recording.take()).toEqual([
      { step: 'BuildSilverModel', sql: 'create table silver.a as select 1', kind: 'execute' },
      { step: 'SilverQuality', sql: 'select count(*) from silver.a', kind: 'query' },
    ]);
    expect(recording.take()).toEqual([]);
  });

  it('drops the statements of a transaction that rolls back, keeping those before it', async () => {
    const recording = new RecordingSqlEngine(engine, () => undefined);
    await recording.execute('insert into silver.a values (1)');
    await expect(
      recording.transaction(async () => {
        await recording.execute('insert into silver.a values (2)');
        throw new Error('conflict');
      }),
    ).rejects.toThrow('conflict');
    await recording.transaction(() => recording.execute('insert into silver.a values (3)'));
    expect(recording.take().map((s) => [s.step, s.sql])).toEqual([
      ['(outside a step)', 'insert into silver.a values (1)'],
      ['(outside a step)', 'insert into silver.a values (3)'],
    ]);
  });
});
