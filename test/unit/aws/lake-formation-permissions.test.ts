import { DeleteTableCommand, GetTablesCommand, GlueClient } from '@aws-sdk/client-glue';
import {
  AddLFTagsToResourceCommand,
  CreateDataCellsFilterCommand,
  DeleteDataCellsFilterCommand,
  GrantPermissionsCommand,
  LakeFormationClient,
  ListDataCellsFilterCommand,
  UpdateDataCellsFilterCommand,
} from '@aws-sdk/client-lakeformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { lakeFormationPermissionsIam } from '../../../lambdas/adapters/aws/iam-calls';
import { LakeFormationPermissions } from '../../../lambdas/adapters/aws/lake-formation-permissions';
import type { CellsFilter } from '../../../lambdas/core/access/cells';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const glue = mockClient(GlueClient);
const lakeFormation = mockClient(LakeFormationClient);
expectDeclaredCommands('LakeFormationPermissions', glue, lakeFormationPermissionsIam.actions);
expectDeclaredCommands(
  'LakeFormationPermissions',
  lakeFormation,
  lakeFormationPermissionsIam.actions,
);

let statements: string[] = [];
const adapter = (runStatement = async (sql: string) => void statements.push(sql)) =>
  new LakeFormationPermissions(new GlueClient({}), new LakeFormationClient({}), {
    project: 'medallion',
    env: 'dev',
    catalogId: '123456789012',
    roleArn: (persona) => `arn:aws:iam::123456789012:role/medallion-dev-persona-${persona}`,
    runStatement,
  });
/** An Athena view's Glue text, as Athena stores `create view … as <sql>`. */
const prestoView = (sql: string) =>
  `/* Presto View: ${Buffer.from(JSON.stringify({ originalSql: sql, catalog: 'awsdatacatalog' })).toString('base64')} */`;
const denied = (message: string) =>
  Object.assign(new Error(message), { name: 'AccessDeniedException' });
const named = (name: string) => Object.assign(new Error(name), { name });

const analyst: CellsFilter = {
  persona: 'analyst',
  relation: 'gold.customer_360',
  name: 'medallion_analyst',
  columnNames: ['customer_id', 'country_code'],
  rowFilter: "country_code IN ('US', 'CA')",
};
const tableData = {
  TableCatalogId: '123456789012',
  DatabaseName: 'medallion_dev_gold',
  TableName: 'customer_360',
  Name: 'medallion_analyst',
  ColumnNames: ['customer_id', 'country_code'],
  RowFilter: { FilterExpression: "country_code IN ('US', 'CA')" },
};

beforeEach(() => {
  statements = [];
  glue.reset();
  lakeFormation.reset();
});

describe('LakeFormationPermissions (AWS adapter)', () => {
  it('lists every page of the lake’s tables with their partition columns; a published view with its version, other views and scratch left out', async () => {
    glue.on(GetTablesCommand).resolves({ TableList: [] });
    glue
      .on(GetTablesCommand, { DatabaseName: 'medallion_dev_gold' })
      .resolvesOnce({
        TableList: [
          {
            Name: 'customer_360__v3',
            StorageDescriptor: { Columns: [{ Name: 'customer_id' }] },
          },
        ],
        NextToken: 'p2',
      })
      .resolvesOnce({
        TableList: [
          {
            Name: 'customer_360',
            TableType: 'VIRTUAL_VIEW',
            StorageDescriptor: { Columns: [{ Name: 'customer_id' }] },
            ViewOriginalText: prestoView(
              'select * from "medallion_dev_gold"."customer_360__v20260102040000000_ab12cd34"',
            ),
          },
          {
            Name: 'big_spenders',
            TableType: 'VIRTUAL_VIEW',
            ViewOriginalText: prestoView(
              'select * from "medallion_dev_gold"."customer_360__v3" where revenue > 1000',
            ),
          },
          { Name: 'hand_made', TableType: 'VIRTUAL_VIEW', ViewOriginalText: 'not a presto view' },
          {
            Name: 'revenue_daily',
            StorageDescriptor: { Columns: [{ Name: 'revenue' }] },
            PartitionKeys: [{ Name: 'day' }],
          },
        ],
      });
    expect(await adapter().listTables()).toEqual([
      { relation: 'gold.customer_360__v3', columns: ['customer_id'] },
      {
        relation: 'gold.customer_360',
        columns: ['customer_id'],
        source: 'gold.customer_360__v20260102040000000_ab12cd34',
      },
      { relation: 'gold.revenue_daily', columns: ['revenue', 'day'] },
    ]);
    const databases = glue.commandCalls(GetTablesCommand).map((c) => c.args[0].input.DatabaseName);
    expect(databases).not.toContain('medallion_dev_scratch');
    expect(databases.filter((d) => d === 'medallion_dev_gold')).toHaveLength(2);
  });

  it('lists every page of filters, only those on our databases', async () => {
    lakeFormation
      .on(ListDataCellsFilterCommand)
      .resolvesOnce({ DataCellsFilters: [tableData], NextToken: 't' })
      .resolvesOnce({
        DataCellsFilters: [
          { ...tableData, DatabaseName: 'someone_else', Name: 'x' },
          { ...tableData, Name: 'medallion_engineer', RowFilter: { AllRowsWildcard: {} } },
        ],
      });
    expect(await adapter().listFilters()).toEqual([
      {
        relation: 'gold.customer_360',
        name: 'medallion_analyst',
        columnNames: analyst.columnNames,
        rowFilter: analyst.rowFilter,
      },
      {
        relation: 'gold.customer_360',
        name: 'medallion_engineer',
        columnNames: analyst.columnNames,
      },
    ]);
    expect(lakeFormation.commandCalls(ListDataCellsFilterCommand)[1]!.args[0].input).toEqual({
      NextToken: 't',
    });
  });

  it('creates a filter with its columns and row predicate, and updates one that already exists', async () => {
    lakeFormation
      .on(CreateDataCellsFilterCommand)
      .resolvesOnce({})
      .rejectsOnce(named('AlreadyExistsException'));
    lakeFormation.on(UpdateDataCellsFilterCommand).resolves({});
    const { rowFilter: _, ...allRows } = analyst;
    await adapter().createFilter(analyst);
    await adapter().createFilter(allRows);
    expect(lakeFormation.commandCalls(CreateDataCellsFilterCommand)[0]!.args[0].input).toEqual({
      TableData: tableData,
    });
    expect(lakeFormation.commandCalls(UpdateDataCellsFilterCommand)[0]!.args[0].input).toEqual({
      TableData: { ...tableData, RowFilter: { AllRowsWildcard: {} } },
    });
  });

  it('a filter already gone is removed; any other failure names the call', async () => {
    lakeFormation.on(DeleteDataCellsFilterCommand).rejectsOnce(named('EntityNotFoundException'));
    await adapter().deleteFilter(analyst);
    expect(lakeFormation.commandCalls(DeleteDataCellsFilterCommand)[0]!.args[0].input).toEqual({
      TableCatalogId: '123456789012',
      DatabaseName: 'medallion_dev_gold',
      TableName: 'customer_360',
      Name: 'medallion_analyst',
    });
    lakeFormation.on(DeleteDataCellsFilterCommand).rejects(named('InternalServiceException'));
    await expect(adapter().deleteFilter(analyst)).rejects.toThrow(
      'Lake Formation DeleteDataCellsFilter medallion_analyst on gold.customer_360 failed',
    );
  });

  it('grants SELECT on the filter to the persona’s role, and says where a denied grant comes from', async () => {
    lakeFormation
      .on(GrantPermissionsCommand)
      .resolvesOnce({})
      .rejectsOnce(denied('Insufficient Lake Formation permission(s)'));
    await adapter().grantSelect(analyst);
    expect(lakeFormation.commandCalls(GrantPermissionsCommand)[0]!.args[0].input).toEqual({
      CatalogId: '123456789012',
      Principal: {
        DataLakePrincipalIdentifier: 'arn:aws:iam::123456789012:role/medallion-dev-persona-analyst',
      },
      Resource: {
        DataCellsFilter: {
          TableCatalogId: '123456789012',
          DatabaseName: 'medallion_dev_gold',
          TableName: 'customer_360',
          Name: 'medallion_analyst',
        },
      },
      Permissions: ['SELECT'],
    });
    await expect(adapter().grantSelect(analyst)).rejects.toThrow(
      /GrantPermissions SELECT on medallion_analyst \(gold.customer_360\) to analyst failed: AccessDeniedException.*Access stack/,
    );
  });

  it('tags columns with their classification and fails on any per-resource failure', async () => {
    lakeFormation
      .on(AddLFTagsToResourceCommand)
      .resolvesOnce({ Failures: [] })
      .resolvesOnce({
        Failures: [
          { Error: { ErrorCode: 'EntityNotFoundException', ErrorMessage: 'column gone' } },
        ],
      });
    await adapter().tagColumns('gold.customer_360', 'pii', ['email']);
    expect(lakeFormation.commandCalls(AddLFTagsToResourceCommand)[0]!.args[0].input).toEqual({
      CatalogId: '123456789012',
      Resource: {
        TableWithColumns: {
          CatalogId: '123456789012',
          DatabaseName: 'medallion_dev_gold',
          Name: 'customer_360',
          ColumnNames: ['email'],
        },
      },
      LFTags: [{ CatalogId: '123456789012', TagKey: 'classification', TagValues: ['pii'] }],
    });
    await expect(adapter().tagColumns('gold.customer_360', 'pii', ['email'])).rejects.toThrow(
      'AddLFTagsToResource classification=pii on gold.customer_360 failed: EntityNotFoundException: column gone',
    );
  });

  it('lists the views of every persona database, every page, with their Athena SQL', async () => {
    glue
      .on(GetTablesCommand, { DatabaseName: 'medallion_dev_auditor_gold' })
      .resolvesOnce({
        TableList: [
          {
            Name: 'customer_360',
            TableType: 'VIRTUAL_VIEW',
            ViewDefinition: {
              IsProtected: true,
              Representations: [
                { Dialect: 'SPARK', ViewOriginalText: 'select 1' },
                { Dialect: 'ATHENA', ViewOriginalText: 'select "customer_id" from x' },
              ],
            },
          },
        ],
        NextToken: 'p2',
      })
      .resolvesOnce({ TableList: [{ Name: 'stray', TableType: 'EXTERNAL_TABLE' }] });
    expect(await adapter().listViews(['medallion_dev_auditor_gold'])).toEqual([
      {
        database: 'medallion_dev_auditor_gold',
        name: 'customer_360',
        select: 'select "customer_id" from x',
      },
      { database: 'medallion_dev_auditor_gold', name: 'stray' },
    ]);
  });

  it('says the Access stack is missing when a persona database is', async () => {
    glue.on(GetTablesCommand).rejects(named('EntityNotFoundException'));
    await expect(adapter().listViews(['medallion_dev_auditor_gold'])).rejects.toThrow(
      "Glue database medallion_dev_auditor_gold does not exist: the Access stack creates each persona's databases",
    );
  });

  it('defines a view as a protected definer view through Athena, and names the view when that fails', async () => {
    const view = {
      persona: 'auditor',
      relation: 'gold.customer_360',
      database: 'medallion_dev_auditor_gold',
      name: 'customer_360',
      select: 'select "customer_id" from "medallion_dev_gold"."customer_360__v3"',
    };
    await adapter().defineView(view);
    expect(statements).toEqual([
      'create or replace protected multi dialect view "medallion_dev_auditor_gold"."customer_360" security definer as select "customer_id" from "medallion_dev_gold"."customer_360__v3"',
    ]);
    const failing = adapter(async () => {
      throw new Error('Insufficient Lake Formation permission(s)');
    });
    await expect(failing.defineView(view)).rejects.toThrow(
      `Defining auditor's view "medallion_dev_auditor_gold"."customer_360" of gold.customer_360 failed: Insufficient Lake Formation permission(s)`,
    );
  });

  it('drops a view with Glue DeleteTable; one already gone is fine', async () => {
    glue.on(DeleteTableCommand).resolvesOnce({}).rejectsOnce(named('EntityNotFoundException'));
    const view = { database: 'medallion_dev_auditor_gold', name: 'orders' };
    await adapter().dropView(view);
    await adapter().dropView(view);
    expect(glue.commandCalls(DeleteTableCommand)[0]!.args[0].input).toEqual({
      CatalogId: '123456789012',
      DatabaseName: 'medallion_dev_auditor_gold',
      Name: 'orders',
    });
  });
});
