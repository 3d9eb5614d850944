/**
 * The access policy as Lake Formation grants: per persona and table, one data cells filter naming
 * the columns it reads in clear and the rows it may see, which the persona's role is granted
 * SELECT on, and nothing table-wide (Lake Formation permissions add up: a table-wide grant
 * beside a filter would undo the filter). Masked columns are withheld on AWS: Lake Formation has
 * no masking, and a masked column must never be served in clear.
 */
import type { Classification } from '../../../config/access-schema';
import { persona, personaNames, tableAccess, type AccessPolicy, type LakeTable } from './policy';

export interface CellsFilter {
  readonly persona: string;
  /** `<schema>.<table>`. */
  readonly relation: string;
  /** Unique per table; the project's prefix tells our filters from anyone else's. */
  readonly name: string;
  /** The columns the persona reads in clear, in the table's order. */
  readonly columnNames: readonly string[];
  /** A PartiQL predicate, or undefined for every row. */
  readonly rowFilter?: string;
}

/** The filter name of a persona's grant on a table: `medallion_analyst`. */
export function cellsFilterName(project: string, personaName: string): string {
  return `${project}_${personaName}`;
}

/** Every persona's data cells filter on every table it may read something of in clear. */
export function cellsGrants(
  policy: AccessPolicy,
  tables: readonly LakeTable[],
  project: string,
): CellsFilter[] {
  return personaNames(policy).flatMap((name) => {
    const p = persona(policy, name);
    return tables.flatMap((table): CellsFilter[] => {
      const access = tableAccess(policy, p, table);
      const columnNames = (access?.columns ?? [])
        .filter((c) => c.visibility === 'clear')
        .map((c) => c.name);
      if (!access || columnNames.length === 0) return [];
      return [
        {
          persona: name,
          relation: table.relation,
          name: cellsFilterName(project, name),
          columnNames,
          ...(access.rows ? { rowFilter: rowFilterExpression(access.rows) } : {}),
        },
      ];
    });
  });
}

/** `country_code IN ('US', 'CA')`: a row filter as a data cells filter's PartiQL expression. */
export function rowFilterExpression(rows: {
  readonly column: string;
  readonly in: readonly (string | number | boolean)[];
}): string {
  const literal = (v: string | number | boolean) =>
    typeof v === 'string' ? `'${v.replaceAll("'", "''")}'` : String(v).toUpperCase();
  return `${rows.column} IN (${rows.in.map(literal).join(', ')})`;
}

/** A table's columns grouped by classification: one LF-tag assignment per group. */
export function columnTags(
  table: LakeTable,
): { classification: Classification; columns: string[] }[] {
  const groups = new Map<Classification, string[]>();
  for (const c of table.columns)
    groups.set(c.classification, [...(groups.get(c.classification) ?? []), c.name]);
  return [...groups].map(([classification, columns]) => ({ classification, columns }));
}
