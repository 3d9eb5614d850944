/**
 * Column lineage from a model's SQL: the statement is parsed (node-sql-parser, Athena grammar)
 * and walked scope by scope (CTEs, subqueries, joins, unions) to find, for every output column,
 * the input columns it is computed from and how, in OpenLineage's terms:
 *
 * - DIRECT: the value comes from the input: IDENTITY (copied), TRANSFORMATION (computed from it),
 *   AGGREGATION (summarised over rows); `masking` when it passed through a hash.
 * - INDIRECT: the input decides which rows or which branch: JOIN, FILTER, GROUP_BY, SORT and
 *   WINDOW for the whole dataset or a column, CONDITIONAL for a CASE's conditions.
 *
 * What cannot be resolved (an unknown relation, an ambiguous column) is reported, never guessed.
 */
import parserModule from 'node-sql-parser/build/athena.js';
import type * as NodeSqlParser from 'node-sql-parser';
import type { AST } from 'node-sql-parser';

const { Parser } = parserModule as unknown as typeof NodeSqlParser;
const parser = new Parser();

export type Subtype =
  | 'IDENTITY'
  | 'TRANSFORMATION'
  | 'AGGREGATION'
  | 'JOIN'
  | 'FILTER'
  | 'GROUP_BY'
  | 'SORT'
  | 'WINDOW'
  | 'CONDITIONAL';

export interface Transformation {
  readonly type: 'DIRECT' | 'INDIRECT';
  readonly subtype: Subtype;
  readonly masking: boolean;
}

/** One input column and every way it reaches the output. */
export interface InputField {
  readonly relation: string;
  readonly column: string;
  readonly transformations: readonly Transformation[];
}

export interface ModelColumnLineage {
  /** Output column → the input columns it derives from. */
  readonly columns: Readonly<Record<string, readonly InputField[]>>;
  /** Input columns that decide which rows exist at all (joins, filters, grouping). */
  readonly dataset: readonly InputField[];
  /** Relations the statement reads. */
  readonly inputs: readonly string[];
  /** What could not be resolved, in words. */
  readonly unresolved: readonly string[];
}

/** Functions whose result hides their input: a hash or a pseudonym. */
const maskingFunctions = new Set([
  'md5',
  'sha1',
  'sha256',
  'sha512',
  'xxhash64',
  'murmur3',
  'hmac_md5',
  'hmac_sha1',
  'hmac_sha256',
  'hmac_sha512',
  'spooky_hash_v2_32',
  'spooky_hash_v2_64',
]);

/** DIRECT strength: a copy, then a computation, then a summary over rows. */
const directRank: Record<string, number> = { IDENTITY: 0, TRANSFORMATION: 1, AGGREGATION: 2 };

/** Input fields keyed `relation|column`, each with its transformations keyed `TYPE:SUBTYPE:masking`. */
type Fields = Map<string, { relation: string; column: string; ways: Set<string> }>;

interface Derived {
  readonly columns: Map<string, Fields>;
  /** Column order, for `select *` and unions. */
  readonly order: string[];
  readonly indirect: Fields;
}

type Source = { kind: 'base'; relation: string } | { kind: 'derived'; derived: Derived };

interface Scope {
  readonly sources: Map<string, Source>;
  readonly outer?: Scope;
}

interface Context {
  readonly transformed: boolean;
  readonly aggregate: boolean;
  readonly masking: boolean;
}

/**
 * Analyses one SELECT (with its CTEs and unions). `columnsOf` gives a base relation's columns;
 * `outputs`, the columns the model promises (its contract's), in order.
 */
export function columnLineage(
  sql: string,
  columnsOf: (relation: string) => readonly string[] | undefined,
  outputs: readonly string[],
): ModelColumnLineage {
  const unresolved: string[] = [];
  const inputs = new Set<string>();
  let ast: AST | AST[];
  try {
    ast = parser.astify(sql, { database: 'athena' });
  } catch (error) {
    return {
      columns: {},
      dataset: [],
      inputs: [],
      unresolved: [`the SQL does not parse: ${(error as Error).message.slice(0, 200)}`],
    };
  }
  const statement = (Array.isArray(ast) ? ast[0] : ast) as unknown as Node;

  const fields = (): Fields => new Map();
  const add = (into: Fields, relation: string, column: string, ways: Iterable<string>) => {
    const key = `${relation}|${column}`;
    const entry = into.get(key) ?? { relation, column, ways: new Set<string>() };
    for (const way of ways) entry.ways.add(way);
    into.set(key, entry);
  };
  const merge = (into: Fields, from: Fields) => {
    for (const f of from.values()) add(into, f.relation, f.column, f.ways);
  };
  /** An input's ways seen through a context: DIRECT ones strengthened, masking inherited. */
  const through = (ways: Iterable<string>, ctx: Context): string[] =>
    [...ways].map((way) => {
      const [type, subtype, masking] = way.split(':') as [string, string, string];
      if (type !== 'DIRECT') return way;
      const own = ctx.aggregate ? 'AGGREGATION' : ctx.transformed ? 'TRANSFORMATION' : 'IDENTITY';
      const strongest = directRank[own]! > directRank[subtype]! ? own : subtype;
      return `DIRECT:${strongest}:${masking === 'true' || ctx.masking}`;
    });
  const indirectly = (from: Fields, subtype: Subtype, into: Fields) => {
    for (const f of from.values()) add(into, f.relation, f.column, [`INDIRECT:${subtype}:false`]);
  };

  /** The fields a column reference stands for, or undefined (and a report) when it is unknown. */
  function resolve(
    scope: Scope,
    table: string | null,
    column: string,
    where: string,
  ): Fields | undefined {
    for (let s: Scope | undefined = scope; s; s = s.outer) {
      const candidates = table
        ? [s.sources.get(table)].filter((x): x is Source => x !== undefined)
        : [...s.sources.values()].filter((src) => hasColumn(src, column));
      if (table && candidates.length === 0) continue;
      if (candidates.length > 1) {
        unresolved.push(`${where}: ${column} is ambiguous`);
        return undefined;
      }
      const source = candidates[0];
      if (!source) continue;
      const result = fields();
      if (source.kind === 'base') {
        if (!hasColumn(source, column)) {
          unresolved.push(`${where}: ${source.relation} has no column ${column}`);
          return undefined;
        }
        add(result, source.relation, column, ['DIRECT:IDENTITY:false']);
      } else {
        const derived = source.derived.columns.get(column);
        if (!derived) {
          unresolved.push(`${where}: ${table ?? 'the query'} has no column ${column}`);
          return undefined;
        }
        merge(result, derived);
      }
      return result;
    }
    unresolved.push(`${where}: cannot tell where ${table ? `${table}.` : ''}${column} comes from`);
    return undefined;
  }

  function hasColumn(source: Source, column: string): boolean {
    return source.kind === 'base'
      ? (columnsOf(source.relation) ?? []).includes(column)
      : source.derived.columns.has(column);
  }

  /**
   * Walks an expression: DIRECT contributions go to `direct`, column-level INDIRECT ones (CASE
   * conditions, window partitions) to `indirect`.
   */
  function walk(
    node: unknown,
    scope: Scope,
    ctx: Context,
    direct: Fields,
    indirect: Fields,
    where: string,
  ): void {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, scope, ctx, direct, indirect, where);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const n = node as Node;
    if (n.ast) {
      // A scalar subquery: its value is computed from its columns; its filters decide it.
      const sub = select(n.ast as Node, new Map(), scope, where);
      const first = sub.columns.get(sub.order[0] ?? '');
      if (first)
        for (const f of first.values())
          add(direct, f.relation, f.column, through(f.ways, { ...ctx, transformed: true }));
      merge(indirect, sub.indirect);
      return;
    }
    switch (n.type) {
      // In Trino double quotes always quote an identifier; the parser reads a lone one as text.
      case 'double_quote_string':
      case 'column_ref': {
        if (n.column === '*') return;
        const name = n.type === 'column_ref' ? columnName(n.column) : String(n.value);
        const resolved = resolve(scope, (n.table as string | null) ?? null, name, where);
        if (resolved)
          for (const f of resolved.values())
            add(direct, f.relation, f.column, through(f.ways, ctx));
        return;
      }
      case 'aggr_func': {
        const inner = { ...ctx, transformed: true, aggregate: true };
        walk(n.args, scope, inner, direct, indirect, where);
        windowed(n.over, scope, indirect, where);
        return;
      }
      case 'function': {
        const name = functionName(n.name);
        const inner = {
          ...ctx,
          transformed: true,
          masking: ctx.masking || maskingFunctions.has(name),
        };
        walk(n.args, scope, inner, direct, indirect, where);
        windowed(n.over, scope, indirect, where);
        return;
      }
      case 'case': {
        const inner = { ...ctx, transformed: true };
        walk(n.expr, scope, inner, direct, indirect, where);
        for (const branch of (n.args as Node[]) ?? []) {
          if (branch.cond) {
            const decided = fields();
            walk(branch.cond, scope, inner, decided, indirect, where);
            indirectly(decided, 'CONDITIONAL', indirect);
          }
          walk(branch.result, scope, inner, direct, indirect, where);
        }
        return;
      }
      default: {
        const inner = { ...ctx, transformed: true };
        for (const [key, value] of Object.entries(n)) {
          if (key === 'type' || key === 'as' || key === 'over') continue;
          walk(value, scope, inner, direct, indirect, where);
        }
      }
    }
  }

  function windowed(over: unknown, scope: Scope, indirect: Fields, where: string): void {
    if (!over) return;
    const decided = fields();
    walk(
      over,
      scope,
      { transformed: true, aggregate: false, masking: false },
      decided,
      fields(),
      where,
    );
    indirectly(decided, 'WINDOW', indirect);
  }

  /** One SELECT (and the selects UNIONed to it) as a derived relation. */
  function select(
    node: Node,
    ctes: Map<string, Derived>,
    outer: Scope | undefined,
    where: string,
  ): Derived {
    const visible = new Map(ctes);
    for (const cte of (node.with as Node[] | null) ?? []) {
      const name = (cte.name as { value: string }).value;
      visible.set(
        name,
        select((cte.stmt as Node).ast as Node, visible, outer, `${where} > ${name}`),
      );
    }
    const scope: Scope = { sources: new Map(), outer };
    const datasetLevel = fields();
    for (const item of (node.from as Node[] | null) ?? []) {
      const alias = (item.as as string | null) ?? (item.table as string | undefined) ?? '';
      if (item.table) {
        const db = item.db as string | null;
        const relation = db ? `${db}.${item.table as string}` : (item.table as string);
        const cte = db ? undefined : visible.get(item.table as string);
        if (cte) scope.sources.set(alias, { kind: 'derived', derived: cte });
        else if (columnsOf(relation)) {
          inputs.add(relation);
          scope.sources.set(alias, { kind: 'base', relation });
        } else unresolved.push(`${where}: unknown relation ${relation}`);
      } else if ((item.expr as Node | undefined)?.ast) {
        scope.sources.set(alias, {
          kind: 'derived',
          derived: select((item.expr as Node).ast as Node, visible, outer, `${where} > ${alias}`),
        });
      } else {
        unresolved.push(`${where}: cannot read the FROM item ${JSON.stringify(item).slice(0, 80)}`);
      }
      for (const s of scope.sources.values())
        if (s.kind === 'derived') merge(datasetLevel, s.derived.indirect);
      if (item.on) {
        const keys = fields();
        walk(item.on, scope, plain, keys, fields(), `${where} join`);
        indirectly(keys, 'JOIN', datasetLevel);
      }
    }

    const columns = new Map<string, Fields>();
    const order: string[] = [];
    const output = (name: string, value: Fields) => {
      if (!columns.has(name)) order.push(name);
      columns.set(name, value);
    };
    for (const column of (node.columns as Node[] | null) ?? []) {
      const expr = column.expr as Node;
      if (expr.type === 'column_ref' && columnName(expr.column) === '*') {
        const table = expr.table as string | null;
        const sources = table
          ? [[table, scope.sources.get(table)] as const]
          : [...scope.sources.entries()];
        for (const [, source] of sources) {
          if (!source) continue;
          const names =
            source.kind === 'base' ? (columnsOf(source.relation) ?? []) : source.derived.order;
          for (const name of names) output(name, resolveIn(source, name));
        }
        continue;
      }
      const name =
        (column.as as string | null) ??
        (expr.type === 'column_ref'
          ? columnName(expr.column)
          : expr.type === 'double_quote_string'
            ? String(expr.value)
            : `_col${order.length}`);
      const direct = fields();
      const indirect = fields();
      const copied = expr.type === 'column_ref' || expr.type === 'double_quote_string';
      walk(
        expr,
        scope,
        copied ? plain : { ...plain, transformed: true },
        direct,
        indirect,
        `${where} ${name}`,
      );
      merge(direct, indirect);
      output(name, direct);
    }

    const filter = fields();
    walk(node.where, scope, plain, filter, filter, `${where} where`);
    walk(node.having, scope, plain, filter, filter, `${where} having`);
    indirectly(filter, 'FILTER', datasetLevel);
    const grouped = fields();
    walk(
      (node.groupby as Node | null)?.columns,
      scope,
      plain,
      grouped,
      grouped,
      `${where} group by`,
    );
    indirectly(grouped, 'GROUP_BY', datasetLevel);
    const sorted = fields();
    walk(node.orderby, scope, plain, sorted, sorted, `${where} order by`);
    indirectly(sorted, 'SORT', datasetLevel);

    const next = node._next as Node | undefined;
    if (next) {
      const other = select(next, ctes, outer, `${where} union`);
      order.forEach((name, i) => {
        const same = other.columns.get(other.order[i] ?? '');
        if (same) merge(columns.get(name)!, same);
      });
      merge(datasetLevel, other.indirect);
    }
    return { columns, order, indirect: datasetLevel };
  }

  function resolveIn(source: Source, column: string): Fields {
    const result = fields();
    if (source.kind === 'base') add(result, source.relation, column, ['DIRECT:IDENTITY:false']);
    else merge(result, source.derived.columns.get(column) ?? fields());
    return result;
  }

  const plain: Context = { transformed: false, aggregate: false, masking: false };
  const top = select(statement, new Map(), undefined, 'select');
  const toInputs = (f: Fields): InputField[] =>
    [...f.values()]
      .map((entry) => ({
        relation: entry.relation,
        column: entry.column,
        transformations: [...entry.ways].sort().map((way) => {
          const [type, subtype, masking] = way.split(':') as [
            Transformation['type'],
            Subtype,
            string,
          ];
          return { type, subtype, masking: masking === 'true' };
        }),
      }))
      .sort((a, b) => `${a.relation}.${a.column}`.localeCompare(`${b.relation}.${b.column}`));

  const columns: Record<string, InputField[]> = {};
  for (const name of outputs) {
    const derived = top.columns.get(name);
    if (!derived) unresolved.push(`the query produces no column ${name}`);
    columns[name] = derived ? toInputs(derived) : [];
  }
  return { columns, dataset: toInputs(top.indirect), inputs: [...inputs].sort(), unresolved };
}

type Node = Record<string, unknown>;

function columnName(column: unknown): string {
  if (typeof column === 'string') return column;
  const expr = (column as { expr?: { value?: string } } | null)?.expr;
  return String(expr?.value ?? column);
}

function functionName(name: unknown): string {
  const parts = (name as { name?: { value: string }[] } | undefined)?.name ?? [];
  return parts
    .map((p) => p.value)
    .join('.')
    .toLowerCase();
}
