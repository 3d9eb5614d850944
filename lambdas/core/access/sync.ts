/**
 * The run-time half of Lake Formation: the pipeline creates silver, gold, quarantine, change-feed
 * and audit tables with Athena, so their data cells filters, the personas' grants on them and
 * their columns' LF-tags cannot be CloudFormation resources. The catalog sync applies them after
 * every run, from the same planner (`cellsGrants`) the stack uses for the tables it owns.
 */
import type { Classification } from '../../../config/access-schema';
import type { ContractRegistry } from '../contracts/contract';
import { cellsGrants, columnTags, type CellsFilter } from './cells';
import type { AccessPolicy } from './policy';
import { classifyTables, type ListedTable } from './tables';

/** A data cells filter as Lake Formation holds it. */
export interface ExistingFilter {
  readonly relation: string;
  readonly name: string;
  readonly columnNames: readonly string[];
  readonly rowFilter?: string;
}

/** Lake Formation and Glue, as the access sync needs them. */
export interface LakePermissions {
  /** The lake's tables with their columns. */
  listTables(): Promise<ListedTable[]>;
  /** Every data cells filter on the lake's tables, every page. */
  listFilters(): Promise<ExistingFilter[]>;
  createFilter(filter: CellsFilter): Promise<void>;
  updateFilter(filter: CellsFilter): Promise<void>;
  deleteFilter(filter: ExistingFilter): Promise<void>;
  /** SELECT on the filter for the persona's role; granting what is already granted is a no-op. */
  grantSelect(filter: CellsFilter): Promise<void>;
  /** Assigns `classification=<value>` to the columns (replacing what they inherit). */
  tagColumns(
    relation: string,
    classification: Classification,
    columns: readonly string[],
  ): Promise<void>;
}

export interface AccessSyncPlan {
  readonly create: CellsFilter[];
  readonly update: CellsFilter[];
  readonly remove: ExistingFilter[];
  /** Every wanted filter, whose grant is (re)applied. */
  readonly grant: CellsFilter[];
}

/**
 * What to change: filters missing are created, filters whose columns or rows differ are updated,
 * and our filters (named with the project's prefix, `cellsFilterName`) that the policy no
 * longer wants are removed. Other filters are someone else's and left alone.
 */
export function planAccessSync(
  wanted: readonly CellsFilter[],
  existing: readonly ExistingFilter[],
  project: string,
): AccessSyncPlan {
  const key = (f: { relation: string; name: string }) => `${f.relation}\u0000${f.name}`;
  const have = new Map(existing.map((f) => [key(f), f]));
  const want = new Set(wanted.map(key));
  const same = (a: CellsFilter, b: ExistingFilter) =>
    a.columnNames.join(',') === b.columnNames.join(',') &&
    (a.rowFilter ?? '') === (b.rowFilter ?? '');
  return {
    create: wanted.filter((f) => !have.has(key(f))),
    update: wanted.filter((f) => have.has(key(f)) && !same(f, have.get(key(f))!)),
    remove: existing.filter((f) => f.name.startsWith(`${project}_`) && !want.has(key(f))),
    grant: [...wanted],
  };
}

export interface AccessSyncResult {
  readonly tables: number;
  readonly created: number;
  readonly updated: number;
  readonly removed: number;
  readonly granted: number;
}

/** Lists the lake, plans, and applies: filters first, then grants, then column tags. */
export async function syncLakeAccess(
  policy: AccessPolicy,
  contracts: ContractRegistry,
  permissions: LakePermissions,
  project: string,
): Promise<AccessSyncResult> {
  const tables = classifyTables(await permissions.listTables(), contracts);
  const wanted = cellsGrants(policy, tables, project);
  const plan = planAccessSync(wanted, await permissions.listFilters(), project);
  for (const filter of plan.remove) await permissions.deleteFilter(filter);
  for (const filter of plan.create) await permissions.createFilter(filter);
  for (const filter of plan.update) await permissions.updateFilter(filter);
  for (const filter of plan.grant) await permissions.grantSelect(filter);
  for (const table of tables)
    for (const { classification, columns } of columnTags(table))
      await permissions.tagColumns(table.relation, classification, columns);
  return {
    tables: tables.length,
    created: plan.create.length,
    updated: plan.update.length,
    removed: plan.remove.length,
    granted: plan.grant.length,
  };
}
