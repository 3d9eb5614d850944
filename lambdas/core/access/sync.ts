/**
 * The run-time half of Lake Formation: the pipeline creates silver, gold, quarantine, change-feed
 * and audit tables with Athena, so their data cells filters, the personas' grants on them and
 * their columns' LF-tags cannot be CloudFormation resources. The catalog sync applies them after
 * every run, from the same planner (`cellsGrants`) the stack uses for the tables it owns.
 */
import type { Classification } from '../../../config/access-schema';
import type { ContractRegistry } from '../contracts/contract';
import type { SqlDialect } from '../ports';
import { cellsGrants, columnTags, type CellsFilter } from './cells';
import {
  personaDatabases,
  personaViews,
  planPersonaViews,
  type ExistingView,
  type PersonaView,
  type PersonaViewNaming,
} from './persona-views';
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
  /** The views in these persona databases, with the SELECT each was defined with. */
  listViews(databases: readonly string[]): Promise<ExistingView[]>;
  /** Creates or replaces a persona's view (a definer's view: see `persona-views.ts`). */
  defineView(view: PersonaView): Promise<void>;
  dropView(view: ExistingView): Promise<void>;
}

/** What the sync needs besides the policy: names, and the SQL the views are written in. */
export interface AccessSyncContext {
  readonly project: string;
  readonly naming: PersonaViewNaming;
  readonly dialect: SqlDialect;
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

/**
 * Views defined at once: each is an Athena statement of a few seconds, a first sync defines one
 * per persona and table (over a hundred for the sample domain), and Athena runs 20 DDL statements
 * per account at a time by default.
 */
const viewConcurrency = 5;

/** Runs `work` on every item, at most `limit` at a time; the first failure fails the whole. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface AccessSyncResult {
  readonly tables: number;
  readonly created: number;
  readonly updated: number;
  readonly removed: number;
  readonly granted: number;
  /** Persona views: how many the policy wants, (re)defined, dropped. */
  readonly views: number;
  readonly viewsDefined: number;
  readonly viewsDropped: number;
}

/**
 * Lists the lake, plans, and applies: filters first, then grants, then column tags, then the
 * personas' views. Filters and tags apply to tables; a view published over a table version is
 * served to personas through their views only.
 */
export async function syncLakeAccess(
  policy: AccessPolicy,
  contracts: ContractRegistry,
  permissions: LakePermissions,
  context: AccessSyncContext,
): Promise<AccessSyncResult> {
  const { project, naming, dialect } = context;
  const listed = classifyTables(await permissions.listTables(), contracts);
  const tables = listed.filter((t) => t.source === undefined);
  const wanted = cellsGrants(policy, tables, project);
  const plan = planAccessSync(wanted, await permissions.listFilters(), project);
  for (const filter of plan.remove) await permissions.deleteFilter(filter);
  for (const filter of plan.create) await permissions.createFilter(filter);
  for (const filter of plan.update) await permissions.updateFilter(filter);
  for (const filter of plan.grant) await permissions.grantSelect(filter);
  for (const table of tables)
    for (const { classification, columns } of columnTags(table))
      await permissions.tagColumns(table.relation, classification, columns);

  const views = personaViews(policy, listed, naming, dialect);
  const viewPlan = planPersonaViews(
    views,
    await permissions.listViews(personaDatabases(policy, naming)),
  );
  for (const view of viewPlan.drop) await permissions.dropView(view);
  await inParallel(viewPlan.define, viewConcurrency, (view) => permissions.defineView(view));
  return {
    tables: listed.length,
    created: plan.create.length,
    updated: plan.update.length,
    removed: plan.remove.length,
    granted: plan.grant.length,
    views: views.length,
    viewsDefined: viewPlan.define.length,
    viewsDropped: viewPlan.drop.length,
  };
}
