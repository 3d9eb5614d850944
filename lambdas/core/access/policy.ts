/**
 * The access policy resolved against the lake's tables: for a persona and a table, which columns it
 * reads in clear, masked or not at all, and which rows. Lake Formation grants (AWS) and the local
 * `query --as` session are both built from {@link tableAccess}, so the two runtimes cannot drift.
 */
import type {
  AccessPolicyDocument,
  Classification,
  Mask,
  PersonaSettings,
  Visibility,
} from '../../../config/access-schema';
import { accessPolicySchema, classifications } from '../../../config/access-schema';
import { lakeSchemas, type LakeSchema } from '../../../config/layout';
import { PipelineError } from '../errors';
import { parseYamlWith } from '../validation';

export interface AccessPolicy {
  readonly document: AccessPolicyDocument;
  /** Where it was read from, for messages (`config/access.yaml`). */
  readonly file: string;
  /** Environment whose overrides apply. */
  readonly env: string;
}

/** A persona with `extends` and its environment's overrides applied. */
export interface Persona {
  readonly name: string;
  readonly description: string;
  readonly layers: readonly LakeSchema[];
  readonly tables: readonly string[];
  readonly exclude: readonly string[];
  readonly columns: Readonly<Record<Classification, Visibility>>;
  readonly rows?: { readonly column: string; readonly in: readonly (string | number | boolean)[] };
  readonly unfilteredTables: 'hide' | 'show';
  /** The platform's reports it reads whole (`audit.cost_reports` for `cost`). */
  readonly reports: readonly 'cost'[];
  readonly workgroup: string;
  readonly principals: readonly string[];
}

/** A table of the lake and its columns, classified. */
export interface LakeTable {
  /** `<schema>.<table>`, e.g. `gold.customer_360`. */
  readonly relation: string;
  readonly columns: readonly { readonly name: string; readonly classification: Classification }[];
  /** The table version a published view reads (`gold.customer_360__v…`), for views only. */
  readonly source?: string;
}

export interface ColumnAccess {
  readonly name: string;
  readonly classification: Classification;
  readonly visibility: Visibility;
  /** How a masked column reads. */
  readonly mask?: Mask;
}

/** What a persona may read of one table; tables it may not read have none. */
export interface TableAccess {
  readonly relation: string;
  readonly columns: readonly ColumnAccess[];
  readonly rows?: Persona['rows'];
}

/** Nothing visible unless the policy says so. */
const closed: Record<Classification, Visibility> = {
  public: 'hidden',
  internal: 'hidden',
  confidential: 'hidden',
  pii: 'hidden',
};

/** Parses `config/access.yaml`; errors name the file and key. */
export function parseAccessPolicy(text: string, file: string, env: string): AccessPolicy {
  return { document: parseYamlWith(accessPolicySchema, text, file), file, env };
}

export function personaNames(policy: AccessPolicy): string[] {
  return Object.keys(policy.document.personas).sort();
}

/** Resolves a persona: its `extends` chain, then its environment's overrides, key by key. */
export function persona(policy: AccessPolicy, name: string): Persona {
  const { personas, environments } = policy.document;
  if (!personas[name])
    throw new PipelineError(
      `No persona '${name}' in ${policy.file} (personas: ${personaNames(policy).join(', ')})`,
    );
  const chain: string[] = [];
  let settings: Partial<PersonaSettings> = {};
  for (let current: string | undefined = name; current;) {
    if (chain.includes(current))
      throw new PipelineError(
        `${policy.file}: personas extend each other in a cycle: ${[...chain, current].join(' → ')}`,
      );
    const own: PersonaSettings | undefined = personas[current];
    if (!own)
      throw new PipelineError(
        `${policy.file}: persona '${chain.at(-1)}' extends '${current}', which is not defined`,
      );
    chain.push(current);
    settings = { ...definedKeys(own), ...settings };
    current = own.extends;
  }
  settings = { ...settings, ...definedKeys(environments[policy.env]?.[name] ?? {}) };
  return {
    name,
    description: settings.description ?? '',
    layers: settings.layers ?? [],
    tables: settings.tables ?? [],
    exclude: settings.exclude ?? [],
    columns: settings.columns ?? closed,
    ...(settings.rows ? { rows: settings.rows } : {}),
    unfilteredTables: settings.unfilteredTables ?? 'hide',
    reports: settings.reports ?? [],
    workgroup: settings.workgroup ?? name,
    principals: settings.principals ?? [],
  };
}

function definedKeys<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The layers a persona reads something of: its `layers` and the schemas of its `tables`. */
export function personaSchemas(persona: Persona): LakeSchema[] {
  return [
    ...new Set([...persona.layers, ...persona.tables.map((t) => t.split('.')[0] as LakeSchema)]),
  ]
    .filter((s) => s !== 'scratch')
    .sort();
}

/** `gold.dim_*` → matches `gold.dim_customer`. */
export function matchesPattern(pattern: string, relation: string): boolean {
  const expression = pattern.split('*').map(escapeRegExp).join('[a-z0-9_]*');
  return new RegExp(`^${expression}$`).test(relation);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What `persona` may read of `table`, or undefined when it may not read the table at all. */
export function tableAccess(
  policy: AccessPolicy,
  persona: Persona,
  table: LakeTable,
): TableAccess | undefined {
  const schema = table.relation.split('.')[0] as LakeSchema;
  const granted =
    persona.layers.includes(schema) ||
    persona.tables.some((p) => matchesPattern(p, table.relation));
  if (!granted || persona.exclude.some((p) => matchesPattern(p, table.relation))) return undefined;
  const filtered = persona.rows && table.columns.some((c) => c.name === persona.rows!.column);
  if (persona.rows && !filtered && persona.unfilteredTables === 'hide') return undefined;
  const columns = table.columns.map((c): ColumnAccess => {
    const visibility = persona.columns[c.classification];
    return visibility === 'masked'
      ? { ...c, visibility, mask: maskOf(policy, c.name) }
      : { ...c, visibility };
  });
  if (!columns.some((c) => c.visibility !== 'hidden')) return undefined;
  return {
    relation: table.relation,
    columns,
    ...(filtered ? { rows: persona.rows } : {}),
  };
}

function maskOf(policy: AccessPolicy, column: string): Mask {
  return policy.document.masking.columns[column] ?? policy.document.masking.default;
}

/** Every persona × table × column of the lake: what the tests hold both runtimes to. */
export function accessMatrix(
  policy: AccessPolicy,
  tables: readonly LakeTable[],
): { persona: string; relation: string; column: string; visibility: Visibility }[] {
  return personaNames(policy).flatMap((name) => {
    const p = persona(policy, name);
    return tables.flatMap((table) => {
      const access = tableAccess(policy, p, table);
      return table.columns.map((c) => ({
        persona: name,
        relation: table.relation,
        column: c.name,
        visibility: access?.columns.find((a) => a.name === c.name)?.visibility ?? 'hidden',
      }));
    });
  });
}

/**
 * What is wrong with the policy against the lake's tables: unknown personas in `extends`, table
 * names or patterns that match nothing, row filters on columns no granted table has.
 */
export function policyProblems(policy: AccessPolicy, tables: readonly LakeTable[]): string[] {
  const problems: string[] = [];
  for (const name of personaNames(policy)) {
    let p: Persona;
    try {
      p = persona(policy, name);
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    for (const pattern of [...p.tables, ...p.exclude])
      if (!tables.some((t) => matchesPattern(pattern, t.relation)))
        problems.push(`${policy.file}: persona ${name} names ${pattern}, which matches no table`);
    for (const layer of p.layers)
      if (!lakeSchemas.includes(layer))
        problems.push(`${policy.file}: persona ${name} names layer ${layer}, which does not exist`);
    if (p.rows) {
      const column = p.rows.column;
      const readable = tables.filter((t) => tableAccess(policy, { ...p, rows: undefined }, t));
      if (!readable.some((t) => t.columns.some((c) => c.name === column)))
        problems.push(
          `${policy.file}: persona ${name} filters rows on ${column}, which no table it reads has`,
        );
    }
  }
  return problems;
}

/** Classifications from the least to the most sensitive. */
export function strongest(values: readonly Classification[]): Classification | undefined {
  return values.reduce<Classification | undefined>(
    (best, c) =>
      best === undefined || classifications.indexOf(c) > classifications.indexOf(best) ? c : best,
    undefined,
  );
}
