import { GetTablesCommand, GlueClient } from '@aws-sdk/client-glue';
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

const adapter = () =>
  new LakeFormationPermissions(new GlueClient({}), new LakeFormationClient({}), {
    project: 'medallion',
    env: 'dev',
    catalogId: '123456789012',
    roleArn: (persona) => `arn:aws:iam::123456789012:role/medallion-dev-persona-${persona}`,
  });
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
  glue.reset();
  lakeFormation.reset();
});

describe('LakeFormationPermissions (AWS adapter)', () => {
  it('lists every page of the lake’s tables with their partition columns, views and scratch left out', async () => {
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
          { Name: 'customer_360', TableType: 'VIRTUAL_VIEW' },
          {
            Name: 'revenue_daily',
            StorageDescriptor: { Columns: [{ Name: 'revenue' }] },
            PartitionKeys: [{ Name: 'day' }],
          },
        ],
      });
    expect(await adapter().listTables()).toEqual([
      { relation: 'gold.customer_360__v3', columns: ['customer_id'] },
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
});
