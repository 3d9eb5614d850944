import {
  DeleteTableCommand,
  GetTablesCommand,
  type GlueClient,
  type Table,
} from '@aws-sdk/client-glue';
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
import type { ExistingView, PersonaView } from '../../core/access/persona-views';
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
  /**
   * Runs an Athena statement as this function's role, which is the persona views' definer: only
   * Athena creates Data Catalog views from SQL.
   */
  readonly runStatement: (sql: string) => Promise<unknown>;
}

/**
 * Data cells filters, their grants and column LF-tags through the Lake Formation API, the lake's
 * tables from Glue, and the personas' views (Glue Data Catalog views, defined through Athena).
 * An Athena view the pipeline published over a table version is listed with that version as its
 * source; other views are left out: a data cells filter applies to tables only.
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
        for (const t of page.TableList ?? []) {
          const columns = [...(t.StorageDescriptor?.Columns ?? []), ...(t.PartitionKeys ?? [])].map(
            (c) => c.Name ?? '',
          );
          if (t.TableType !== 'VIRTUAL_VIEW') {
            tables.push({ relation: `${schema}.${t.Name}`, columns });
            continue;
          }
          const version = publishedVersion(t, database);
          if (version)
            tables.push({
              relation: `${schema}.${t.Name}`,
              columns,
              source: `${schema}.${version}`,
            });
        }
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

  async listViews(databases: readonly string[]): Promise<ExistingView[]> {
    const views: ExistingView[] = [];
    for (const database of databases) {
      let token: string | undefined;
      do {
        const page = await this.glue
          .send(new GetTablesCommand({ DatabaseName: database, NextToken: token }))
          .catch((error: unknown) => {
            if ((error as Error).name === 'EntityNotFoundException')
              throw new PipelineError(
                `Glue database ${database} does not exist: the Access stack creates each persona's databases (is it deployed with this access policy?)`,
                { cause: error },
              );
            throw apiError(`Glue GetTables ${database}`, error);
          });
        for (const t of page.TableList ?? []) {
          const select = t.ViewDefinition?.Representations?.find(
            (r) => r.Dialect === 'ATHENA',
          )?.ViewOriginalText;
          views.push({ database, name: t.Name ?? '', ...(select ? { select } : {}) });
        }
        token = page.NextToken;
      } while (token);
    }
    return views;
  }

  /**
   * `SECURITY DEFINER`: the view reads with this role's permissions (SELECT with grant option on
   * every column of the lake's tables, Access stack), so the persona needs SELECT on the view
   * alone. https://docs.aws.amazon.com/athena/latest/ug/views-glue.html
   */
  async defineView(view: PersonaView): Promise<void> {
    const name = `"${view.database}"."${view.name}"`;
    await this.props
      .runStatement(
        `create or replace protected multi dialect view ${name} security definer as ${view.select}`,
      )
      .catch((error: unknown) => {
        throw new PipelineError(
          `Defining ${view.persona}'s view ${name} of ${view.relation} failed: ${(error as Error).message}`,
          { cause: error },
        );
      });
  }

  async dropView(view: ExistingView): Promise<void> {
    try {
      await this.glue.send(
        new DeleteTableCommand({
          CatalogId: this.props.catalogId,
          DatabaseName: view.database,
          Name: view.name,
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'EntityNotFoundException') return;
      throw apiError(`Glue DeleteTable ${view.database}.${view.name}`, error);
    }
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

/**
 * The table version a view the pipeline published reads (`customer_360__v…`), from the Athena
 * view's stored text (`/* Presto View: <base64 JSON> *\/`, whose `originalSql` is the
 * `select * from "<database>"."<table>__v<id>"` the Athena dialect wrote); none for other views.
 */
export function publishedVersion(table: Table, database: string): string | undefined {
  const text = /\/\* Presto View: ([A-Za-z0-9+/=]+) \*\//.exec(table.ViewOriginalText ?? '')?.[1];
  if (!text) return undefined;
  let sql: unknown;
  try {
    sql = (JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as { originalSql?: unknown })
      .originalSql;
  } catch {
    return undefined;
  }
  if (typeof sql !== 'string') return undefined;
  const escaped = database.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(
    `^\\s*select \\* from "${escaped}"\\."(${table.Name}__v[0-9a-z_]+)"\\s*$`,
    'i',
  ).exec(sql);
  return match?.[1];
}
