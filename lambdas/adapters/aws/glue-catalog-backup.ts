import {
  CreateDatabaseCommand,
  CreateTableCommand,
  GetDatabaseCommand,
  UpdateDatabaseCommand,
  UpdateTableCommand,
  paginateGetDatabases,
  paginateGetTables,
  type DatabaseInput,
  type GlueClient,
  type TableInput,
} from '@aws-sdk/client-glue';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type {
  CatalogExportPorts,
  DatabaseDefinition,
  TableDefinition,
} from '../../core/backup/catalog-export';
import type { CatalogRestorePorts } from '../../core/backup/catalog-restore';
import { apiError } from './athena-engine';

/**
 * The Glue Data Catalog of this account and the audit bucket, for the catalog export and restore:
 * GetDatabases and GetTables through their paginators, Create/Update Database and Table, and the
 * export's objects (SSE-KMS with the bucket's default key). Errors name the call; throttling and
 * 5xx become transient (`apiError`), so a scheduled export is retried rather than written half.
 */
export class GlueCatalogBackup implements CatalogExportPorts, CatalogRestorePorts {
  constructor(
    private readonly glue: GlueClient,
    private readonly s3: S3Client,
    private readonly auditBucket: string,
  ) {}

  async listDatabases(): Promise<readonly unknown[]> {
    const databases: unknown[] = [];
    try {
      for await (const page of paginateGetDatabases({ client: this.glue }, {}))
        databases.push(...(page.DatabaseList ?? []));
    } catch (error) {
      throw apiError('Glue GetDatabases', error);
    }
    return databases;
  }

  async listTables(database: string): Promise<readonly unknown[]> {
    const tables: unknown[] = [];
    try {
      for await (const page of paginateGetTables({ client: this.glue }, { DatabaseName: database }))
        tables.push(...(page.TableList ?? []));
    } catch (error) {
      throw apiError(`Glue GetTables ${database}`, error);
    }
    return tables;
  }

  async getDatabase(name: string): Promise<unknown> {
    try {
      return (await this.glue.send(new GetDatabaseCommand({ Name: name }))).Database;
    } catch (error) {
      if ((error as Error).name === 'EntityNotFoundException') return undefined;
      throw apiError(`Glue GetDatabase ${name}`, error);
    }
  }

  async createDatabase(database: DatabaseDefinition): Promise<void> {
    await this.call(`Glue CreateDatabase ${database.Name}`, () =>
      this.glue.send(new CreateDatabaseCommand({ DatabaseInput: database as DatabaseInput })),
    );
  }

  async updateDatabase(database: DatabaseDefinition): Promise<void> {
    await this.call(`Glue UpdateDatabase ${database.Name}`, () =>
      this.glue.send(
        new UpdateDatabaseCommand({
          Name: database.Name,
          DatabaseInput: database as DatabaseInput,
        }),
      ),
    );
  }

  async createTable(database: string, table: TableDefinition): Promise<void> {
    await this.call(`Glue CreateTable ${database}.${table.Name}`, () =>
      this.glue.send(
        new CreateTableCommand({ DatabaseName: database, TableInput: table as TableInput }),
      ),
    );
  }

  async updateTable(database: string, table: TableDefinition): Promise<void> {
    await this.call(`Glue UpdateTable ${database}.${table.Name}`, () =>
      this.glue.send(
        new UpdateTableCommand({ DatabaseName: database, TableInput: table as TableInput }),
      ),
    );
  }

  async put(key: string, text: string): Promise<void> {
    await this.call(`S3 PutObject s3://${this.auditBucket}/${key}`, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.auditBucket,
          Key: key,
          Body: text,
          ContentType: 'application/json',
        }),
      ),
    );
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const object = await this.s3.send(
        new GetObjectCommand({ Bucket: this.auditBucket, Key: key }),
      );
      return await object.Body!.transformToString();
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw apiError(`S3 GetObject s3://${this.auditBucket}/${key}`, error);
    }
  }

  private async call(what: string, send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (error) {
      throw apiError(what, error);
    }
  }
}
