/**
 * The maintenance job on AWS: the statements the Athena dialect renders for each kind of task,
 * checked against the grammar Athena parses them with, and the Glue listing the plan starts from.
 */
import {
  EntityNotFoundException,
  GetTablesCommand,
  GlueClient,
  type Table,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { HiveSQL, TrinoSQL } from 'dt-sql-parser';
import { beforeEach, describe, expect, it } from 'vitest';
import { testAthenaDialect } from '../../helpers/athena';
import { GlueTableInventory } from '../../../lambdas/adapters/aws/glue-inventory';
import { glueInventoryIam } from '../../../lambdas/adapters/aws/iam-calls';
import { expectDeclaredCommands } from '../../helpers/declared-calls';
import { PipelineError } from '../../../lambdas/core/errors';

const trino = new TrinoSQL();
const hive = new HiveSQL();
const errors = (parser: TrinoSQL | HiveSQL, sql: string) =>
  parser.validate(sql).map((e) => e.message);

const dialect = testAthenaDialect().maintenance;

describe('maintenance SQL on Athena', () => {
  const version = 'gold.revenue_daily__v20260102030000123_3fa9c1d2';

  it('drops a table unquoted: Athena runs DROP TABLE as Hive DDL, which refuses double quotes', () => {
    const drop = dialect.dropTable(version);
    expect(drop).toBe(
      'drop table if exists medallion_dev_gold.revenue_daily__v20260102030000123_3fa9c1d2',
    );
    expect(errors(hive, drop)).toEqual([]);
    expect(errors(trino, drop)).toEqual([]);
    expect(errors(hive, 'drop table if exists "medallion_dev_gold"."x"')).not.toEqual([]);
  });

  it('deletes rows past their retention with a Trino DELETE at Iceberg precision', () => {
    const del = dialect.deleteBefore(
      'quarantine.orders',
      '_quarantined_at',
      '2025-12-10T12:00:00.000Z',
    );
    expect(del).toBe(
      `delete from "medallion_dev_quarantine"."orders" where "_quarantined_at" < timestamp '2025-12-10 12:00:00.000000'`,
    );
    expect(errors(trino, del)).toEqual([]);
  });

  it("sets the table's snapshot retention, then OPTIMIZE and VACUUM as Athena documents them", () => {
    const [alter, optimize, vacuum, ...rest] = dialect.compact('silver.orders', 7 * 86_400);
    expect(rest).toEqual([]);
    expect(alter).toBe(
      "alter table medallion_dev_silver.orders set tblproperties ('vacuum_max_snapshot_age_seconds' = '604800', 'vacuum_min_snapshots_to_keep' = '1')",
    );
    // ALTER TABLE SET TBLPROPERTIES is Hive DDL in Athena.
    expect(errors(hive, alter!)).toEqual([]);
    // OPTIMIZE and VACUUM are Athena's own statements, in neither grammar: their synopses are
    // `OPTIMIZE [db_name.]table_name REWRITE DATA USING BIN_PACK [WHERE predicate]` and
    // `VACUUM [database_name.]target_table`.
    expect(optimize).toMatch(/^optimize [a-z_]+\.[a-z_0-9]+ rewrite data using bin_pack$/);
    expect(vacuum).toMatch(/^vacuum [a-z_]+\.[a-z_0-9]+$/);
    expect([optimize, vacuum]).toEqual([
      'optimize medallion_dev_silver.orders rewrite data using bin_pack',
      'vacuum medallion_dev_silver.orders',
    ]);
    expect(dialect.reclaimSpace()).toEqual([]);
  });

  it('refuses a name that would need quoting rather than quote it wrongly', () => {
    expect(() => dialect.dropTable('gold.Revenue-Daily')).toThrow(PipelineError);
  });
});

describe('Glue table inventory', () => {
  const glue = mockClient(GlueClient);
  expectDeclaredCommands('GlueTableInventory', glue, glueInventoryIam.actions);
  beforeEach(() => glue.reset());
  const inventory = () =>
    new GlueTableInventory(
      new GlueClient({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      }),
      'medallion',
      'dev',
    );
  /** A view as Athena stores it in Glue: its SQL in base64 JSON inside a comment. */
  const prestoView = (name: string, sql: string): Table => ({
    Name: name,
    TableType: 'VIRTUAL_VIEW',
    ViewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify({ originalSql: sql, catalog: 'awsdatacatalog', schema: 'medallion_dev_gold', columns: [] })).toString('base64')} */`,
    ViewExpandedText: '/* Presto View */',
  });

  it("lists every page of each schema's database, with what each view reads", async () => {
    const sql = 'select * from "medallion_dev_gold"."revenue_daily__v20260102030000123_3fa9c1d2"';
    glue
      .on(GetTablesCommand, { DatabaseName: 'medallion_dev_gold' })
      .resolvesOnce({
        TableList: [
          {
            Name: 'revenue_daily__v20260102030000123_3fa9c1d2',
            TableType: 'EXTERNAL_TABLE',
            Parameters: { table_type: 'ICEBERG' },
          },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        TableList: [prestoView('revenue_daily', sql), { Name: 'odd', TableType: 'VIRTUAL_VIEW' }],
      });
    glue.on(GetTablesCommand, { DatabaseName: 'medallion_dev_quarantine' }).resolves({
      TableList: [
        { Name: 'orders', TableType: 'EXTERNAL_TABLE', Parameters: { table_type: 'iceberg' } },
      ],
    });

    expect(await inventory().list(['gold', 'quarantine'])).toEqual([
      {
        schema: 'gold',
        name: 'revenue_daily__v20260102030000123_3fa9c1d2',
        kind: 'table',
        mergeOnRead: true,
      },
      { schema: 'gold', name: 'revenue_daily', kind: 'view', mergeOnRead: false, viewText: sql },
      // A view whose text cannot be read has none: the plan then keeps what it might read.
      { schema: 'gold', name: 'odd', kind: 'view', mergeOnRead: false },
      { schema: 'quarantine', name: 'orders', kind: 'table', mergeOnRead: true },
    ]);
    expect(glue.commandCalls(GetTablesCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'medallion_dev_gold', NextToken: undefined },
      { DatabaseName: 'medallion_dev_gold', NextToken: 'page-2' },
      { DatabaseName: 'medallion_dev_quarantine', NextToken: undefined },
    ]);
  });

  it('a missing database fails naming it', async () => {
    glue
      .on(GetTablesCommand)
      .rejects(new EntityNotFoundException({ message: 'Database not found', $metadata: {} }));
    await expect(inventory().list(['scratch'])).rejects.toThrow(
      /Glue GetTables medallion_dev_scratch failed: EntityNotFoundException/,
    );
  });
});
