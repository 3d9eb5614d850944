import { GetTablesCommand, type GlueClient, type Table } from '@aws-sdk/client-glue';
import { auditTables } from '../../core/audit';
import { glueDatabaseName } from '../../core/aws-names';
import { glueType } from '../../core/glue-types';
import type { SqlEngine } from '../../core/ports';
import { apiError } from './athena-engine';

export interface AuditTablesOptions {
  readonly project: string;
  readonly env: string;
  /** `s3://<audit bucket>/tables/`: each table lives in a folder of its name below it. */
  readonly location: string;
}

/**
 * The audit tables on AWS belong to the pipeline, as their DuckDB twins belong to the local
 * lakehouse. They are Iceberg tables, and an Iceberg table's Glue entry holds its current
 * `metadata_location`: were CloudFormation to own them, a stack update rewriting the entry would
 * point the table back at its first snapshot and lose every run recorded since. So the functions
 * that use them make sure, once per container, that each exists with every column
 * `core/audit.ts` declares: a missing table is created, a missing column added, and nothing that
 * exists is ever rewritten. One Glue call when all is in place.
 */
export class AthenaAuditTables {
  constructor(
    private readonly glue: GlueClient,
    private readonly engine: SqlEngine,
    private readonly options: AuditTablesOptions,
  ) {}

  /** Creates missing audit tables and adds missing columns; returns what it changed. */
  async ensure(): Promise<{ created: string[]; altered: string[] }> {
    const database = glueDatabaseName(this.options.project, this.options.env, 'audit');
    const existing = await this.tables(database);
    const created: string[] = [];
    const altered: string[] = [];
    for (const [name, { columns }] of Object.entries(auditTables)) {
      const table = existing.get(name);
      if (!table) {
        await this.create(database, name);
        created.push(name);
        continue;
      }
      const present = new Set(table.StorageDescriptor?.Columns?.map((c) => c.Name) ?? []);
      const missing = columns.filter(([column]) => !present.has(column));
      if (missing.length === 0) continue;
      await this.engine.execute(
        `ALTER TABLE \`${database}\`.\`${name}\` ADD COLUMNS (${missing.map(columnDdl).join(', ')})`,
      );
      altered.push(name);
    }
    return { created, altered };
  }

  /**
   * Athena DDL for an Iceberg table. `IF NOT EXISTS`: two functions starting cold at once may both
   * find the table missing, and the second one's create must be a no-op.
   */
  private async create(database: string, name: string): Promise<void> {
    const { columns, description } = auditTables[name]!;
    await this.engine.execute(
      [
        `CREATE TABLE IF NOT EXISTS \`${database}\`.\`${name}\` (${columns.map(columnDdl).join(', ')})`,
        `COMMENT ${text(description)}`,
        `LOCATION ${text(`${this.options.location}${name}/`)}`,
        `TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet')`,
      ].join('\n'),
    );
  }

  /** Every table of the audit database, by name, following Glue's pages. */
  private async tables(database: string): Promise<Map<string, Table>> {
    const tables = new Map<string, Table>();
    let token: string | undefined;
    do {
      const page = await this.glue
        .send(new GetTablesCommand({ DatabaseName: database, NextToken: token }))
        .catch((error: unknown) => {
          throw apiError(`Glue GetTables ${database}`, error);
        });
      for (const table of page.TableList ?? []) if (table.Name) tables.set(table.Name, table);
      token = page.NextToken;
    } while (token);
    return tables;
  }
}

function columnDdl([name, type, comment]: readonly [string, string, string]): string {
  return `\`${name}\` ${glueType(type)} COMMENT ${text(comment)}`;
}

const text = (value: string) => `'${value.replaceAll("'", "\\'")}'`;
