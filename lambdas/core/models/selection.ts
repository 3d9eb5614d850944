/**
 * Model selection, as dbt users write it: `--select` and `--exclude` take selectors, so a data
 * engineer runs, tests or compiles the models a change touches and nothing else.
 *
 * A selector is a method and a value, with graph operators around it:
 * - `silver.orders` (a model), `orders` (every model of that name in any layer), `silver.*` (a
 *   glob over model names);
 * - `tag:finance` (the model's `tags`), `layer:gold`, `source:snowflake` or
 *   `source:snowflake.customers` (models that read that source);
 * - `+selector` adds everything upstream of it, `selector+` everything downstream; a number
 *   bounds the depth (`1+gold.fact_orders` adds its direct parents only).
 *
 * Selectors in separate arguments (or separated by spaces) are a union; `a,b` within one argument
 * is their intersection. An exclusion removes its models after the selection. Dependencies are the
 * model graph's own: `ref()` and `changes()` between models (seeds are not models).
 */
import { ModelGraphError } from '../errors';
import { suggestName, type Model, type ModelProject } from './project';

export interface Selection {
  /** Empty or absent: every model. */
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
}

type Method = 'name' | 'tag' | 'layer' | 'source';

interface Selector {
  readonly method: Method;
  readonly value: string;
  /** Depth of ancestors to add; Infinity for `+` without a number; 0 for none. */
  readonly up: number;
  readonly down: number;
}

const selectorPattern = /^(?:(\d*)\+)?(?:(tag|layer|source):)?([A-Za-z0-9_.*]+)(?:\+(\d*))?$/;

/** Whether the selection names anything: an empty one is the whole project. */
export function isSelective(selection: Selection | undefined): selection is Selection {
  const terms = [...(selection?.select ?? []), ...(selection?.exclude ?? [])];
  return terms.some((t) => t.trim() !== '');
}

/** Reads one selector (no spaces or commas); a malformed one is an error naming it. */
export function parseSelector(text: string): Selector {
  const match = selectorPattern.exec(text);
  if (!match)
    throw new ModelGraphError(
      `Selector "${text}" is not understood: write a model (silver.orders), tag:x, layer:x or source:x, with + before or after for upstream or downstream`,
    );
  const [, upDepth, method = 'name', value = '', downDepth] = match;
  const depth = (d: string | undefined) => (d === undefined ? 0 : d === '' ? Infinity : Number(d));
  return {
    method: method as Method,
    value,
    up: depth(upDepth),
    down: depth(downDepth),
  };
}

/** The project's models the selection names, in the project's (dependency) order. */
export function selectModels(project: ModelProject, selection: Selection): Model[] {
  const all = project.models;
  const names = (args: readonly string[] | undefined): Set<string> | undefined => {
    const terms = (args ?? []).flatMap((a) => a.split(/\s+/)).filter((t) => t !== '');
    if (terms.length === 0) return undefined;
    const union = new Set<string>();
    for (const term of terms) {
      const parts = term.split(',').map((part) => resolve(project, parseSelector(part)));
      for (const name of parts[0]!) if (parts.every((p) => p.has(name))) union.add(name);
    }
    return union;
  };
  const selected = names(selection.select) ?? new Set(all.map((m) => m.name));
  const excluded = names(selection.exclude) ?? new Set<string>();
  return all.filter((m) => selected.has(m.name) && !excluded.has(m.name));
}

/** One selector's models, with its graph operators applied. */
function resolve(project: ModelProject, selector: Selector): Set<string> {
  const matched = project.models.filter((m) => matches(m, selector)).map((m) => m.name);
  if (matched.length === 0) throw new ModelGraphError(nothingMatches(project, selector));
  const result = new Set(matched);
  walk(matched, selector.up, (name) => upstream(project, name), result);
  walk(matched, selector.down, (name) => project.dependents(name).map((m) => m.name), result);
  return result;
}

function matches(model: Model, { method, value }: Selector): boolean {
  switch (method) {
    case 'tag':
      return model.config.tags.includes(value);
    case 'layer':
      return model.layer === value;
    case 'source':
      return model.sources.some(([source, dataset]) =>
        value.includes('.') ? `${source}.${dataset}` === value : source === value,
      );
    case 'name': {
      if (value.includes('*')) return glob(value).test(model.name);
      return model.name === value || model.name.slice(model.layer.length + 1) === value;
    }
  }
}

const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '[^.]*')}$`);

/** The models `name` reads through `ref()` and `changes()`. */
function upstream(project: ModelProject, name: string): string[] {
  const model = project.models.find((m) => m.name === name)!;
  const models = new Set(project.models.map((m) => m.name));
  return [...model.refs, ...model.changes].filter((n) => models.has(n));
}

/** Breadth-first from `start`, `depth` steps along `next`, into `into`. */
function walk(
  start: readonly string[],
  depth: number,
  next: (name: string) => string[],
  into: Set<string>,
): void {
  let frontier = [...start];
  const seen = new Set(start);
  for (let step = 0; step < depth && frontier.length > 0; step++) {
    const found: string[] = [];
    for (const name of frontier.flatMap(next)) {
      if (seen.has(name)) continue;
      seen.add(name);
      found.push(name);
      into.add(name);
    }
    frontier = found;
  }
}

/** Why a selector matched nothing, with the nearest name where it looks like a typo. */
function nothingMatches(project: ModelProject, { method, value }: Selector): string {
  const candidates: Record<Method, string[]> = {
    name: project.models.flatMap((m) => [m.name, m.name.slice(m.layer.length + 1)]),
    tag: [...new Set(project.models.flatMap((m) => m.config.tags))],
    layer: [...new Set(project.models.map((m) => m.layer))],
    source: [...new Set(project.models.flatMap((m) => m.sources.map(([s, d]) => `${s}.${d}`)))],
  };
  const label =
    method === 'name' ? `No model matches "${value}"` : `No model has ${method}:${value}`;
  const known =
    method === 'name'
      ? ''
      : candidates[method].length === 0
        ? ` (no model has a ${method})`
        : ` (known: ${candidates[method].sort().join(', ')})`;
  return `${label}${suggestName(value, candidates[method]) || known}`;
}
