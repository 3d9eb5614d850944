/**
 * `medallion query --as <persona>` on DuckDB: the persona reads the lake through views built from
 * the access policy (hidden columns absent, masked ones masked, rows filtered), in a catalog of its
 * own. A query may name only those views: DuckDB's own parser (`json_serialize_sql`) lists what it
 * reads, and a catalog-qualified table, a table function (`read_parquet`...) or any statement but a
 * SELECT is refused before it runs, so nothing reaches the files or tables behind the views.
 */
import type { Row } from '../../core/ports';
import type { ContractRegistry } from '../../core/contracts/contract';
import { PipelineError } from '../../core/errors';
import { personaSelect } from '../../core/access/masking';
import {
  persona as resolvePersona,
  tableAccess,
  type AccessPolicy,
  type Persona,
  type TableAccess,
} from '../../core/access/policy';
import { classifyTables } from '../../core/access/tables';
import { duckdbDialect } from './dialect';
import type { DuckDbLakehouse } from './engine';

/** The catalog a persona's views live in; `use`d for its queries. */
const catalog = 'persona';

/** A query refused by the access policy, naming the persona, what it asked for and the policy file. */
export class AccessDeniedError extends PipelineError {
  constructor(message: string) {
    super(message);
    this.name = 'AccessDeniedError';
  }
}

export class PersonaSession {
  private constructor(
    private readonly lakehouse: DuckDbLakehouse,
    private readonly policy: AccessPolicy,
    readonly persona: Persona,
    /** Every table of the lake with what the persona may read of it (undefined: nothing). */
    readonly tables: readonly { relation: string; access?: TableAccess }[],
  ) {}

  /**
   * Builds the persona's views over an open lakehouse, which must have been opened with a bronze
   * catalog not named `bronze` (the persona's `bronze` schema would be ambiguous with it).
   */
  static async open(
    lakehouse: DuckDbLakehouse,
    policy: AccessPolicy,
    personaName: string,
    contracts: ContractRegistry,
  ): Promise<PersonaSession> {
    const persona = resolvePersona(policy, personaName);
    const tables = classifyTables(await lakehouse.columns(), contracts).map((table) => ({
      relation: table.relation,
      access: tableAccess(policy, persona, table),
    }));
    const granted = tables.flatMap((t) => (t.access ? [t.access] : []));
    const schemas = [...new Set(granted.map((a) => a.relation.split('.')[0]!))];
    const q = duckdbDialect.quote;
    await lakehouse.execute(
      [
        `attach ':memory:' as ${catalog}`,
        ...schemas.map((s) => `create schema ${catalog}.${q(s)}`),
        ...granted.map((access) => {
          const [schema, name] = access.relation.split('.') as [string, string];
          const source =
            schema === 'bronze'
              ? `${lakehouse.bronzeCatalog}.main.${q(name)}`
              : `lake.${q(schema)}.${q(name)}`;
          return `create view ${catalog}.${q(schema)}.${q(name)} as ${personaSelect(access, source, duckdbDialect)}`;
        }),
        `use ${catalog}`,
      ].join(';\n'),
    );
    return new PersonaSession(lakehouse, policy, persona, tables);
  }

  /** Runs a SELECT as the persona, or refuses it naming what the policy does not allow. */
  async query<T extends Row = Row>(sql: string): Promise<T[]> {
    const [parsed] = await this.lakehouse.query<{ tree: string }>(
      `select json_serialize_sql(${duckdbDialect.string(sql)}) as tree`,
    );
    const tree = JSON.parse(parsed!.tree) as SerializedSql;
    if (tree.error)
      throw new AccessDeniedError(
        tree.error_message?.startsWith(onlySelectSerializes)
          ? `As ${this.persona.name} only a SELECT can run (${this.policy.file}).`
          : `Cannot parse the query: ${tree.error_message}`,
      );
    const reads = collect(tree);
    this.refuseTables(reads);
    this.refuseColumns(reads);
    return this.lakehouse.query<T>(sql);
  }

  private refuseTables(reads: Reads): void {
    const who = `${this.persona.name} (${this.policy.file})`;
    if (reads.functions.length > 0)
      throw new AccessDeniedError(
        `As ${who} a query reads the lake's tables only, not table functions: ${reads.functions.join(', ')}()`,
      );
    for (const t of reads.tables) {
      if (t.catalog)
        throw new AccessDeniedError(
          `As ${who} name tables as <schema>.<table>, without a catalog: ${t.catalog}.${t.schema}.${t.name}`,
        );
      if (!t.schema) {
        // A CTE; anything else unqualified could be a file DuckDB would scan in its place.
        if (reads.ctes.includes(t.name)) continue;
        throw new AccessDeniedError(
          `As ${who} name tables as <schema>.<table>: ${t.name} is neither that nor a WITH query`,
        );
      }
      const relation = `${t.schema}.${t.name}`;
      const table = this.tables.find((x) => x.relation === relation);
      if (table && !table.access)
        throw new AccessDeniedError(
          `${who} may not read ${relation}: the policy grants it no columns or rows`,
        );
    }
  }

  /** A column hidden from the persona in a table the query reads is named, not reported as missing. */
  private refuseColumns(reads: Reads): void {
    const read = reads.tables
      .map((t) => this.tables.find((x) => x.relation === `${t.schema}.${t.name}`)?.access)
      .filter((a): a is TableAccess => a !== undefined);
    for (const column of reads.columns) {
      const columns = read.flatMap((a) =>
        a.columns.filter((c) => c.name === column).map((c) => ({ ...c, relation: a.relation })),
      );
      const hidden = columns.find((c) => c.visibility === 'hidden');
      if (hidden && !columns.some((c) => c.visibility !== 'hidden'))
        throw new AccessDeniedError(
          `${this.persona.name} may not read ${hidden.relation}.${column}: ${hidden.classification} columns are hidden from ${this.persona.name} in ${this.policy.file}`,
        );
    }
  }
}

/**
 * How DuckDB's `json_serialize_sql` refuses any statement but a SELECT (ATTACH, COPY, SET...).
 * Its error type for that is the generic NotImplemented one, which other refusals share, so the
 * message tells this case apart.
 */
const onlySelectSerializes = 'Only SELECT statements can be serialized';

interface SerializedSql {
  readonly error: boolean;
  readonly error_type?: string;
  readonly error_message?: string;
}

interface Reads {
  tables: { catalog: string; schema: string; name: string }[];
  functions: string[];
  columns: string[];
  ctes: string[];
}

/** Every table, table function and column the parsed query names, at any depth. */
function collect(
  node: unknown,
  reads: Reads = { tables: [], functions: [], columns: [], ctes: [] },
): Reads {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, reads);
  } else if (node && typeof node === 'object') {
    const n = node as Record<string, unknown>;
    if (n.type === 'BASE_TABLE')
      reads.tables.push({
        catalog: String(n.catalog_name ?? ''),
        schema: String(n.schema_name ?? ''),
        name: String(n.table_name ?? ''),
      });
    if (n.type === 'TABLE_FUNCTION') {
      const fn = n.function as { function_name?: string } | undefined;
      reads.functions.push(fn?.function_name ?? 'a table function');
    }
    const ctes = (n.cte_map as { map?: { key: string }[] } | undefined)?.map;
    if (ctes) reads.ctes.push(...ctes.map((c) => c.key));
    if (n.class === 'COLUMN_REF' && Array.isArray(n.column_names))
      reads.columns.push(String(n.column_names.at(-1)));
    for (const value of Object.values(n)) collect(value, reads);
  }
  return reads;
}
