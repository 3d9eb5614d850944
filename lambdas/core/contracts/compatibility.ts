/**
 * Contract evolution: what changed between two versions of a contract, and whether each change
 * breaks a compatibility mode. The modes are a schema registry's, applied to tables read by SQL:
 *
 * - BACKWARD: new code can read data written under the old contract (reprocessing bronze). Broken
 *   by anything that makes the contract stricter: a required column added, a type narrowed, a
 *   constraint tightened, an accepted value removed.
 * - FORWARD: consumers' existing queries keep working on data written under the new contract.
 *   Broken by anything that lets new data escape the old promise: a column removed (SQL has no
 *   reader-side defaults, so even an optional one), a type widened, a column made nullable, a
 *   constraint loosened, an accepted value added.
 * - FULL: both. The `_TRANSITIVE` forms hold against every earlier version, not just the last.
 * - NONE: anything goes.
 */
import type { ContractDocument, ContractProperty } from './schema';

export const compatibilityModes = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;
export type CompatibilityMode = (typeof compatibilityModes)[number];

/** A contract is a promise to its consumers, so by default it must keep their queries working. */
export const defaultCompatibility: CompatibilityMode = 'FORWARD';

export type ChangeKind =
  | 'add-optional-column'
  | 'add-required-column'
  | 'remove-optional-column'
  | 'remove-required-column'
  | 'rename-column'
  | 'widen-type'
  | 'narrow-type'
  | 'change-type'
  | 'make-nullable'
  | 'make-required'
  | 'add-enum-value'
  | 'remove-enum-value'
  | 'tighten-constraint'
  | 'loosen-constraint'
  | 'change-constraint'
  | 'change-primary-key'
  | 'rename-dataset'
  | 'remove-dataset'
  | 'change-metadata';

/** Which directions a kind of change breaks: [BACKWARD, FORWARD]. */
const breaks: Record<ChangeKind, readonly [backward: boolean, forward: boolean]> = {
  'add-optional-column': [false, false],
  'add-required-column': [true, false],
  'remove-optional-column': [false, true],
  'remove-required-column': [false, true],
  'rename-column': [true, true],
  'widen-type': [false, true],
  'narrow-type': [true, false],
  'change-type': [true, true],
  'make-nullable': [false, true],
  'make-required': [true, false],
  'add-enum-value': [false, true],
  'remove-enum-value': [true, false],
  'tighten-constraint': [true, false],
  'loosen-constraint': [false, true],
  'change-constraint': [true, true],
  'change-primary-key': [true, true],
  'rename-dataset': [true, true],
  'remove-dataset': [false, true],
  'change-metadata': [false, false],
};

export interface ContractChange {
  readonly kind: ChangeKind;
  /** The column changed; absent for changes to the dataset itself. */
  readonly column?: string;
  /** What changed, in words: `BIGINT → DOUBLE`, `minimum 0 → 1`... */
  readonly detail: string;
}

/** Whether a change breaks a mode; transitive modes break as their base mode does, per version. */
export function breaksMode(change: ContractChange, mode: CompatibilityMode): boolean {
  const [backward, forward] = breaks[change.kind];
  switch (baseMode(mode)) {
    case 'BACKWARD':
      return backward;
    case 'FORWARD':
      return forward;
    case 'FULL':
      return backward || forward;
    default:
      return false;
  }
}

export function isTransitive(mode: CompatibilityMode): boolean {
  return mode.endsWith('_TRANSITIVE');
}

function baseMode(mode: CompatibilityMode): string {
  return mode.replace(/_TRANSITIVE$/, '');
}

/** Every change from `previous` to `current`, column by column, in the current column order. */
export function diffContracts(
  previous: ContractDocument,
  current: ContractDocument,
): ContractChange[] {
  const changes: ContractChange[] = [];
  const [before, after] = [previous.schema[0]!, current.schema[0]!];
  if (before.physicalName !== after.physicalName) {
    changes.push({
      kind: 'rename-dataset',
      detail: `${before.physicalName} → ${after.physicalName}`,
    });
  }

  const oldColumns = new Map(before.properties.map((p, i) => [p.name, { p, i }]));
  const newColumns = new Map(after.properties.map((p, i) => [p.name, { p, i }]));
  const removed = before.properties.filter((p) => !newColumns.has(p.name));
  const added = after.properties.filter((p) => !oldColumns.has(p.name));
  // A column removed and one added at the same position with the same type is a rename.
  const renamed = new Map<string, ContractProperty>();
  for (const gone of removed) {
    const position = oldColumns.get(gone.name)!.i;
    const replacement = added.find(
      (p) =>
        newColumns.get(p.name)!.i === position &&
        p.physicalType === gone.physicalType &&
        ![...renamed.values()].includes(p),
    );
    if (replacement) renamed.set(gone.name, replacement);
  }

  for (const property of after.properties) {
    const old = oldColumns.get(property.name)?.p;
    const renamedFrom = [...renamed].find(([, p]) => p === property)?.[0];
    if (renamedFrom) {
      changes.push({
        kind: 'rename-column',
        column: property.name,
        detail: `${renamedFrom} → ${property.name}`,
      });
      changes.push(...columnChanges(oldColumns.get(renamedFrom)!.p, property));
    } else if (!old) {
      changes.push({
        kind: property.required ? 'add-required-column' : 'add-optional-column',
        column: property.name,
        detail: `${property.physicalType}${property.required ? ', required' : ''}`,
      });
    } else {
      changes.push(...columnChanges(old, property));
    }
  }
  for (const gone of removed.filter((p) => !renamed.has(p.name))) {
    changes.push({
      kind: gone.required ? 'remove-required-column' : 'remove-optional-column',
      column: gone.name,
      detail: `${gone.physicalType}${gone.required ? ', required' : ''}`,
    });
  }

  const key = (d: ContractDocument) =>
    d.schema[0]!.properties.filter((p) => p.primaryKey)
      .sort((a, b) => (a.primaryKeyPosition ?? 0) - (b.primaryKeyPosition ?? 0))
      .map((p) => renamedName(p.name, renamed))
      .join(', ');
  if (key(previous) !== key(current)) {
    changes.push({
      kind: 'change-primary-key',
      detail: `(${key(previous) || 'none'}) → (${key(current) || 'none'})`,
    });
  }
  for (const field of ['slaProperties', 'customProperties'] as const) {
    const [was, is] = [JSON.stringify(previous[field]), JSON.stringify(current[field])];
    if (was !== is) changes.push({ kind: 'change-metadata', detail: `${field} changed` });
  }
  if (JSON.stringify(before.quality) !== JSON.stringify(after.quality)) {
    changes.push({ kind: 'change-metadata', detail: 'dataset quality rules changed' });
  }
  for (const field of ['status', 'description'] as const) {
    const [was, is] = [JSON.stringify(previous[field]), JSON.stringify(current[field])];
    if (was !== is) changes.push({ kind: 'change-metadata', detail: `${field}: ${was} → ${is}` });
  }
  if (previous.team.name !== current.team.name) {
    changes.push({
      kind: 'change-metadata',
      detail: `owner: ${previous.team.name} → ${current.team.name}`,
    });
  }
  return changes;
}

/** A key column's name as the current version spells it. */
function renamedName(name: string, renamed: ReadonlyMap<string, ContractProperty>): string {
  return renamed.get(name)?.name ?? name;
}

function columnChanges(old: ContractProperty, now: ContractProperty): ContractChange[] {
  const column = now.name;
  const changes: ContractChange[] = [];
  const fit = typeFit(old.physicalType, now.physicalType);
  if (fit !== 'same') {
    changes.push({
      kind: fit === 'widen' ? 'widen-type' : fit === 'narrow' ? 'narrow-type' : 'change-type',
      column,
      detail: `${old.physicalType} → ${now.physicalType}`,
    });
  }
  if (old.required !== now.required) {
    changes.push({
      kind: now.required ? 'make-required' : 'make-nullable',
      column,
      detail: now.required ? 'nullable → required' : 'required → nullable',
    });
  }
  if (old.unique !== now.unique) {
    changes.push({
      kind: now.unique ? 'tighten-constraint' : 'loosen-constraint',
      column,
      detail: now.unique ? 'unique added' : 'unique removed',
    });
  }
  changes.push(...enumChanges(column, acceptedValues(old), acceptedValues(now)));
  changes.push(...constraintChanges(column, old, now));
  const rules = (p: ContractProperty) =>
    JSON.stringify(
      p.quality.filter(
        (q) => !(q.metric === 'invalidValues' && q.arguments?.validValues && !q.arguments.pattern),
      ),
    );
  if (rules(old) !== rules(now)) {
    changes.push({ kind: 'change-metadata', column, detail: 'quality rules changed' });
  }
  if (JSON.stringify(old.relationships) !== JSON.stringify(now.relationships)) {
    changes.push({ kind: 'change-metadata', column, detail: 'relationships changed' });
  }
  // A contract that leaves classification out means internal (see `Contract.properties`).
  const value = (p: ContractProperty, field: 'classification' | 'description' | 'logicalType') =>
    field === 'classification' ? (p.classification ?? 'internal') : p[field];
  for (const field of ['classification', 'description', 'logicalType'] as const) {
    if (value(old, field) !== value(now, field)) {
      changes.push({
        kind: 'change-metadata',
        column,
        detail: `${field}: ${JSON.stringify(value(old, field))} → ${JSON.stringify(value(now, field))}`,
      });
    }
  }
  return changes;
}

type Scalar = string | number | boolean;

/** The accepted values of a column: its `invalidValues` rule's `validValues`, if it has one. */
function acceptedValues(property: ContractProperty): readonly Scalar[] | undefined {
  return property.quality.find((q) => q.metric === 'invalidValues' && q.arguments?.validValues)
    ?.arguments?.validValues;
}

function enumChanges(
  column: string,
  old: readonly Scalar[] | undefined,
  now: readonly Scalar[] | undefined,
): ContractChange[] {
  if (!old && !now) return [];
  if (!old) return [{ kind: 'tighten-constraint', column, detail: 'accepted values added' }];
  if (!now) return [{ kind: 'loosen-constraint', column, detail: 'accepted values removed' }];
  const changes: ContractChange[] = [];
  const added = now.filter((v) => !old.includes(v));
  const removed = old.filter((v) => !now.includes(v));
  if (added.length > 0)
    changes.push({ kind: 'add-enum-value', column, detail: `+ ${added.join(', ')}` });
  if (removed.length > 0)
    changes.push({ kind: 'remove-enum-value', column, detail: `- ${removed.join(', ')}` });
  return changes;
}

/** Bounds where a larger value is stricter (`minimum`) or looser (`maximum`). */
const bounds = {
  minimum: 'raise',
  exclusiveMinimum: 'raise',
  minLength: 'raise',
  maximum: 'lower',
  exclusiveMaximum: 'lower',
  maxLength: 'lower',
} as const;

function constraintChanges(
  column: string,
  old: ContractProperty,
  now: ContractProperty,
): ContractChange[] {
  const changes: ContractChange[] = [];
  const [was, is] = [old.logicalTypeOptions ?? {}, now.logicalTypeOptions ?? {}];
  for (const [name, tighterWhen] of Object.entries(bounds)) {
    const [a, b] = [was[name], is[name]] as [
      number | string | undefined,
      number | string | undefined,
    ];
    if (a === b) continue;
    const detail = `${name} ${a ?? 'none'} → ${b ?? 'none'}`;
    if (a === undefined) changes.push({ kind: 'tighten-constraint', column, detail });
    else if (b === undefined) changes.push({ kind: 'loosen-constraint', column, detail });
    else {
      const higher = typeof a === 'number' && typeof b === 'number' ? b > a : String(b) > String(a);
      const tighter = tighterWhen === 'raise' ? higher : !higher;
      changes.push({ kind: tighter ? 'tighten-constraint' : 'loosen-constraint', column, detail });
    }
  }
  if (was.pattern !== is.pattern) {
    const detail = `pattern ${was.pattern ?? 'none'} → ${is.pattern ?? 'none'}`;
    // Whether one regular expression accepts a subset of another is not decidable here: a
    // changed pattern may both admit and refuse values, so it is treated as breaking both ways.
    const kind =
      was.pattern === undefined
        ? 'tighten-constraint'
        : is.pattern === undefined
          ? 'loosen-constraint'
          : 'change-constraint';
    changes.push({ kind, column, detail });
  }
  return changes;
}

interface SqlType {
  readonly base: string;
  readonly params: readonly number[];
}

function sqlType(text: string): SqlType {
  const match = /^([A-Z]+)(?:\((\d+)(?:,\s*(\d+))?\))?$/.exec(text.trim().toUpperCase());
  if (!match) return { base: text, params: [] };
  const base = match[1] === 'INT' ? 'INTEGER' : match[1] === 'FLOAT' ? 'REAL' : match[1]!;
  return { base, params: [match[2], match[3]].filter((p) => p !== undefined).map(Number) };
}

/** Decimal digits each integer type needs, and its rank in the widening chain. */
const integers: Record<string, { digits: number; rank: number }> = {
  TINYINT: { digits: 3, rank: 1 },
  SMALLINT: { digits: 5, rank: 2 },
  INTEGER: { digits: 10, rank: 3 },
  BIGINT: { digits: 19, rank: 4 },
};

/** Whether every value of type `a` can be stored in type `b`. */
function fits(a: SqlType, b: SqlType): boolean {
  const intA = integers[a.base];
  const intB = integers[b.base];
  if (intA && intB) return intA.rank <= intB.rank;
  if (b.base === 'DOUBLE') return Boolean(intA) || ['DECIMAL', 'REAL', 'DOUBLE'].includes(a.base);
  if (a.base === 'REAL' && b.base === 'REAL') return true;
  if (b.base === 'DECIMAL') {
    const [p = 18, s = 0] = b.params;
    if (intA) return p - s >= intA.digits;
    if (a.base === 'DECIMAL') {
      const [pa = 18, sa = 0] = a.params;
      return s >= sa && p - s >= pa - sa;
    }
    return false;
  }
  if (intB && a.base === 'DECIMAL') {
    const [pa = 18, sa = 0] = a.params;
    return sa === 0 && intB.digits >= pa;
  }
  if (a.base === 'VARCHAR' && b.base === 'VARCHAR') {
    const [la] = a.params;
    const [lb] = b.params;
    return lb === undefined || (la !== undefined && lb >= la);
  }
  return a.base === b.base && a.params.join() === b.params.join();
}

/** How a column's type changed: `widen` when every old value still fits, `narrow` the reverse. */
export function typeFit(before: string, after: string): 'same' | 'widen' | 'narrow' | 'change' {
  const [a, b] = [sqlType(before), sqlType(after)];
  const forward = fits(a, b);
  const backward = fits(b, a);
  if (forward && backward) return 'same';
  if (forward) return 'widen';
  if (backward) return 'narrow';
  return 'change';
}

/** What each direction promises, for messages. */
const promises: Record<'BACKWARD' | 'FORWARD', string> = {
  BACKWARD: 'data written under the old contract must still satisfy the new one',
  FORWARD: 'consumers’ queries written against the old contract must keep working',
};

export interface Evolution {
  /** Changes from the latest earlier version to the current one. */
  readonly changes: readonly ContractChange[];
  /** Why the current version may not be published; empty when it may. */
  readonly problems: readonly string[];
}

/**
 * Checks a contract against its earlier versions (oldest first): the version must not go down,
 * must go up when anything changed, and must take a major step over any change that breaks the
 * contract's compatibility mode. Plain modes compare with the last version; transitive ones with
 * every earlier version of the same major, since a major version is where a contract may break.
 */
export function checkEvolution(
  earlier: readonly ContractDocument[],
  current: ContractDocument,
  mode: CompatibilityMode,
): Evolution {
  const latest = earlier.at(-1);
  if (!latest) return { changes: [], problems: [] };
  const changes = diffContracts(latest, current);
  const problems: string[] = [];
  const order = compareVersions(current.version, latest.version);
  if (order < 0) {
    problems.push(`version ${current.version} is lower than the previous ${latest.version}`);
  } else if (order === 0 && changes.length > 0) {
    problems.push(
      `changed (${changes.length} change${changes.length === 1 ? '' : 's'}) but still version ${current.version}: bump it`,
    );
  }
  for (const version of isTransitive(mode) ? earlier : [latest]) {
    const against = version === latest ? changes : diffContracts(version, current);
    const breaking = against.filter((c) => breaksMode(c, mode));
    const major = Number(version.version.split('.')[0]);
    if (breaking.length === 0 || Number(current.version.split('.')[0]) > major) continue;
    for (const change of breaking) {
      const [backward] = breaks[change.kind];
      const direction =
        baseMode(mode) === 'FULL' ? (backward ? 'BACKWARD' : 'FORWARD') : baseMode(mode);
      problems.push(
        `${change.column ? `column ${change.column}: ` : ''}${change.kind} (${change.detail}) breaks ${mode} compatibility with ${version.version}: ${promises[direction as 'BACKWARD' | 'FORWARD']}. Bump the major version to ${major + 1}.0.0, or make the change compatible`,
      );
    }
  }
  return { changes, problems };
}

/** Semantic versions compared numerically: `1.10.0` > `1.9.0`. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < 3; i++) {
    if (x[i]! !== y[i]!) return x[i]! - y[i]!;
  }
  return 0;
}
