import { glueDatabaseName, lakeSchemas, type LakeSchema } from '../../core/aws-names';
import type { SqlEngine } from '../../core/ports';
import type { TypedTable } from '../../core/privacy/subjects';

/**
 * Every table of the lake's Glue databases with its columns, as a data subject request searches
 * them (`silver.orders`, each `gold.x__v…` version, `bronze.crm_contacts`): one query of Athena's
 * `information_schema`, views left out (they show rows of the tables listed).
 */
export async function athenaSubjectTables(
  engine: SqlEngine,
  project: string,
  env: string,
): Promise<TypedTable[]> {
  const schemaOf = new Map<string, LakeSchema>(
    lakeSchemas.map((s) => [glueDatabaseName(project, env, s), s]),
  );
  const d = engine.dialect;
  const rows = await engine.query<{
    table_schema: string;
    table_name: string;
    column_name: string;
    data_type: string;
  }>(
    `select c.table_schema, c.table_name, c.column_name, c.data_type
      from information_schema.columns c join information_schema.tables t
        on t.table_schema = c.table_schema and t.table_name = c.table_name
      where t.table_type = 'BASE TABLE' and c.table_schema in (${[...schemaOf.keys()].map((s) => d.string(s)).join(', ')})
      order by c.table_schema, c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, { name: string; type: string }[]>();
  for (const row of rows) {
    const relation = `${schemaOf.get(row.table_schema)!}.${row.table_name}`;
    tables.set(relation, [
      ...(tables.get(relation) ?? []),
      { name: row.column_name, type: row.data_type },
    ]);
  }
  return [...tables].map(([relation, columns]) => ({ relation, columns }));
}
