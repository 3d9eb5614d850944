/**
 * Model unit tests: `models/<layer>/<model>.test.yml` holds named cases, each a few input rows
 * (`given`), the run's variables and the rows the model must produce (`expect` or `expect_sql`).
 * This module parses the files and compares rows; running a case needs an engine (see
 * `lambdas/runtime/model-tests.ts`).
 */
import * as z from 'zod';
import { ConfigError } from '../errors';
import { parseYamlWith } from '../validation';
import { hasIncrementalForm, type Model } from './project';

/** A cell as YAML writes it; typed by the column it lands in, not by how YAML read it. */
export type Cell = string | number | boolean | null;
export type TestRow = Readonly<Record<string, Cell>>;

/** What a `given` key stands for. `this` is the model's own table before the run. */
export type TestInput =
  | { readonly kind: 'this' }
  | { readonly kind: 'ref'; readonly name: string }
  | { readonly kind: 'source'; readonly source: string; readonly dataset: string }
  | { readonly kind: 'changes'; readonly name: string };

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const rows = z.array(z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a column name'), cell));

const caseSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    vars: z
      .strictObject({
        /** `run_date()` in the template, and the day the given bronze rows were ingested. */
        run_date: z.iso.date().default('2026-01-01'),
      })
      .prefault({}),
    /** Rows per input, keyed `ref('silver.x')`, `source('crm', 'accounts')`, `changes('silver.x')` or `this`. */
    given: z.record(z.string(), rows).default({}),
    /** The model's rows after the run; only the columns named here are compared. */
    expect: rows.optional(),
    /** A query whose rows are the expected ones, run on the inputs and the built model. */
    expect_sql: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.expect === undefined) === (c.expect_sql === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['expect'],
        message: 'either expect (rows) or expect_sql (a query), not both',
        input: undefined,
      });
    for (const key of Object.keys(c.given)) {
      if (!parseInputKey(key))
        ctx.addIssue({
          code: 'custom',
          path: ['given', key],
          message: `an input: this, ref('layer.name'), source('source', 'dataset') or changes('layer.name')`,
          input: key,
        });
    }
  });

const fileSchema = z.strictObject({ cases: z.array(caseSchema).min(1) }).superRefine((f, ctx) => {
  const seen = new Set<string>();
  f.cases.forEach((c, i) => {
    if (seen.has(c.name))
      ctx.addIssue({
        code: 'custom',
        path: ['cases', i, 'name'],
        message: 'a name no other case of the file has',
        input: c.name,
      });
    seen.add(c.name);
  });
});

export interface TestCase {
  readonly name: string;
  readonly runDate: string;
  readonly given: readonly { readonly input: TestInput; readonly key: string; rows: TestRow[] }[];
  readonly expect?: readonly TestRow[];
  readonly expectSql?: string;
}

export interface ModelTests {
  /** `models/gold/dim_customer.test.yml` */
  readonly file: string;
  readonly model: Model;
  readonly cases: readonly TestCase[];
}

/** The test file of a model: `models/silver/orders.sql` → `models/silver/orders.test.yml`. */
export function testFileOf(model: Model): string {
  return model.sqlPath.replace(/\.sql$/, '.test.yml');
}

/**
 * Parses a model's test file. Every input a case gives must be one the model reads (or `this`,
 * for incremental and scd2 models); a problem names the file and the path in it.
 */
export function parseModelTests(text: string, file: string, model: Model): ModelTests {
  const parsed = parseYamlWith(fileSchema, text, file);
  const problems: { path: string; expected: string; found: string }[] = [];
  const cases = parsed.cases.map((c, i): TestCase => {
    const given = Object.entries(c.given).map(([key, rows]) => {
      const input = parseInputKey(key)!;
      const problem = inputProblem(input, model);
      if (problem)
        problems.push({ path: `cases.${i}.given.${key}`, expected: problem, found: key });
      return { input, key, rows };
    });
    return {
      name: c.name,
      runDate: c.vars.run_date,
      given,
      ...(c.expect ? { expect: c.expect } : {}),
      ...(c.expect_sql ? { expectSql: c.expect_sql } : {}),
    };
  });
  if (problems.length > 0) throw new ConfigError(file, problems);
  return { file, model, cases };
}

const quoted = `\\s*['"]([a-z_][a-z0-9_]*(?:\\.[a-z_][a-z0-9_]*)?)['"]\\s*`;
const inputPatterns = {
  ref: new RegExp(`^ref\\(${quoted}\\)$`),
  changes: new RegExp(`^changes\\(${quoted}\\)$`),
  source: new RegExp(`^source\\(${quoted},${quoted}\\)$`),
};

/** `ref('silver.x')` → `{ kind: 'ref', name: 'silver.x' }`; undefined when it is no input. */
export function parseInputKey(key: string): TestInput | undefined {
  const text = key.trim();
  if (text === 'this') return { kind: 'this' };
  const ref = inputPatterns.ref.exec(text);
  if (ref) return { kind: 'ref', name: ref[1]! };
  const changes = inputPatterns.changes.exec(text);
  if (changes) return { kind: 'changes', name: changes[1]! };
  const source = inputPatterns.source.exec(text);
  if (source) return { kind: 'source', source: source[1]!, dataset: source[2]! };
  return undefined;
}

function inputProblem(input: TestInput, model: Model): string | undefined {
  const reads = [
    ...model.refs.map((r) => `ref('${r}')`),
    ...model.sources.map(([s, d]) => `source('${s}', '${d}')`),
    ...model.changes.map((c) => `changes('${c}')`),
  ];
  const known = `an input ${model.name} reads (${reads.join(', ')}${hasIncrementalForm(model) ? ', this' : ''})`;
  switch (input.kind) {
    case 'this':
      return hasIncrementalForm(model)
        ? undefined
        : `an input of ${model.name}: this (the table before the run) only exists for incremental and scd2 models, and table models that ask is_incremental()`;
    case 'ref':
      return model.refs.includes(input.name) ? undefined : known;
    case 'changes':
      return model.changes.includes(input.name) ? undefined : known;
    case 'source':
      return model.sources.some(([s, d]) => s === input.source && d === input.dataset)
        ? undefined
        : known;
  }
}

/** A changed cell of a row matched on its key. */
export interface CellChange {
  readonly column: string;
  readonly expected: Cell;
  readonly actual: Cell;
}

export interface RowDiff {
  /** Expected rows the model did not return. */
  readonly missing: readonly TestRow[];
  /** Rows the model returned that were not expected. */
  readonly unexpected: readonly TestRow[];
  /** Rows expected and returned under the same key, with the cells that differ. */
  readonly changed: readonly { readonly key: TestRow; readonly cells: readonly CellChange[] }[];
}

/**
 * Compares two multisets of rows over `columns`: order does not matter, a duplicate must be
 * returned as many times as it is expected. Both sides must already hold values of the same
 * types (the runner casts the expected rows to the model's column types), so cells compare as
 * text. A missing and an unexpected row that share their `key` (all of it among `columns`) are
 * reported as one changed row with its differing cells, which reads far better than two rows.
 */
export function compareRows(
  expected: readonly TestRow[],
  actual: readonly TestRow[],
  columns: readonly string[],
  key: readonly string[] = [],
): RowDiff {
  const text = (row: TestRow) => JSON.stringify(columns.map((c) => canonical(row[c])));
  const unmatched = new Map<string, TestRow[]>();
  for (const row of actual) {
    const t = text(row);
    unmatched.set(t, [...(unmatched.get(t) ?? []), row]);
  }
  const missing: TestRow[] = [];
  for (const row of expected) {
    const same = unmatched.get(text(row));
    if (same && same.length > 0) same.pop();
    else missing.push(row);
  }
  let unexpected = [...unmatched.values()].flat();
  const keyed = key.length > 0 && key.every((k) => columns.includes(k));
  if (!keyed)
    return {
      missing: pick(missing, columns),
      unexpected: pick(unexpected, columns),
      changed: [],
    };
  const keyText = (row: TestRow) => JSON.stringify(key.map((k) => canonical(row[k])));
  const changed: RowDiff['changed'][number][] = [];
  const stillMissing: TestRow[] = [];
  for (const row of missing) {
    const k = keyText(row);
    const partners = unexpected.filter((u) => keyText(u) === k);
    const rivals = missing.filter((m) => keyText(m) === k);
    if (partners.length === 1 && rivals.length === 1) {
      const other = partners[0]!;
      unexpected = unexpected.filter((u) => u !== other);
      changed.push({
        key: Object.fromEntries(key.map((c) => [c, row[c] ?? null])),
        cells: columns
          .filter((c) => canonical(row[c]) !== canonical(other[c]))
          .map((c) => ({ column: c, expected: row[c] ?? null, actual: other[c] ?? null })),
      });
    } else stillMissing.push(row);
  }
  return {
    missing: pick(stillMissing, columns),
    unexpected: pick(unexpected, columns),
    changed,
  };
}

export function isEmptyDiff(diff: RowDiff): boolean {
  return diff.missing.length + diff.unexpected.length + diff.changed.length === 0;
}

/** The diff as a reader scans it: `-` missing, `+` unexpected, `~` changed cells. */
export function formatDiff(diff: RowDiff): string {
  const lines = [
    `${diff.changed.length} changed, ${diff.missing.length} missing, ${diff.unexpected.length} unexpected row(s)`,
  ];
  if (diff.changed.length > 0) {
    lines.push(`changed rows (${diff.changed.length}):`);
    for (const { key, cells } of diff.changed)
      lines.push(
        `  ~ ${formatRow(key)}: ${cells.map((c) => `${c.column}: ${show(c.expected)} → ${show(c.actual)}`).join(', ')}`,
      );
  }
  if (diff.missing.length > 0) {
    lines.push(`missing rows, expected but not returned (${diff.missing.length}):`);
    for (const row of diff.missing) lines.push(`  - ${formatRow(row)}`);
  }
  if (diff.unexpected.length > 0) {
    lines.push(`unexpected rows, returned but not expected (${diff.unexpected.length}):`);
    for (const row of diff.unexpected) lines.push(`  + ${formatRow(row)}`);
  }
  return lines.join('\n');
}

function formatRow(row: TestRow): string {
  return `{ ${Object.entries(row)
    .map(([c, v]) => `${c}: ${show(v)}`)
    .join(', ')} }`;
}

function show(value: Cell | undefined): string {
  if (value === null || value === undefined) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** One text per value: NULL apart from the text 'null', numbers as JavaScript prints them. */
function canonical(value: Cell | undefined): string {
  return value === null || value === undefined ? '\u0000null' : String(value);
}

function pick(rows: readonly TestRow[], columns: readonly string[]): TestRow[] {
  return rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
}
