import { GetTableCommand, type GlueClient, type Table } from '@aws-sdk/client-glue';
import { auditTables, type AuditTableName } from '../../core/audit';
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
 * point the table back at its first snapshot and lose every run recorded since. So each function
 * makes sure, once per container, that the audit tables it writes (the task catalogue's
 * `auditTables`) exist with every column `core/audit.ts` declares: a missing table is created, a
 * missing column added, and nothing that exists is ever rewritten. One Glue call per table when
 * all is in place.
 */
export class AthenaAuditTables {
  constructor(
    private readonly glue: GlueClient,
    private readonly engine: SqlEngine,
    private readonly options: AuditTablesOptions,
  ) {}

  /** Creates the named audit tables if missing and adds missing columns; returns what it changed. */
  async ensure(
    names: readonly AuditTableName[],
  ): Promise<{ created: AuditTableName[]; altered: AuditTableName[] }> {
    const database = glueDatabaseName(this.options.project, this.options.env, 'audit');
    const created: AuditTableName[] = [];
    const altered: AuditTableName[] = [];
    for (const name of names) {
      const { columns } = auditTables[name];
      const table = await this.table(database, name);
      if (!table) {
        if (await this.create(database, name)) created.push(name);
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
   * Athena's documented DDL for an Iceberg table
   * (https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-creating-tables.html). Two
   * functions starting cold at once may both find the table missing: when the create fails and
   * the table is there after all, the other one made it. Returns whether this call created it.
   */
  private async create(database: string, name: AuditTableName): Promise<boolean> {
    const { columns } = auditTables[name];
    try {
      await this.engine.execute(
        [
          `CREATE TABLE \`${database}\`.\`${name}\` (${columns.map(columnDdl).join(', ')})`,
          `LOCATION ${text(`${this.options.location}${name}/`)}`,
          `TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet')`,
        ].join('\n'),
      );
      return true;
    } catch (error) {
      if (await this.table(database, name)) return false;
      throw error;
    }
  }

  /** The table's Glue definition, or undefined when there is none. */
  private async table(database: string, name: string): Promise<Table | undefined> {
    try {
      const { Table: table } = await this.glue.send(
        new GetTableCommand({ DatabaseName: database, Name: name }),
      );
      return table;
    } catch (error) {
      if ((error as Error).name === 'EntityNotFoundException') return undefined;
      throw apiError(`Glue GetTable ${database}.${name}`, error);
    }
  }
}

function columnDdl([name, type, comment]: readonly [string, string, string]): string {
  return `\`${name}\` ${glueType(type)} COMMENT ${text(comment)}`;
}

const text = (value: string) => `'${value.replaceAll("'", "\\'")}'`;
