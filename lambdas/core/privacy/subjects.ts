/**
 * Where a data subject's rows are: which tables and columns to search, the set of identifiers a
 * request resolves to, and the SQL that finds matching rows. Shared by the local runtime (DuckDB
 * and Parquet files) and, later, the AWS state machine (Athena), which differ only in how they run
 * the queries.
 *
 * Contracts declare identifying columns with the custom property `subject` (its value a kind:
 * `email`, `customer_id`...). A table with several of them links the kinds: the request's email,
 * found beside a customer_id, brings that customer_id in, whose orders bring their order ids,
 * until nothing new turns up.
 * Tables without a contract (quarantine, change feeds, model versions) take a column's kind from
 * its name, as the contracts spell it. Text columns (REST `_extra`, Kafka payloads, failing-row
 * samples) are searched as text: distinctive identifiers (an email) anywhere in the text, short
 * numeric ones only as a JSON field of their kind (`"customer_id": 21`), since the bare number
 * would match unrelated figures.
 */
import type { ContractRegistry } from '../contracts/contract';
import { PipelineError } from '../errors';
import type { SqlDialect } from '../ports';

/** Identifier values by kind, normalized (trimmed, lower-case, as `keyedHash` hashes them). */
export type Identifiers = ReadonlyMap<string, ReadonlySet<string>>;

/** What a request names: one identifier of one kind. */
export interface SubjectIdentifier {
  readonly kind: string;
  readonly value: string;
}

/**
 * How a table is erased: `rows` deletes matching rows (bronze, silver, gold and their versions,
 * quarantine, change feeds); `samples` removes the subject's rows from the JSON failing-row samples
 * of `audit.dq_results`; `profiles` blanks the subject's values in `audit.dq_profiles`; `verify`
 * tables (run history, watermarks, contract versions) hold no row values and are only searched.
 */
export type TableRole = 'rows' | 'samples' | 'profiles' | 'verify';

export interface SubjectColumn {
  readonly name: string;
  readonly kind: string;
}

/** A table to search, with the columns that identify a person and the columns searched as text. */
export interface SearchTable {
  readonly relation: string;
  readonly role: TableRole;
  readonly subjectColumns: readonly SubjectColumn[];
  readonly textColumns: readonly string[];
}

/** A table as the engine lists it, with column types (to tell text columns). */
export interface TypedTable {
  readonly relation: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/** The kind `--subject 21` means when the value is not an email and names no kind. */
export const defaultSubjectKind = 'customer_id';

/** Trimmed and lower-cased, as {@link keyedHash} normalizes: `Ann@X.com ` is `ann@x.com`. */
export function normalizeIdentifier(value: unknown): string {
  return String(value).trim().toLowerCase();
}

/** The subject kinds the contracts declare, by column name; a name declared two ways is an error. */
export function subjectKindsByColumn(contracts: ContractRegistry): Map<string, string> {
  const kinds = new Map<string, string>();
  for (const contract of contracts.all())
    for (const p of contract.properties) {
      if (!p.subject) continue;
      const known = kinds.get(p.name);
      if (known !== undefined && known !== p.subject)
        throw new PipelineError(
          `${contract.file}: column ${p.name} is subject ${p.subject}, but another contract declares ${p.name} as subject ${known}; a column name has one kind`,
        );
      kinds.set(p.name, p.subject);
    }
  return kinds;
}

/**
 * Reads `--subject`: `kind=value` names the kind; otherwise a value with `@` is an `email` and
 * any other value a {@link defaultSubjectKind}.
 */
export function parseSubject(text: string, kinds: ReadonlySet<string>): SubjectIdentifier {
  const explicit = /^([a-z_][a-z0-9_]*)=(.+)$/.exec(text.trim());
  const [kind, value] = explicit
    ? [explicit[1]!, explicit[2]!]
    : [text.includes('@') ? 'email' : defaultSubjectKind, text];
  if (!kinds.has(kind))
    throw new PipelineError(
      `--subject ${text}: no contract declares a column as subject ${kind} (declared kinds: ${[...kinds].sort().join(', ') || 'none'}; see docs/privacy.md, "Data subject requests")`,
    );
  const normalized = normalizeIdentifier(value);
  if (normalized === '') throw new PipelineError(`--subject ${text}: the identifier is empty`);
  return { kind, value: normalized };
}

/** The version tables behind a published view (`gold.x__v2026…`) carry the view's contract. */
function publishedRelation(relation: string): string {
  return relation.replace(/__v\d.*$/, '');
}

const textTypes = /^(VARCHAR|JSON|TEXT|STRING)/i;

/**
 * The tables a request searches: everything of the lake but seeds and scratch space, each with its
 * role. Views are left to the caller to leave out: they show rows of the tables searched here.
 */
export function searchTables(
  listed: readonly TypedTable[],
  contracts: ContractRegistry,
): SearchTable[] {
  const byName = subjectKindsByColumn(contracts);
  const texts = (t: TypedTable, except: readonly SubjectColumn[]) =>
    t.columns
      .filter((c) => textTypes.test(c.type) && !except.some((s) => s.name === c.name))
      .map((c) => c.name);
  return listed
    .filter((t) => !/^(seeds|scratch)\./.test(t.relation))
    .map((t): SearchTable => {
      if (t.relation === 'audit.dq_results')
        return {
          relation: t.relation,
          role: 'samples',
          subjectColumns: [],
          textColumns: ['sample'],
        };
      if (t.relation === 'audit.dq_profiles')
        return {
          relation: t.relation,
          role: 'profiles',
          subjectColumns: [],
          textColumns: ['min_value', 'max_value', 'top_values'],
        };
      if (t.relation.startsWith('audit.'))
        return {
          relation: t.relation,
          role: 'verify',
          subjectColumns: [],
          textColumns: texts(t, []),
        };
      const contract = contracts.forRelation(publishedRelation(t.relation));
      const subjectColumns = t.columns.flatMap((c): SubjectColumn[] => {
        const kind = contract ? contract.column(c.name)?.subject : byName.get(c.name);
        return kind ? [{ name: c.name, kind }] : [];
      });
      return {
        relation: t.relation,
        role: 'rows',
        subjectColumns,
        textColumns: texts(t, subjectColumns),
      };
    })
    .sort((a, b) => a.relation.localeCompare(b.relation));
}

/**
 * Distinctive identifiers are searched anywhere in text: at least six characters and not all
 * digits (an email, `CON-000034`). Short or numeric ones (`21`) only as a JSON field of their kind.
 */
export function isDistinctive(value: string): boolean {
  return value.length >= 6 && !/^\d+$/.test(value);
}

const escapeRegex = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Characters an email or id continues with: a match must not be part of a longer one. */
const wordChar = 'a-z0-9._%+-';

/**
 * The condition a row about the subject meets, in the dialect's SQL; undefined when the table has
 * no column that could hold one of the identifiers. `linksOnly` keeps to the subject columns (for
 * resolving identifiers: text mentions do not make an identifier the same person's).
 */
export function subjectCondition(
  table: Pick<SearchTable, 'subjectColumns' | 'textColumns'>,
  ids: Identifiers,
  d: SqlDialect,
  jsonKeys: ReadonlyMap<string, readonly string[]>,
  linksOnly = false,
): string | undefined {
  const terms: string[] = [];
  for (const column of table.subjectColumns) {
    const values = [...(ids.get(column.kind) ?? [])];
    if (values.length > 0)
      terms.push(
        `lower(trim(cast(${d.quote(column.name)} as varchar))) in (${values.map((v) => d.string(v)).join(', ')})`,
      );
  }
  const pattern = linksOnly ? undefined : textPattern(ids, jsonKeys);
  if (pattern)
    for (const column of table.textColumns)
      terms.push(d.regexMatches(`lower(cast(${d.quote(column)} as varchar))`, pattern));
  return terms.length > 0 ? `(${terms.join(' or ')})` : undefined;
}

/**
 * The whole-text regular expression a text column about the subject matches: a distinctive
 * identifier not inside a longer word, or a short one as the value of a JSON field of its kind.
 */
export function textPattern(
  ids: Identifiers,
  jsonKeys: ReadonlyMap<string, readonly string[]>,
): string | undefined {
  const alternatives: string[] = [];
  const distinctive = [...ids.values()].flatMap((v) => [...v].filter(isDistinctive));
  if (distinctive.length > 0)
    alternatives.push(
      `(^|[^${wordChar}])(${distinctive.map(escapeRegex).join('|')})([^${wordChar}]|$)`,
    );
  for (const [kind, values] of ids) {
    const short = [...values].filter((v) => !isDistinctive(v));
    const keys = jsonKeys.get(kind) ?? [];
    if (short.length > 0 && keys.length > 0)
      alternatives.push(
        `"(${keys.map(escapeRegex).join('|')})"\\s*:\\s*"?(${short.map(escapeRegex).join('|')})"?\\s*[,}\\]]`,
      );
  }
  return alternatives.length > 0 ? `[\\s\\S]*(${alternatives.join('|')})[\\s\\S]*` : undefined;
}

/** The JSON field names that hold each kind: every column name a contract declares with it. */
export function jsonKeysByKind(contracts: ContractRegistry): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const [name, kind] of subjectKindsByColumn(contracts))
    keys.set(kind, [...(keys.get(kind) ?? []), name]);
  return keys;
}

/** Fetches the subject-column values of the rows matching a links-only condition. */
export type LinkFetcher = (
  table: SearchTable,
  condition: string,
) => Promise<readonly Record<string, unknown>[]>;

/** More identifiers than one person plausibly has: a subject declaration links people together. */
export const maxIdentifiers = 10_000;

/**
 * The request's identifier and every identifier linked to it, transitively, through tables with
 * several subject columns: repeats until a pass finds nothing new.
 */
export async function resolveIdentifiers(
  start: readonly SubjectIdentifier[],
  tables: readonly SearchTable[],
  d: SqlDialect,
  fetch: LinkFetcher,
): Promise<Identifiers> {
  const ids = new Map<string, Set<string>>();
  const add = (kind: string, value: string) => {
    const set = ids.get(kind) ?? new Set<string>();
    ids.set(kind, set);
    const before = set.size;
    set.add(value);
    return set.size > before;
  };
  for (const s of start) add(s.kind, normalizeIdentifier(s.value));
  const linking = tables.filter(
    (t) => t.role === 'rows' && new Set(t.subjectColumns.map((c) => c.kind)).size > 1,
  );
  for (let grew = true; grew;) {
    grew = false;
    for (const table of linking) {
      const condition = subjectCondition(table, ids, d, new Map(), true);
      if (!condition) continue;
      for (const row of await fetch(table, condition))
        for (const column of table.subjectColumns) {
          const value = row[column.name];
          if (value !== null && value !== undefined && normalizeIdentifier(value) !== '')
            grew = add(column.kind, normalizeIdentifier(value)) || grew;
        }
    }
    const total = [...ids.values()].reduce((n, s) => n + s.size, 0);
    if (total > maxIdentifiers)
      throw new PipelineError(
        `The subject resolves to more than ${maxIdentifiers} identifiers: a column declared as subject links many people (check the contracts' subject declarations)`,
      );
  }
  return ids;
}

/** The identifiers as plain JSON: kind → sorted values. */
export function identifiersJson(ids: Identifiers): Record<string, string[]> {
  return Object.fromEntries(
    [...ids].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()]),
  );
}

/** Back from {@link identifiersJson}. */
export function identifiersFromJson(json: Record<string, readonly string[]>): Identifiers {
  return new Map(Object.entries(json).map(([k, v]) => [k, new Set(v)]));
}

/** The union of two identifier sets. */
export function mergeIdentifiers(a: Identifiers, b: Identifiers): Identifiers {
  const merged = new Map<string, Set<string>>();
  for (const set of [a, b])
    for (const [kind, values] of set)
      merged.set(kind, new Set([...(merged.get(kind) ?? []), ...values]));
  return merged;
}

/** Whether a JSON value (a sample row, a profile value) holds one of the identifiers. */
export function mentions(
  value: unknown,
  ids: Identifiers,
  kindOfKey: ReadonlyMap<string, string>,
): boolean {
  const distinctive = [...ids.values()].flatMap((v) => [...v].filter(isDistinctive));
  const inText = (text: string) => {
    const lower = text.toLowerCase();
    return distinctive.some((id) =>
      new RegExp(`(^|[^${wordChar}])${escapeRegex(id)}([^${wordChar}]|$)`).test(lower),
    );
  };
  if (value === null || value === undefined) return false;
  if (typeof value !== 'object') return inText(String(value));
  if (Array.isArray(value)) return value.some((v) => mentions(v, ids, kindOfKey));
  return Object.entries(value as Record<string, unknown>).some(([key, v]) => {
    const kind = kindOfKey.get(key);
    if (kind && v !== null && ids.get(kind)?.has(normalizeIdentifier(v))) return true;
    return mentions(v, ids, kindOfKey);
  });
}

/**
 * A failing-row sample (`audit.dq_results.sample`, a JSON array of rows) without the subject's
 * rows; undefined when it holds none. Text that is not JSON but mentions the subject becomes NULL.
 */
export function scrubSample(
  sample: string,
  ids: Identifiers,
  kindOfKey: ReadonlyMap<string, string>,
): { sample: string | null; removed: number } | undefined {
  let rows: unknown;
  try {
    rows = JSON.parse(sample);
  } catch {
    return mentions(sample, ids, kindOfKey) ? { sample: null, removed: 1 } : undefined;
  }
  if (!Array.isArray(rows))
    return mentions(rows, ids, kindOfKey) ? { sample: null, removed: 1 } : undefined;
  const kept = rows.filter((r) => !mentions(r, ids, kindOfKey));
  return kept.length === rows.length
    ? undefined
    : { sample: JSON.stringify(kept), removed: rows.length - kept.length };
}

export type ProfileValues = {
  readonly column_name: string;
  readonly min_value: string | null;
  readonly max_value: string | null;
  readonly top_values: string | null;
};

/**
 * A column profile without the subject's values: a smallest or largest value, or a frequent value,
 * that is one of the identifiers (of the column's kind, or distinctive) is removed. Undefined when
 * the profile holds none.
 */
export function scrubProfile(
  profile: ProfileValues,
  ids: Identifiers,
  kindOfKey: ReadonlyMap<string, string>,
): Omit<ProfileValues, 'column_name'> | undefined {
  const kind = kindOfKey.get(profile.column_name);
  const isSubject = (value: unknown) =>
    value !== null &&
    value !== undefined &&
    ((kind !== undefined && ids.get(kind)?.has(normalizeIdentifier(value)) === true) ||
      mentions(String(value), ids, kindOfKey));
  const min = isSubject(profile.min_value) ? null : profile.min_value;
  const max = isSubject(profile.max_value) ? null : profile.max_value;
  let top = profile.top_values;
  if (top !== null) {
    try {
      const entries = JSON.parse(top) as unknown;
      if (Array.isArray(entries)) {
        const kept = entries.filter(
          (e) =>
            !isSubject((e as { value?: unknown } | null)?.value) && !mentions(e, ids, kindOfKey),
        );
        if (kept.length !== entries.length) top = JSON.stringify(kept);
      } else if (mentions(entries, ids, kindOfKey)) top = null;
    } catch {
      if (isSubject(top)) top = null;
    }
  }
  return min === profile.min_value && max === profile.max_value && top === profile.top_values
    ? undefined
    : { min_value: min, max_value: max, top_values: top };
}
