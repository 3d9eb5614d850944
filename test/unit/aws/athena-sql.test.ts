/**
 * Everything the pipeline sends to Athena must parse with a Trino grammar: the models rendered
 * with the Athena dialect, and every statement the real materializations issue when silver and
 * gold run (first build and incremental run) on the real AthenaEngine, whose Athena and Glue are
 * simulated just enough to answer plausibly.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type ColumnInfo,
  type GetQueryExecutionInput,
  type GetQueryResultsInput,
  type GetQueryResultsOutput,
  type StartQueryExecutionInput,
} from '@aws-sdk/client-athena';
import {
  EntityNotFoundException,
  GetTableCommand,
  GlueClient,
  type GetTableRequest,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { HiveSQL, TrinoSQL } from 'dt-sql-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { athenaDialect, mergeTargetsOf } from '../../../lambdas/adapters/aws/athena-dialect';
import { AthenaEngine } from '../../../lambdas/adapters/aws/athena-engine';
import { loadProject, type Project } from '../../../lambdas/definitions/project-files';
import { bronzeMetadataColumns } from '../../../lambdas/core/ingest/bronze';
import { buildLayer } from '../../helpers/layers';
import { hasIncrementalForm, type Model } from '../../../lambdas/core/models/project';
import { renderModel } from '../../../lambdas/core/models/render';
import { inputPlan } from '../../../lambdas/core/models/materialize';
import { lakeSchemas, type LakeSchema } from '../../../lambdas/core/aws-names';
import type { ColumnSpec, Row, SqlDialect } from '../../../lambdas/core/ports';
import { RunHistory } from '../../../lambdas/core/runs';
import type { DatasetStats } from '../../../lambdas/core/stats';
import { projectRoot } from '../../../lambdas/definitions/project-root';
import { ManualClock } from '../../helpers/clock';
import { memoryLineage } from '../../helpers/lineage';

const trino = new TrinoSQL();
const hive = new HiveSQL();
const locations = Object.fromEntries(
  lakeSchemas.map((s) => [s, `s3://medallion-dev-${s}/tables/`]),
) as Record<LakeSchema, string>;

/** Athena parses DDL (DROP TABLE, ALTER TABLE) as Hive, everything else as Trino. */
function syntaxErrors(sql: string): string[] {
  const parser = /^(drop|alter) table/i.test(sql) ? hive : trino;
  return parser.validate(sql).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`);
}

/** Every distinct statement that does not parse, with its errors. */
function unparsable(statements: readonly string[]): string[] {
  const failures: string[] = [];
  for (const sql of new Set(statements)) {
    const errors = syntaxErrors(sql);
    if (errors.length > 0) failures.push(`${errors.join('\n')}\n--- in:\n${sql}`);
  }
  return failures;
}

let project: Project;
let dialect: SqlDialect;

beforeAll(async () => {
  project = await loadProject({ root: projectRoot });
  dialect = athenaDialect({
    project: 'medallion',
    env: 'dev',
    locations,
    mergeTargets: mergeTargetsOf(project.models),
  });
});

describe('the Athena dialect', () => {
  it('names relations after their Glue database and maps portable types', () => {
    expect(dialect.relation('silver.orders')).toBe('"medallion_dev_silver"."orders"');
    expect(dialect.relation('bronze.kafka_order_events')).toBe(
      '"medallion_dev_bronze"."kafka_order_events"',
    );
    const types = {
      BIGINT: 'bigint',
      INTEGER: 'integer',
      DOUBLE: 'double',
      BOOLEAN: 'boolean',
      DATE: 'date',
      VARCHAR: 'varchar',
      'DECIMAL(12,2)': 'decimal(12, 2)',
      TIMESTAMP: 'timestamp(6)',
    };
    for (const [portable, athena] of Object.entries(types)) {
      expect(dialect.columnType(portable)).toBe(athena);
    }
    expect(dialect.tryCast('x', 'decimal(18,2)')).toBe('try_cast(x as decimal(18, 2))');
    expect(() => dialect.columnType('TINYINT')).toThrow(/no Athena type for TINYINT/);
    expect(() => dialect.relation('platinum.orders')).toThrow(
      /platinum.orders is not a lake relation/,
    );
  });

  it('spells the model macros in Trino', () => {
    expect(dialect.regexMatches('"email"', '^[a-z]+$')).toBe(
      `regexp_like("email", '\\A(?:^[a-z]+$)\\z')`,
    );
    expect(dialect.parseIsoTimestamp('t')).toBe(
      `try_cast(replace(regexp_replace(t, '(?:Z|[+-]00:?00)$', ''), 'T', ' ') as timestamp(6))`,
    );
    expect(dialect.jsonText('value', '$.id')).toBe(
      `case when (try(json_parse(value)) is not null) then coalesce(json_extract_scalar(value, '$.id'), nullif(json_format(json_extract(value, '$.id')), 'null')) end`,
    );
    expect(dialect.dateSpine('a', 'b')).toBe(
      `(select date_day from unnest(case when cast(a as date) <= cast(b as date) then sequence(cast(a as date), cast(b as date), interval '1' day) end) as spine(date_day))`,
    );
    expect(dialect.isoDayOfWeek('d')).toBe('day_of_week(d)');
  });

  it('writes literals at the precision Iceberg stores', () => {
    expect(dialect.timestamp('2026-01-02T03:00:00.123Z')).toBe(
      "timestamp '2026-01-02 03:00:00.123000'",
    );
    expect(dialect.timestamp('2026-01-02T03:00:00Z')).toBe(
      "timestamp '2026-01-02 03:00:00.000000'",
    );
    expect(dialect.date('2026-01-02')).toBe("date '2026-01-02'");
    expect(dialect.string("O'Brien")).toBe("'O''Brien'");
    expect(() => dialect.timestamp('yesterday')).toThrow(
      /yesterday is not an ISO-8601 UTC instant/,
    );
  });

  it('replaces a table model through a view over a new Iceberg version', () => {
    const [build, swap, ...rest] = dialect.createOrReplaceTableAs(
      '"medallion_dev_gold"."dim_date"',
      'select 1 as x',
    );
    expect(rest).toEqual([]);
    const version =
      /^create table ("medallion_dev_gold"\."dim_date__v(\d{17}_[0-9a-f]{8})") with \(table_type = 'ICEBERG', is_external = false, location = 's3:\/\/medallion-dev-gold\/tables\/dim_date\/(\d{17}_[0-9a-f]{8})\/'\) as select 1 as x$/.exec(
        build!,
      );
    expect(version, build).not.toBeNull();
    expect(version![3]).toBe(version![2]);
    expect(swap).toBe(
      `create or replace view "medallion_dev_gold"."dim_date" as select * from ${version![1]}`,
    );
  });

  it('builds a MERGE target as a plain Iceberg table, each CTAS at a location of its own', () => {
    const first = dialect.createOrReplaceTableAs(
      '"medallion_dev_silver"."orders"',
      'select 1 as x',
    );
    const again = dialect.createOrReplaceTableAs(
      '"medallion_dev_silver"."orders"',
      'select 1 as x',
    );
    expect(first).toEqual([
      expect.stringMatching(
        /^create table "medallion_dev_silver"\."orders" with \(table_type = 'ICEBERG', is_external = false, location = 's3:\/\/medallion-dev-silver\/tables\/orders\/\d{17}_[0-9a-f]{8}\/'\) as select 1 as x$/,
      ),
    ]);
    expect(again[0]).not.toBe(first[0]);
  });

  it('stages scratch tables under a fresh name in the scratch database', () => {
    const staged = dialect.stagingRelation('silver_orders');
    expect(staged).toMatch(/^"medallion_dev_scratch"\."silver_orders__\d{17}_[0-9a-f]{8}"$/);
    expect(dialect.stagingRelation('silver_orders')).not.toBe(staged);
    const table = staged.split('.')[1]!.replaceAll('"', '');
    expect(dialect.createStagingTable(staged, 'select 1 as x')).toBe(
      `create table ${staged} with (table_type = 'ICEBERG', is_external = false, location = 's3://medallion-dev-scratch/tables/${table}/') as select 1 as x`,
    );
    const drop = dialect.dropTable(staged);
    expect(drop).toBe(`drop table if exists \`medallion_dev_scratch\`.\`${table}\``);
    expect(syntaxErrors(drop)).toEqual([]);
    // Hive DDL refuses the double quotes every other statement uses.
    expect(hive.validate(`drop table if exists ${staged}`)).not.toEqual([]);
  });
});

describe('rendered models', () => {
  /** The inputs a run gives a model: bronze windows and change-feed slices, first build or incremental. */
  const inputs = (model: Model, incremental: boolean) =>
    inputPlan(model, project.models, dialect, {
      incremental,
      previous: new Map(
        incremental
          ? [
              ...model.sources.map(([s, d]): [string, string] => [
                `source:${s}.${d}`,
                '2026-01-01T03:00:00.000Z',
              ]),
              ...model.changes.map((m): [string, string] => [`changes:${m}`, '3']),
            ]
          : [],
      ),
      latestSeq: new Map(model.changes.map((m) => [m, 7])),
      snapshotAt: '2026-01-02T03:00:00.000Z',
      runDate: '2026-01-02',
    });

  it('parse with the Trino grammar, first build and incremental', () => {
    const rendered = project.models.models.flatMap((model) =>
      [false, true].map(
        (incremental) => renderModel(model, dialect, inputs(model, incremental)).sql,
      ),
    );
    expect(rendered).toHaveLength(project.models.models.length * 2);
    expect(unparsable(rendered)).toEqual([]);
  });
});

describe('statements the materializations send to Athena', () => {
  it('parse with the Trino grammar, for a first build and an incremental run of silver and gold', async () => {
    const lake = new SimulatedLake(project);
    const engine = new AthenaEngine(
      new AthenaClient({ region: 'eu-west-1' }),
      new GlueClient({ region: 'eu-west-1' }),
      {
        workgroup: 'medallion-dev-engineering',
        project: 'medallion',
        env: 'dev',
        locations,
        mergeTargets: mergeTargetsOf(project.models),
        clock: new ManualClock(),
      },
    );
    lake.attach();
    const clock = new ManualClock(new Date('2026-01-01T03:00:00.000Z'));
    const deps = {
      engine,
      contracts: project.contracts,
      project: project.models,
      clock,
      logger: { info: lake.follow, warn: () => {} },
      lineage: memoryLineage(project.contracts).lineage,
    };
    const history = new RunHistory(engine);

    const perRun: number[] = [];
    const perModel = new Map<string, number[]>();
    const measured = async (model: string, build: () => Promise<DatasetStats>) => {
      const before = lake.statements.length;
      const stats = await build();
      perModel.set(model, [...(perModel.get(model) ?? []), lake.statements.length - before]);
      return stats;
    };
    for (const [runId, runDate] of [
      ['run-1', '2026-01-01'],
      ['run-2', '2026-01-02'],
    ] as const) {
      const run = {
        runId,
        job: 'daily',
        env: 'dev',
        runDate,
        startedAt: clock.now().toISOString(),
      };
      await history.started({ ...run, status: 'running' });
      const steps = [
        ...(await buildLayer(deps, { layer: 'silver', runId, runDate }, measured)),
        ...(await buildLayer(deps, { layer: 'gold', runId, runDate }, measured)),
      ].map((s) => ({ ...s, step: 'transform' }));
      await history.finished(
        { ...run, status: 'succeeded', endedAt: clock.now().toISOString(), seconds: 1.5 },
        steps,
      );
      await clock.sleep(86_400_000);
      perRun.push(lake.statements.length - perRun.reduce((a, b) => a + b, 0));
    }
    await history.latest(10);
    await history.steps('run-2');
    await history.succeededDates('daily');

    const sent = lake.statements;
    const kinds = [
      /^create table "medallion_dev_silver"\."orders" with \(table_type = 'ICEBERG'/,
      /^create table "medallion_dev_gold"\."customer_360__v\d+_[0-9a-f]+" with/,
      /^create or replace view "medallion_dev_seeds"\."countries" as select \* from/,
      /^create table "medallion_dev_scratch"\."silver_orders__\d+_[0-9a-f]+" with/,
      /^create table "medallion_dev_scratch"\."silver_orders_superseded_rows__/,
      /^drop table if exists `medallion_dev_scratch`\.`silver_orders__/,
      /^create table "medallion_dev_quarantine"\."orders" with/,
      /^insert into "medallion_dev_quarantine"\."orders" \(/,
      /^create table "medallion_dev_changelog"\."silver_orders" with/,
      /^insert into "medallion_dev_changelog"\."silver_orders" \(/,
      /^merge into "medallion_dev_silver"\."orders" t using/,
      /^merge into "medallion_dev_gold"\."fact_orders" t using/,
      /^merge into "medallion_dev_gold"\."dim_customer" t using/,
      /^insert into "medallion_dev_gold"\."dim_customer" \(/,
      /^merge into "medallion_dev_audit"\."model_state" t\s+using \(select \* from \(values \('silver\.orders'/,
      /^select \* from \(.*\) described limit 0$/s,
      /^merge into "medallion_dev_audit"\."runs" t using \(select 'run-1' as run_id/,
      /^delete from "medallion_dev_audit"\."run_datasets" where run_id = 'run-2'$/,
      /^insert into "medallion_dev_audit"\."run_datasets"/,
    ];
    for (const kind of kinds)
      expect(
        sent.some((s) => kind.test(s)),
        String(kind),
      ).toBe(true);
    // Each statement is an Athena query of a second or more: the first build, then an incremental
    // run of both layers (and their run history). A change here changes what every run costs.
    // By kind of model (what decides the statements), then the run history's own; a model of a
    // kind not listed here (a project's own) is only required to have been built in both runs.
    const kind = (m: Model) =>
      [
        m.config.materialization,
        m.config.quarantine ? 'quarantine' : '',
        m.config.latest_by ? 'latest_by' : '',
        m.config.feed_columns ? 'feed_columns' : '',
        m.config.materialization === 'table' && hasIncrementalForm(m) ? 'from itself' : '',
      ]
        .filter(Boolean)
        .join(' ');
    const costs: Record<string, number[]> = {
      table: [4, 4],
      // The feed's columns are checked, and the values a run replaces fed, before its MERGE.
      'incremental feed_columns': [8, 16],
      // The change feed's end, then the watermark saved with the new version.
      'table from itself': [6, 7],
      'incremental quarantine latest_by': [15, 16],
      scd2: [6, 13],
    };
    const seen = new Set<string>();
    for (const model of project.models.models) {
      const statements = perModel.get(model.name);
      if (kind(model) in costs) {
        expect(statements, `${model.name} (${kind(model)})`).toEqual(costs[kind(model)]);
        seen.add(kind(model));
      } else expect(statements, model.name).toHaveLength(2);
    }
    expect([...seen].sort()).toEqual(Object.keys(costs).sort());
    const byModels = [0, 1].map((i) => [...perModel.values()].reduce((n, s) => n + s[i]!, 0));
    expect(perRun.map((n, i) => n - byModels[i]!)).toEqual([8, 8]);
    expect(unparsable(sent)).toEqual([]);
  });
});

/** What the simulated Athena answers for one query execution. */
interface Outcome {
  readonly statementType: 'DDL' | 'DML';
  readonly substatementType: string;
  readonly updateCount?: number;
  readonly columns?: readonly string[];
  /** Portable types of the columns, for a described SELECT: Athena reports its result's types. */
  readonly types?: ReadonlyMap<string, string>;
  readonly rows?: readonly Row[];
}

/**
 * Athena and Glue for the materializations, behind aws-sdk-client-mock: records every statement,
 * keeps a catalog of the tables and views created so far (so the second run is incremental), and
 * answers each query the materializations make with rows that keep their reconciliation checks
 * satisfied. A query it does not recognise fails the test, naming the query.
 */
class SimulatedLake {
  readonly statements: string[] = [];
  private readonly catalog = new Set<string>();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly rowCounts = new Map<string, number>();
  private readonly pendingChange = new Map<string, number>();
  private model: Model | undefined;
  private quarantined = 0;

  constructor(private readonly project: Project) {
    for (const table of ['runs', 'run_datasets', 'model_state'])
      this.catalog.add(`"medallion_dev_audit"."${table}"`);
    for (const contract of project.contracts.all().filter((c) => c.layer === 'bronze')) {
      this.catalog.add(dialect.relation(contract.relation));
    }
  }

  /** The logger buildModel reports to: `building <model>` says which model the next queries serve. */
  readonly follow = (_: string, fields?: Record<string, unknown>) => {
    if (typeof fields?.['model'] === 'string')
      this.model = this.project.models.get(fields['model']);
  };

  attach(): void {
    const athena = mockClient(AthenaClient);
    const glue = mockClient(GlueClient);
    athena.on(StartQueryExecutionCommand).callsFake((input: StartQueryExecutionInput) => {
      const id = `q-${this.statements.length}`;
      this.outcomes.set(id, this.run(input.QueryString!));
      return { QueryExecutionId: id };
    });
    athena.on(GetQueryExecutionCommand).callsFake((input: GetQueryExecutionInput) => {
      const outcome = this.outcomes.get(input.QueryExecutionId!)!;
      return {
        QueryExecution: {
          QueryExecutionId: input.QueryExecutionId,
          Status: { State: 'SUCCEEDED' },
          StatementType: outcome.statementType,
          SubstatementType: outcome.substatementType,
        },
      };
    });
    athena
      .on(GetQueryResultsCommand)
      .callsFake((input: GetQueryResultsInput) =>
        resultPage(this.outcomes.get(input.QueryExecutionId!)!),
      );
    glue.on(GetTableCommand).callsFake((input: GetTableRequest) => {
      const relation = `"${input.DatabaseName}"."${input.Name}"`;
      if (this.catalog.has(relation)) return { Table: { Name: input.Name } };
      throw new EntityNotFoundException({ $metadata: {}, message: `${relation} not found` });
    });
  }

  private run(sql: string): Outcome {
    this.statements.push(sql);
    const dropped = /^drop table if exists `([^`]+)`\.`([^`]+)`/.exec(sql);
    const target = dropped
      ? `"${dropped[1]}"."${dropped[2]}"`
      : (/^(?:create table|create or replace view|merge into|insert into|delete from|update) ("[^"]+"\."[^"]+")/.exec(
          sql,
        )?.[1] ?? '');
    if (sql.startsWith('create table')) {
      this.catalog.add(target);
      this.rowCounts.set(target, 100);
      return { statementType: 'DML', substatementType: 'CREATE_TABLE_AS_SELECT', updateCount: 100 };
    }
    if (sql.startsWith('create or replace view')) {
      this.catalog.add(target);
      this.rowCounts.set(target, this.rowCounts.get(/from ("[^"]+"\."[^"]+")$/.exec(sql)![1]!)!);
      return { statementType: 'DDL', substatementType: 'CREATE_VIEW' };
    }
    if (sql.startsWith('drop table')) {
      this.catalog.delete(target);
      return { statementType: 'DDL', substatementType: 'DROP_TABLE' };
    }
    if (sql.startsWith('merge into')) {
      this.rowCounts.set(target, this.count(target) + (this.pendingChange.get(target) ?? 0));
      this.pendingChange.delete(target);
      return { statementType: 'DML', substatementType: 'MERGE', updateCount: 90 };
    }
    if (sql.startsWith('insert into')) {
      if (target.startsWith('"medallion_dev_quarantine"')) {
        return { statementType: 'DML', substatementType: 'INSERT', updateCount: this.quarantined };
      }
      if (this.model && target === dialect.relation(this.model.name)) {
        this.rowCounts.set(target, this.count(target) + 10);
        return { statementType: 'DML', substatementType: 'INSERT', updateCount: 10 };
      }
      return { statementType: 'DML', substatementType: 'INSERT', updateCount: 1 };
    }
    if (sql.startsWith('delete from') || sql.startsWith('update')) {
      return {
        statementType: 'DML',
        substatementType: sql.startsWith('update') ? 'UPDATE' : 'DELETE',
        updateCount: 1,
      };
    }
    return { statementType: 'DML', substatementType: 'SELECT', ...this.select(sql) };
  }

  private select(sql: string): Pick<Outcome, 'columns' | 'types' | 'rows'> {
    const rows = (...found: Row[]) => ({ columns: Object.keys(found[0] ?? {}), rows: found });
    const model = this.model;
    const described = /^select \* from \((.*)\) described limit 0$/s.exec(sql)?.[1];
    if (described !== undefined) {
      const output = this.outputColumns(described);
      return {
        columns: output.map((c) => c.name),
        types: new Map(output.map((c) => [c.name, c.type])),
        rows: [],
      };
    }
    if (/ from "medallion_dev_audit"\."model_state" where model = /.test(sql)) {
      return rows(
        ...(model?.sources ?? []).map(([s, d]) => ({
          input: `source:${s}.${d}`,
          watermark: '2026-01-01T03:00:00.000Z',
        })),
        ...(model?.changes ?? []).map((m) => ({ input: `changes:${m}`, watermark: '3' })),
      );
    }
    if (sql.startsWith('select max(_seq) as seq from')) return rows({ seq: 7 });
    if (
      / as staged, count\(case when _rule is not null then 1 end\) as quarantined from /.test(sql)
    ) {
      this.quarantined = model?.config.quarantine ? 3 : 0;
      return rows({
        staged: 100,
        quarantined: this.quarantined,
        ...(model?.config.latest_by ? { keys: 2, rows: 5 } : { keys: 0, rows: null }),
        ...(/ as source_rows from /.test(sql) ? { source_rows: 100 } : {}),
      });
    }
    if (
      /^select count\(\*\) as n from \(select \* from "medallion_dev_quarantine"\."\w+" where _run_id = /.test(
        sql,
      )
    ) {
      return rows({ n: this.quarantined });
    }
    if (/ having count\(\*\) > 1\) dup$/.test(sql)) return rows({ n: 0 });
    const merged =
      / as updated,\s+count\(case when .* as deleted,\s+count\(case when .* as superseded\s+from .* left join ("[^"]+"\."[^"]+") t on /s.exec(
        sql,
      );
    if (merged) {
      this.pendingChange.set(merged[1]!, 50 - 2);
      return rows({
        inserted: 50,
        updated: 40,
        deleted: 2,
        superseded: 0,
        rows_before: this.count(merged[1]!),
      });
    }
    const closed =
      / as closed,\s+count\(case when s\._deleted then 1 end\) as deleted\s+from .* join ("[^"]+"\."[^"]+") t on /s.exec(
        sql,
      );
    if (closed) return rows({ closed: 4, deleted: 1, rows_before: this.count(closed[1]!) });
    const counted = /^select count\(\*\) as n from ("[^"]+"\."[^"]+") c$/.exec(sql);
    if (counted) return rows({ n: this.count(counted[1]!) });
    if (/ from "medallion_dev_audit"\."run(s|_datasets)"\s/.test(sql))
      return { columns: ['run_id'], rows: [] };
    throw new Error(`The simulated Athena has no answer for:\n${sql}`);
  }

  /** Columns a described SELECT yields, typed: a bronze window's, or the current model's output. */
  private outputColumns(select: string): ColumnSpec[] {
    const bronze = /^select \* from \(select \* from ("medallion_dev_bronze"\."\w+")/.exec(
      select,
    )?.[1];
    const provenance = bronzeMetadataColumns.filter((c) =>
      ['_ingested_at', '_source_ref', '_source_row'].includes(c.name),
    );
    if (bronze) {
      const contract = this.project.contracts
        .all()
        .find((c) => c.layer === 'bronze' && dialect.relation(c.relation) === bronze)!;
      return [...contract.columns, ...bronzeMetadataColumns, { name: 'ingest_date', type: 'DATE' }];
    }
    const model = this.model!;
    const managed =
      model.config.materialization === 'scd2' ? ['valid_from', 'valid_to', 'is_current'] : [];
    const contract = this.project.contracts.get(model.contractId);
    return [
      ...contract.columns.filter((c) => !managed.includes(c.name)),
      ...(model.sources.length > 0 ? provenance : []),
      ...(model.config.delete_when && !contract.column(model.config.delete_when)
        ? [{ name: model.config.delete_when, type: 'BOOLEAN' }]
        : []),
    ];
  }

  private count(relation: string): number {
    return this.rowCounts.get(relation) ?? 0;
  }
}

/** A SELECT's result as Athena returns it: a header row, then every value as text. */
function resultPage(outcome: Outcome): GetQueryResultsOutput {
  const columns = outcome.columns ?? [];
  const info: ColumnInfo[] = columns.map((name) => {
    const type = outcome.types?.get(name);
    const decimal = type && /^DECIMAL\((\d+),(\d+)\)$/.exec(type);
    if (decimal)
      return {
        Name: name,
        Type: 'decimal',
        Precision: Number(decimal[1]),
        Scale: Number(decimal[2]),
      };
    return {
      Name: name,
      Type:
        type?.toLowerCase() ??
        ((outcome.rows ?? []).some((r) => typeof r[name] === 'number') ? 'bigint' : 'varchar'),
    };
  });
  const text = (value: unknown) =>
    value === null || value === undefined ? {} : { VarCharValue: String(value) };
  return {
    UpdateCount: outcome.updateCount,
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: info },
      Rows: [
        { Data: columns.map((name) => ({ VarCharValue: name })) },
        ...(outcome.rows ?? []).map((row) => ({ Data: columns.map((name) => text(row[name])) })),
      ],
    },
  };
}
