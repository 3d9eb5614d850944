/**
 * How personas read on AWS: through views of their own, one per table they may read, in a
 * database per persona and layer (`medallion_prod_auditor_gold.customer_360`). Each view is the
 * persona's SELECT (`personaSelect`, the text `query --as` runs locally): clear columns as they
 * are, masked columns masked, hidden ones absent, the row filter applied.
 *
 * They are Glue Data Catalog views (`CREATE PROTECTED MULTI DIALECT VIEW … SECURITY DEFINER`):
 * they run with their definer's permissions, so the persona needs SELECT on the view only, never
 * on the base column a masked value is computed from. Lake Formation has no masking of its own,
 * and a data cells filter cannot serve a hashed column. A plain Athena view would not do: it
 * reads its tables with the caller's permissions, so the caller would need the base column.
 * https://docs.aws.amazon.com/lake-formation/latest/dg/views-prereqs.html
 * https://docs.aws.amazon.com/athena/latest/ug/views-glue.html
 *
 * A Data Catalog view may not reference another view, so a model published as a view over its
 * latest version (`gold.customer_360` over `gold.customer_360__v…`) is read at that version, and
 * its persona views are redefined whenever a run publishes a new one.
 */
import type { LakeSchema } from '../aws-names';
import type { SqlDialect } from '../ports';
import {
  persona,
  personaNames,
  personaSchemas,
  tableAccess,
  type AccessPolicy,
  type LakeTable,
} from './policy';
import { personaSelect } from './masking';

export interface PersonaView {
  readonly persona: string;
  /** The lake relation the view serves, `gold.customer_360`. */
  readonly relation: string;
  /** The persona's database for the relation's layer. */
  readonly database: string;
  /** The view's name: the table's. */
  readonly name: string;
  /** The view's SELECT, in the engine's SQL. */
  readonly select: string;
}

/** A view that is in a persona database now, with the SELECT it was defined with if known. */
export interface ExistingView {
  readonly database: string;
  readonly name: string;
  readonly select?: string;
}

export interface PersonaViewNaming {
  /** The persona's database for a layer (`personaDatabaseName`). */
  database(persona: string, schema: LakeSchema): string;
}

/** Every persona's databases: one per layer it reads. */
export function personaDatabases(policy: AccessPolicy, naming: PersonaViewNaming): string[] {
  return personaNames(policy).flatMap((name) =>
    personaSchemas(persona(policy, name)).map((schema) => naming.database(name, schema)),
  );
}

/** Every persona's view of every table it may read something of. */
export function personaViews(
  policy: AccessPolicy,
  tables: readonly LakeTable[],
  naming: PersonaViewNaming,
  dialect: SqlDialect,
): PersonaView[] {
  return personaNames(policy).flatMap((name) => {
    const p = persona(policy, name);
    return tables.flatMap((table): PersonaView[] => {
      const access = tableAccess(policy, p, table);
      if (!access) return [];
      const [schema, tableName] = table.relation.split('.') as [LakeSchema, string];
      return [
        {
          persona: name,
          relation: table.relation,
          database: naming.database(name, schema),
          name: tableName,
          select: personaSelect(access, dialect.relation(table.source ?? table.relation), dialect),
        },
      ];
    });
  });
}

export interface PersonaViewPlan {
  /** Views missing or defined otherwise than wanted: (re)defined. */
  readonly define: PersonaView[];
  /** Views in the persona databases that the policy no longer wants. */
  readonly drop: ExistingView[];
}

/**
 * What to change. The persona databases are the platform's alone, so anything in them that is
 * not wanted goes. A view is redefined when its stored SELECT differs from the wanted one beyond
 * white space and case (an engine may store the text reformatted: then it is redefined each
 * time, which costs a statement and is never wrong).
 */
export function planPersonaViews(
  wanted: readonly PersonaView[],
  existing: readonly ExistingView[],
): PersonaViewPlan {
  const key = (v: { database: string; name: string }) => `${v.database}.${v.name}`;
  const have = new Map(existing.map((v) => [key(v), v]));
  const want = new Set(wanted.map(key));
  return {
    define: wanted.filter((v) => {
      const current = have.get(key(v));
      return current?.select === undefined || normalized(current.select) !== normalized(v.select);
    }),
    drop: existing.filter((v) => !want.has(key(v))),
  };
}

function normalized(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim().toLowerCase();
}
