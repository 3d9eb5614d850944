import { GetTablesCommand, type GlueClient, type Table } from '@aws-sdk/client-glue';
import { glueDatabaseName, type LakeSchema } from '../../core/aws-names';
import type { CatalogEntry, TableInventory } from '../../core/maintenance';
import { apiError } from './athena-engine';

/**
 * The lake's tables and views from Glue (GetTables, every page of each schema's database): cheaper
 * and more exact than `information_schema` through Athena, and it carries what maintenance needs,
 * whether a table is Iceberg and what each view reads.
 */
export class GlueTableInventory implements TableInventory {
  constructor(
    private readonly glue: GlueClient,
    private readonly project: string,
    private readonly env: string,
  ) {}

  async list(schemas: readonly LakeSchema[]): Promise<CatalogEntry[]> {
    const entries: CatalogEntry[] = [];
    for (const schema of schemas) {
      const database = glueDatabaseName(this.project, this.env, schema);
      let token: string | undefined;
      do {
        const page = await this.glue
          .send(new GetTablesCommand({ DatabaseName: database, NextToken: token }))
          .catch((error: unknown) => {
            throw apiError(`Glue GetTables ${database}`, error);
          });
        for (const table of page.TableList ?? []) entries.push(entry(schema, table));
        token = page.NextToken;
      } while (token);
    }
    return entries;
  }
}

function entry(schema: LakeSchema, table: Table): CatalogEntry {
  const name = table.Name ?? '';
  if (table.TableType === 'VIRTUAL_VIEW') {
    const viewText = prestoViewSql(table.ViewOriginalText);
    return { schema, name, kind: 'view', mergeOnRead: false, ...(viewText ? { viewText } : {}) };
  }
  return {
    schema,
    name,
    kind: 'table',
    mergeOnRead: table.Parameters?.table_type?.toUpperCase() === 'ICEBERG',
  };
}

/**
 * An Athena view's SQL: Glue keeps it as `/* Presto View: <base64 JSON> *\/` whose `originalSql`
 * is the view's text. Undefined when the text is in any other form, so that maintenance keeps
 * whatever such a view might read.
 */
function prestoViewSql(original: string | undefined): string | undefined {
  const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(original?.trim() ?? '')?.[1];
  if (!encoded) return undefined;
  try {
    const view = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as {
      originalSql?: unknown;
    };
    return typeof view.originalSql === 'string' ? view.originalSql : undefined;
  } catch {
    return undefined;
  }
}
