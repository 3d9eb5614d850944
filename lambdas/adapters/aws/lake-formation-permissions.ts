import { GetTablesCommand, type GlueClient } from '@aws-sdk/client-glue';
import {
  AddLFTagsToResourceCommand,
  CreateDataCellsFilterCommand,
  DeleteDataCellsFilterCommand,
  GrantPermissionsCommand,
  ListDataCellsFilterCommand,
  UpdateDataCellsFilterCommand,
  type DataCellsFilter,
  type LakeFormationClient,
} from '@aws-sdk/client-lakeformation';
import type { Classification } from '../../../config/access-schema';
import type { CellsFilter } from '../../core/access/cells';
import type { ExistingFilter, LakePermissions } from '../../core/access/sync';
import type { ListedTable } from '../../core/access/tables';
import { glueDatabaseName, lakeSchemas, type LakeSchema } from '../../core/aws-names';
import { PipelineError } from '../../core/errors';
import { apiError } from './athena-engine';

export interface LakeFormationPermissionsProps {
  readonly project: string;
  readonly env: string;
  readonly catalogId: string;
  /** The ARN of a persona's role (`personaRoleName`). */
  readonly roleArn: (persona: string) => string;
}

/**
 * Data cells filters, their grants and column LF-tags through the Lake Formation API, and the
 * lake's tables from Glue. Views are left out: a data cells filter applies to a table, and an
 * Athena view reads its tables with the caller's own permissions.
 * https://docs.aws.amazon.com/lake-formation/latest/dg/data-filters-about.html
 */
export class LakeFormationPermissions implements LakePermissions {
  constructor(
    private readonly glue: GlueClient,
    private readonly lakeFormation: LakeFormationClient,
    private readonly props: LakeFormationPermissionsProps,
  ) {}

  private database(schema: LakeSchema): string {
    return glueDatabaseName(this.props.project, this.props.env, schema);
  }

  private tableOf(relation: string) {
    const [schema, name] = relation.split('.') as [LakeSchema, string];
    return {
      TableCatalogId: this.props.catalogId,
      DatabaseName: this.database(schema),
      TableName: name,
    };
  }

  async listTables(): Promise<ListedTable[]> {
    const tables: ListedTable[] = [];
    for (const schema of lakeSchemas.filter((s) => s !== 'scratch')) {
      const database = this.database(schema);
      let token: string | undefined;
      do {
        const page = await this.glue
          .send(new GetTablesCommand({ DatabaseName: database, NextToken: token }))
          .catch((error: unknown) => {
            throw apiError(`Glue GetTables ${database}`, error);
          });
        for (const t of page.TableList ?? [])
          if (t.TableType !== 'VIRTUAL_VIEW')
            tables.push({
              relation: `${schema}.${t.Name}`,
              columns: [...(t.StorageDescriptor?.Columns ?? []), ...(t.PartitionKeys ?? [])].map(
                (c) => c.Name ?? '',
              ),
            });
        token = page.NextToken;
      } while (token);
    }
    return tables;
  }

  async listFilters(): Promise<ExistingFilter[]> {
    const schemaOf = new Map(lakeSchemas.map((s) => [this.database(s), s]));
    const filters: ExistingFilter[] = [];
    let token: string | undefined;
    do {
      const page = await this.lakeFormation
        .send(new ListDataCellsFilterCommand({ NextToken: token }))
        .catch((error: unknown) => {
          throw apiError('Lake Formation ListDataCellsFilter', error);
        });
      for (const f of page.DataCellsFilters ?? []) {
        const schema = schemaOf.get(f.DatabaseName ?? '');
        if (!schema || f.TableCatalogId !== this.props.catalogId) continue;
        filters.push({
          relation: `${schema}.${f.TableName}`,
          name: f.Name ?? '',
          columnNames: f.ColumnNames ?? [],
          ...(f.RowFilter?.FilterExpression ? { rowFilter: f.RowFilter.FilterExpression } : {}),
        });
      }
      token = page.NextToken;
    } while (token);
    return filters;
  }

  private tableData(filter: CellsFilter): DataCellsFilter {
    return {
      ...this.tableOf(filter.relation),
      Name: filter.name,
      ColumnNames: [...filter.columnNames],
      RowFilter: filter.rowFilter
        ? { FilterExpression: filter.rowFilter }
        : { AllRowsWildcard: {} },
    };
  }

  async createFilter(filter: CellsFilter): Promise<void> {
    try {
      await this.lakeFormation.send(
        new CreateDataCellsFilterCommand({ TableData: this.tableData(filter) }),
      );
    } catch (error) {
      // Created by a run that failed before recording it: make it what it should be.
      if ((error as Error).name === 'AlreadyExistsException') return this.updateFilter(filter);
      throw this.error(`CreateDataCellsFilter ${filter.name} on ${filter.relation}`, error);
    }
  }

  async updateFilter(filter: CellsFilter): Promise<void> {
    await this.lakeFormation
      .send(new UpdateDataCellsFilterCommand({ TableData: this.tableData(filter) }))
      .catch((error: unknown) => {
        throw this.error(`UpdateDataCellsFilter ${filter.name} on ${filter.relation}`, error);
      });
  }

  async deleteFilter(filter: ExistingFilter): Promise<void> {
    const { TableCatalogId, DatabaseName, TableName } = this.tableOf(filter.relation);
    try {
      await this.lakeFormation.send(
        new DeleteDataCellsFilterCommand({
          TableCatalogId,
          DatabaseName,
          TableName,
          Name: filter.name,
        }),
      );
    } catch (error) {
      // Gone already (its table was dropped, which drops its filters): nothing left to remove.
      if ((error as Error).name === 'EntityNotFoundException') return;
      throw this.error(`DeleteDataCellsFilter ${filter.name} on ${filter.relation}`, error);
    }
  }

  async grantSelect(filter: CellsFilter): Promise<void> {
    const { TableCatalogId, DatabaseName, TableName } = this.tableOf(filter.relation);
    await this.lakeFormation
      .send(
        new GrantPermissionsCommand({
          CatalogId: this.props.catalogId,
          Principal: { DataLakePrincipalIdentifier: this.props.roleArn(filter.persona) },
          Resource: {
            DataCellsFilter: { TableCatalogId, DatabaseName, TableName, Name: filter.name },
          },
          Permissions: ['SELECT'],
        }),
      )
      .catch((error: unknown) => {
        throw this.error(
          `GrantPermissions SELECT on ${filter.name} (${filter.relation}) to ${filter.persona}`,
          error,
        );
      });
  }

  async tagColumns(
    relation: string,
    classification: Classification,
    columns: readonly string[],
  ): Promise<void> {
    const { TableCatalogId, DatabaseName, TableName } = this.tableOf(relation);
    const result = await this.lakeFormation
      .send(
        new AddLFTagsToResourceCommand({
          CatalogId: this.props.catalogId,
          Resource: {
            TableWithColumns: {
              CatalogId: TableCatalogId,
              DatabaseName,
              Name: TableName,
              ColumnNames: [...columns],
            },
          },
          LFTags: [
            {
              CatalogId: this.props.catalogId,
              TagKey: 'classification',
              TagValues: [classification],
            },
          ],
        }),
      )
      .catch((error: unknown) => {
        throw this.error(
          `AddLFTagsToResource classification=${classification} on ${relation}`,
          error,
        );
      });
    const failures = result.Failures ?? [];
    if (failures.length > 0)
      throw new PipelineError(
        `Lake Formation AddLFTagsToResource classification=${classification} on ${relation} failed: ${failures
          .map((f) => `${f.Error?.ErrorCode}: ${f.Error?.ErrorMessage}`)
          .join('; ')}`,
      );
  }

  /** An API error; a denied one says where the grant comes from. */
  private error(call: string, error: unknown): Error {
    const failure = apiError(`Lake Formation ${call}`, error);
    if ((error as Error).name !== 'AccessDeniedException') return failure;
    return new PipelineError(
      `${failure.message} (the Access stack grants the catalog sync's role what the access sync needs: is it deployed?)`,
      { cause: error },
    );
  }
}
