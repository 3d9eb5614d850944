/**
 * Runs model unit tests. Each case gets a fresh in-memory DuckDB: its inputs become tables typed
 * by their contracts, the model is built by the pipeline's own `materialize` (so an incremental
 * MERGE, a CDC delete or an SCD2 step is tested, not just the SELECT), and the table it leaves is
 * compared with the expected rows. Each model is also rendered for Athena and parsed with the
 * Trino grammar, so a passing test proves the model compiles there too.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { athenaDialect, mergeTargetsOf } from '../adapters/aws/athena-dialect';
import { DuckDbLakehouse } from '../adapters/duckdb/engine';
import { lakeSchemas, type LakeSchema } from '../core/aws-names';
import type { ContractRegistry } from '../core/contracts/contract';
import { bronzeMetadataColumns } from '../core/ingest/bronze';
import { loadSeeds } from '../core/models/layer';
import {
  changelogRelation,
  definitionDigest,
  definitionInput,
  materialize,
} from '../core/models/materialize';
import {
  hasIncrementalForm,
  type Model,
  type ModelProject,
  type Seed,
} from '../core/models/project';
import { renderModel } from '../core/models/render';
import {
  compareRows,
  formatDiff,
  isEmptyDiff,
  parseModelTests,
  testFileOf,
  type Cell,
  type ModelTests,
  type RowDiff,
  type TestCase,
  type TestInput,
  type TestRow,
} from '../core/models/unit-tests';
import type { ColumnSpec, SqlDialect, SqlEngine } from '../core/ports';

export interface CaseResult {
  readonly model: string;
  /** The test file, or the model's SQL file for the Athena check. */
  readonly file: string;
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'errored';
  readonly seconds: number;
  /** Why it failed or errored: the readable diff, or the error. */
  readonly message?: string;
  readonly diff?: RowDiff;
}

export interface ModelTestOptions {
  readonly root: string;
  readonly contracts: ContractRegistry;
  readonly project: ModelProject;
  /** The models whose tests run, in any order. */
  readonly models: readonly Model[];
  /** Called as each case ends, for progress. */
  readonly onResult?: (result: CaseResult) => void;
}

/** Runs the test files of the given models, then their Athena compile checks. */
export async function runModelTests(options: ModelTestOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const report = (result: CaseResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  for (const file of await orphanTestFiles(options.root, options.project))
    report({
      model: 'definitions',
      file,
      name: 'test file',
      status: 'errored',
      seconds: 0,
      message: `${file} tests no model: there is no ${file.replace(/\.test\.yml$/, '.sql')}`,
    });
  for (const model of options.models) {
    const file = testFileOf(model);
    if (!existsSync(path.join(options.root, file))) continue;
    let tests: ModelTests;
    try {
      tests = parseModelTests(await readFile(path.join(options.root, file), 'utf8'), file, model);
    } catch (error) {
      report({
        model: model.name,
        file,
        name: 'test file',
        status: 'errored',
        seconds: 0,
        message: messageOf(error),
      });
      continue;
    }
    for (const testCase of tests.cases) report(await runCase(tests, testCase, options));
  }
  const check = await athenaCheck(options.project);
  for (const model of options.models) report(check(model));
  return results;
}

/** Test files whose model does not exist (renamed, say): they would never run, silently. */
async function orphanTestFiles(root: string, project: ModelProject): Promise<string[]> {
  const tested = new Set(project.models.map(testFileOf));
  const files = await Promise.all(
    ['models/silver', 'models/gold'].map(async (folder) =>
      existsSync(path.join(root, folder))
        ? (await readdir(path.join(root, folder)))
            .filter((f) => f.endsWith('.test.yml'))
            .map((f) => `${folder}/${f}`)
        : [],
    ),
  );
  return files.flat().filter((f) => !tested.has(f));
}

async function runCase(
  tests: ModelTests,
  testCase: TestCase,
  options: ModelTestOptions,
): Promise<CaseResult> {
  const started = performance.now();
  const { model } = tests;
  const result = (status: CaseResult['status'], extra: Partial<CaseResult> = {}): CaseResult => ({
    model: model.name,
    file: tests.file,
    name: testCase.name,
    status,
    seconds: (performance.now() - started) / 1000,
    ...extra,
  });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'medallion-test-'));
  try {
    const engine = await DuckDbLakehouse.open({
      lakeRoot: scratch,
      threads: 1,
      memoryLimit: '256MB',
      bronze: [],
    });
    try {
      const diff = await buildAndCompare(engine, tests, testCase, options);
      return isEmptyDiff(diff)
        ? result('passed')
        : result('failed', { diff, message: formatDiff(diff) });
    } finally {
      engine.close();
    }
  } catch (error) {
    return result('errored', { message: messageOf(error) });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function buildAndCompare(
  engine: DuckDbLakehouse,
  { model }: ModelTests,
  testCase: TestCase,
  { contracts, project }: ModelTestOptions,
): Promise<RowDiff> {
  const d = engine.dialect;
  const given = (matches: (input: TestInput) => boolean) =>
    testCase.given.find((g) => matches(g.input))?.rows;

  await loadSeeds({ engine, project });
  for (const name of new Set([...model.refs, ...model.changes])) {
    const rows = given((i) => i.kind === 'ref' && i.name === name);
    if (name.startsWith('seeds.')) {
      if (!rows) continue;
      const seed = project.seeds.find((s) => s.name === name)!;
      await engine.execute(`drop table ${d.relation(name)}`);
      await createTable(engine, `given.ref('${name}')`, d.relation(name), seedColumns(seed), rows);
      continue;
    }
    const upstream = contracts.get(project.get(name).contractId);
    await createTable(
      engine,
      `given.ref('${name}')`,
      d.relation(name),
      upstream.columns,
      rows ?? [],
    );
  }
  for (const [source, dataset] of model.sources) {
    const contract = contracts.forRelation(`bronze.${source}_${dataset}`)!;
    const rows = given((i) => i.kind === 'source' && i.source === source && i.dataset === dataset);
    // Bronze's own columns: ingested on the run date, each row its own position in one file.
    const bronze = (row: TestRow, i: number): TestRow => ({
      _ingested_at: `${testCase.runDate} 00:00:00`,
      _run_id: 'test',
      _source: source,
      _source_ref: `test://${source}/${dataset}`,
      _source_row: i + 1,
      ingest_date: testCase.runDate,
      ...row,
    });
    await createTable(
      engine,
      `given.source('${source}', '${dataset}')`,
      `bronze.main.${d.quote(`${source}_${dataset}`)}`,
      [...contract.columns, ...bronzeMetadataColumns, { name: 'ingest_date', type: 'DATE' }],
      (rows ?? []).map(bronze),
    );
  }

  const contract = contracts.get(model.contractId);
  const existing = given((i) => i.kind === 'this');
  if (existing) {
    // The table an earlier run left: contract columns, provenance and the run that wrote them.
    await createTable(
      engine,
      'given.this',
      d.relation(model.name),
      [...contract.columns, ...provenanceColumns, { name: '_run_id', type: 'VARCHAR' }],
      existing.map((row) => ({ _run_id: 'earlier', ...row })),
    );
    await startFeeds(engine, model, testCase, { contracts, project });
  } else {
    const feed = testCase.given.find((g) => g.input.kind === 'changes');
    if (feed)
      throw new Error(
        `given.${feed.key}: a change feed is read by an incremental run only; give this (the table before the run) too, or leave the feed out: a first build reads every key of the upstream model`,
      );
  }

  await materialize(
    model,
    {
      engine,
      contracts,
      project,
      runId: 'test',
      runDate: testCase.runDate,
      snapshotAt: `${testCase.runDate}T23:59:59.999Z`,
      privacyKeys: { key: () => Promise.resolve(new Uint8Array(32)) },
    },
    () => new Date(0),
  );

  const target = d.relation(model.name);
  const built = await engine.describe(`select * from ${target}`);
  let expected: TestRow[];
  let columns: string[];
  if (testCase.expectSql !== undefined) {
    columns = (await engine.describe(`(${testCase.expectSql})`)).map((c) => c.name);
    const type = new Map(built.map((c) => [c.name, c.type]));
    // Cast to the model's types, so `0.90` (a DECIMAL) equals the model's DOUBLE 0.9.
    const cast = (c: string) =>
      type.has(c) ? `cast(e.${d.quote(c)} as ${type.get(c)}) as ${d.quote(c)}` : `e.${d.quote(c)}`;
    expected = await engine.query<TestRow>(
      `select ${columns.map(cast).join(', ')} from (${testCase.expectSql}) e`,
    );
  } else {
    columns = [...new Set(testCase.expect!.flatMap((r) => Object.keys(r)))];
    const unknown = columns.filter((c) => !built.some((b) => b.name === c));
    if (unknown.length > 0)
      throw new Error(
        `expect names ${unknown.join(', ')}, which ${model.name} does not have (columns: ${built.map((c) => c.name).join(', ')})`,
      );
    // The expected rows go through the same casts as the model's, so `2026-03-01` equals a DATE.
    const typed = columns.map((c) => built.find((b) => b.name === c)!);
    await createTable(engine, 'expect', 'expected_rows', typed, testCase.expect!);
    expected = await engine.query<TestRow>(
      `select ${columns.map((c) => d.quote(c)).join(', ')} from expected_rows`,
    );
  }
  const actual = await engine.query<TestRow>(
    `select ${columns.map((c) => d.quote(c)).join(', ')} from ${target}`,
  );
  return compareRows(expected, actual, columns, contract.primaryKey);
}

/** Provenance a model's table keeps from bronze. */
const provenanceColumns = bronzeMetadataColumns.filter((c) =>
  ['_ingested_at', '_source_ref', '_source_row'].includes(c.name),
);

/** Seeds are text, as `loadSeeds` writes them. */
function seedColumns(seed: Seed): ColumnSpec[] {
  return seed.columns.map((c) => ({ name: c, type: 'VARCHAR' }));
}

/**
 * For an incremental run: the change feeds the model reads, holding the given entries as the one
 * batch since the model last read them; and the model's own feed, which the run appends to.
 */
async function startFeeds(
  engine: SqlEngine,
  model: Model,
  testCase: TestCase,
  { contracts, project }: Pick<ModelTestOptions, 'contracts' | 'project'>,
): Promise<void> {
  const d = engine.dialect;
  const feedColumns = (of: Model): ColumnSpec[] => {
    const contract = contracts.get(of.contractId);
    return [
      ...[...of.config.unique_key!, ...(of.config.feed_columns ?? [])].map((k) => ({
        name: k,
        type: contract.column(k)!.physicalType,
      })),
      { name: '_change_type', type: 'VARCHAR' },
      { name: '_changed_at', type: 'TIMESTAMP' },
      { name: '_seq', type: 'BIGINT' },
      { name: '_run_id', type: 'VARCHAR' },
    ];
  };
  /** A watermark as an earlier run of the model saved it. */
  const saveWatermark = (input: string, value: string) =>
    engine.execute(
      `insert into ${d.relation('audit.model_state')} (model, input, watermark, run_id, updated_at) values (${d.string(model.name)}, ${d.string(input)}, ${d.string(value)}, 'earlier', ${d.timestamp(`${testCase.runDate}T00:00:00.000Z`)})`,
    );
  for (const name of model.changes) {
    const rows =
      testCase.given.find((g) => g.input.kind === 'changes' && g.input.name === name)?.rows ?? [];
    await createTable(
      engine,
      `given.changes('${name}')`,
      d.relation(changelogRelation(name)),
      feedColumns(project.get(name)),
      rows.map((row) => ({ _change_type: 'upsert', _seq: 1, _run_id: 'upstream', ...row })),
    );
    // The model last read the feed before its first entry.
    await saveWatermark(`changes:${name}`, '0');
  }
  // A table model rebuilds from `this` only if the model as it is now built it.
  if (model.config.materialization === 'table')
    await saveWatermark(definitionInput, definitionDigest(model));
  if (model.config.materialization === 'incremental')
    await createTable(
      engine,
      'this',
      d.relation(changelogRelation(model.name)),
      feedColumns(model),
      [],
    );
}

/** Creates `relation` with the columns' types and inserts the rows; a cell not given is NULL. */
async function createTable(
  engine: SqlEngine,
  label: string,
  relation: string,
  columns: readonly ColumnSpec[],
  rows: readonly TestRow[],
): Promise<void> {
  const d = engine.dialect;
  const names = new Set(columns.map((c) => c.name));
  rows.forEach((row, i) => {
    const unknown = Object.keys(row).filter((c) => !names.has(c));
    if (unknown.length > 0)
      throw new Error(
        `${label}: row ${i + 1} names ${unknown.join(', ')}, not a column of the input (columns: ${columns.map((c) => c.name).join(', ')})`,
      );
  });
  await engine.execute(
    `create table ${relation} (${columns.map((c) => `${d.quote(c.name)} ${d.columnType(c.type)}`).join(', ')})`,
  );
  for (const [i, row] of rows.entries()) {
    const given = Object.keys(row);
    if (given.length === 0) continue;
    try {
      await engine.execute(
        `insert into ${relation} (${given.map((c) => d.quote(c)).join(', ')}) values (${given.map((c) => literal(row[c]!, d)).join(', ')})`,
      );
    } catch (error) {
      throw new Error(`${label}: row ${i + 1}: ${messageOf(error)}`, { cause: error });
    }
  }
}

function literal(value: Cell, d: SqlDialect): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return d.string(value);
  return String(value);
}

/**
 * Renders each model for Athena, as a first build and as an incremental run, and parses the SQL
 * with the Trino grammar Athena's engine v3 speaks. The relation names are made up: they do not
 * change the grammar.
 */
async function athenaCheck(project: ModelProject): Promise<(model: Model) => CaseResult> {
  // Loaded on demand: the grammar is large and only this command needs it.
  const { TrinoSQL } = await import('dt-sql-parser');
  const trino = new TrinoSQL();
  const dialect = athenaDialect({
    project: 'medallion',
    env: 'test',
    locations: Object.fromEntries(
      lakeSchemas.map((s) => [s, `s3://medallion-test-${s}/tables/`]),
    ) as Record<LakeSchema, string>,
    mergeTargets: mergeTargetsOf(project),
  });
  return (model) => {
    const started = performance.now();
    const problems: string[] = [];
    const runs = hasIncrementalForm(model) ? [false, true] : [false];
    try {
      for (const incremental of runs) {
        const { sql } = renderModel(model, dialect, {
          incremental,
          runDate: '2026-01-01',
          source: (source, dataset) => dialect.relation(`bronze.${source}_${dataset}`),
          changes: (name) => dialect.relation(changelogRelation(name)),
        });
        // The first error only: the parser's later ones follow from it.
        const [e] = trino.validate(sql);
        if (!e) continue;
        const problem = `line ${e.startLine} of the rendered SQL, column ${e.startColumn}: ${e.message}\n    ${sql.split('\n')[e.startLine - 1]?.trim() ?? ''}`;
        if (!problems.some((p) => p.endsWith(problem)))
          problems.push(`${incremental ? 'incremental run' : 'first build'}, ${problem}`);
      }
    } catch (error) {
      problems.push(messageOf(error));
    }
    return {
      model: model.name,
      file: model.sqlPath,
      name: 'compiles for Athena (Trino grammar)',
      status: problems.length === 0 ? 'passed' : 'failed',
      seconds: (performance.now() - started) / 1000,
      ...(problems.length > 0
        ? { message: `${model.sqlPath} does not parse as Athena SQL:\n${problems.join('\n')}` }
        : {}),
    };
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
