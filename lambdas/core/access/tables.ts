/**
 * Every column of the lake classified, the policy's other input. Contracted tables take their
 * contract's classifications; tables without a contract (quarantine, changelog, audit) fail closed:
 * a column takes the strongest classification any contract gives a column of that name, and a
 * name no contract knows counts as pii. Platform columns (`_run_id`, `_reason`, `ingest_date`...)
 * are internal, except `_extra` (a REST source's unnamed fields), which is pii.
 */
import type { Classification } from '../../../config/access-schema';
import { auditTables, type AuditTable } from '../audit';
import { costReportsTable } from '../aws-names';
import type { ContractRegistry } from '../contracts/contract';
import { bronzePartitionColumn } from '../ingest/bronze';
import { strongest, type LakeTable } from './policy';

/** The bronze column of a REST source's fields its contract does not name (`ingest/rest.ts`). */
const unnamedFieldsColumn = '_extra';

/** A table as an engine lists it: relation and column names. */
export interface ListedTable {
  readonly relation: string;
  readonly columns: readonly string[];
  /**
   * Where the data is, when `relation` is a view published over a table version: the version
   * (`gold.customer_360__v…`), which a persona's view reads directly.
   */
  readonly source?: string;
}

/**
 * Classifies listed tables. Internal relations (`gold.customer_360__v…` versions behind a
 * published view, `scratch.*`) are left out: they are not part of what anyone is granted.
 */
export function classifyTables(
  listed: readonly ListedTable[],
  contracts: ContractRegistry,
): LakeTable[] {
  const byName = new Map<string, Classification[]>();
  for (const contract of contracts.all())
    for (const p of contract.properties)
      byName.set(p.name, [...(byName.get(p.name) ?? []), p.classification]);
  const fallback = (column: string): Classification =>
    // `_extra` holds the fields a REST source sent that its contract does not name: anything.
    column === unnamedFieldsColumn
      ? 'pii'
      : column.startsWith('_') || column === bronzePartitionColumn
        ? 'internal'
        : (strongest(byName.get(column) ?? []) ?? 'pii');

  return listed
    .filter((t) => !isInternalRelation(t.relation))
    .map((t) => {
      const [schema, name] = t.relation.split('.') as [string, string];
      const contract = contracts.forRelation(t.relation);
      const audit: AuditTable | undefined =
        schema === 'audit' ? (auditTables as Record<string, AuditTable>)[name] : undefined;
      const classify = (column: string): Classification => {
        if (contract) return contract.column(column)?.classification ?? fallback(column);
        if (audit) return audit.rowValues?.includes(column) ? 'pii' : 'internal';
        if (schema === 'seeds') return 'internal';
        return fallback(column);
      };
      return {
        relation: t.relation,
        columns: t.columns.map((name) => ({ name, classification: classify(name) })),
        ...(t.source ? { source: t.source } : {}),
      };
    })
    .sort((a, b) => a.relation.localeCompare(b.relation));
}

/**
 * The tables the definitions declare, for when there is no lake to list: each contract's relation
 * with its columns, and the audit tables. Quarantine and change feeds appear once a run made them.
 */
export function declaredTables(contracts: ContractRegistry): ListedTable[] {
  return [
    ...contracts
      .all()
      .map((c) => ({ relation: c.relation, columns: c.columns.map((x) => x.name) })),
    ...Object.entries(auditTables as Record<string, AuditTable>).map(([name, t]) => ({
      relation: `audit.${name}`,
      columns: t.columns.map(([column]) => column),
    })),
  ];
}

/**
 * A table version behind a published view, scratch space, or a platform report kept outside the
 * lake (`audit.cost_reports`, granted whole by the Access stack): never synced by name.
 */
export function isInternalRelation(relation: string): boolean {
  return (
    relation.startsWith('scratch.') ||
    /__v\d/.test(relation) ||
    relation === `audit.${costReportsTable}`
  );
}
