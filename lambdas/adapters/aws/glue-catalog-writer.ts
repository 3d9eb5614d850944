import {
  GetTableCommand,
  UpdateTableCommand,
  type GlueClient,
  type Table,
  type TableInput,
} from '@aws-sdk/client-glue';
import type { CatalogWriter } from '../../core/ports';
import { glueTableName } from './athena-dialect';
import { apiError } from './athena-engine';

/**
 * Writes the catalog-sync step's figures into Glue: GetTable, then UpdateTable with the table as
 * it was (Iceberg metadata location, view text, storage, partitions), its Parameters merged with
 * the new ones and its columns' comments set. `VersionId` makes the update conditional: a table
 * changed in between (a commit by Athena) fails with ConcurrentModificationException, which is
 * transient, and the step retries. `SkipArchive` keeps Glue from storing a table version per sync.
 */
export class GlueCatalogWriter implements CatalogWriter {
  constructor(
    private readonly glue: GlueClient,
    private readonly project: string,
    private readonly env: string,
  ) {}

  async updateTable(update: Parameters<CatalogWriter['updateTable']>[0]) {
    const { database, table: name } = glueTableName(this.project, this.env, update.relation);
    let table: Table | undefined;
    try {
      ({ Table: table } = await this.glue.send(
        new GetTableCommand({ DatabaseName: database, Name: name }),
      ));
    } catch (error) {
      if ((error as Error).name === 'EntityNotFoundException') return 'missing' as const;
      throw apiError(`Glue GetTable ${database}.${name}`, error);
    }
    if (!table) return 'missing' as const;
    const comment = (columns: Table['PartitionKeys']) =>
      columns?.map((c) => ({ ...c, Comment: update.columnComments[c.Name ?? ''] ?? c.Comment }));
    const input: TableInput = {
      Name: table.Name,
      Description: table.Description,
      Owner: table.Owner,
      Retention: table.Retention,
      TableType: table.TableType,
      ViewOriginalText: table.ViewOriginalText,
      ViewExpandedText: table.ViewExpandedText,
      TargetTable: table.TargetTable,
      PartitionKeys: comment(table.PartitionKeys),
      StorageDescriptor: table.StorageDescriptor && {
        ...table.StorageDescriptor,
        Columns: comment(table.StorageDescriptor.Columns),
      },
      Parameters: { ...table.Parameters, ...update.parameters },
    };
    try {
      await this.glue.send(
        new UpdateTableCommand({
          DatabaseName: database,
          TableInput: input,
          VersionId: table.VersionId,
          SkipArchive: true,
        }),
      );
    } catch (error) {
      throw apiError(`Glue UpdateTable ${database}.${name}`, error);
    }
    return 'updated' as const;
  }
}
