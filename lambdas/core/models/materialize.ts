/**
 * Materializations: how a model's SELECT becomes a table. One code path for every engine; the
 * SQL that differs comes from the {@link SqlDialect}. Every materialization counts what went in
 * and what came out from the stored tables themselves and fails on a mismatch.
 */
import { createHash } from 'node:crypto';
import { defaultPlausibleDates, type PlausibleDates } from '../../../config/schema';
import type { Contract, ContractRegistry } from '../contracts/contract';
import { rowRules, validationColumns, type RowRule } from '../contracts/rules';
import { ModelGraphError, ReconciliationError } from '../errors';
import type { ColumnSpec, PrivacyKeyStore, SqlDialect, SqlEngine } from '../ports';
import { hasIncrementalForm, type Model, type ModelProject } from './project';
import { bronzeMetadataColumns } from '../ingest/bronze';
import { castChecks, type CastChecks } from './casts';
import { renderModel } from './render';
import { storableAs } from '../sql-types';
import { elapsedSeconds, type DatasetStats } from '../stats';

export interface MaterializeContext {
  readonly engine: SqlEngine;
  readonly contracts: ContractRegistry;
  readonly project: ModelProject;
  readonly runId: string;
  /** Logical date of the run (`YYYY-MM-DD`), for `run_date()`. */
  readonly runDate: string;
  /** Upper bound of every input window: bronze ingested later waits for the next run. */
  readonly snapshotAt: string;
  /** Dates parsed from text outside this range are quarantined. @default defaultPlausibleDates */
  readonly plausibleDates?: PlausibleDates;
  /**
   * Rebuild an incremental model from all of bronze (and its quarantine with it) instead of
   * merging what bronze gained. An `scd2` model still merges: its history is made of the versions
   * earlier runs saw, which its current-state inputs no longer hold, and its merge never lets an
   * older version replace a newer one.
   */
  readonly fullRefresh?: boolean;
  /** Where the privacy key comes from, read only for a model that pseudonymizes. */
  readonly privacyKeys?: PrivacyKeyStore;
}

/** Columns a run adds or manages that no contract lists. */
const managedColumns = new Set(['_run_id', '_rule', '_reason']);
const scd2Columns = ['valid_from', 'valid_to', 'is_current'];
/** Provenance columns a model may carry from bronze into its table. */
const provenanceColumns = ['_ingested_at', '_source_ref', '_source_row'];

export async function materialize(
  model: Model,
  ctx: MaterializeContext,
  now: () => Date,
): Promise<DatasetStats> {
  const started = now();
  const contract = ctx.contracts.get(model.contractId);
  const plan = await planInputs(model, ctx);
  const { sql, casts } = await render(model, ctx, plan);
  const checks = castChecks(
    model,
    casts,
    plan.sourceWindow,
    { dates: ctx.plausibleDates ?? defaultPlausibleDates, runDate: ctx.runDate },
    ctx.engine.dialect,
    model.sources.length === 1 ? ctx.contracts.get(model.sources[0]!.join('.')) : undefined,
  );
  const counts =
    model.config.materialization === 'table'
      ? await ctx.engine.transaction(() => buildTable(model, contract, sql, plan, ctx))
      : await mergeRows(model, contract, sql, plan, checks, ctx);
  return {
    dataset: model.name,
    layer: model.layer,
    ...counts,
    seconds: elapsedSeconds(started, now()),
  };
}

/** The model's SQL, with the privacy key when (and only when) the template pseudonymizes. */
async function render(model: Model, ctx: MaterializeContext, plan: InputPlan) {
  const rendered = renderModel(model, ctx.engine.dialect, plan);
  if (!rendered.needsPrivacyKey) return rendered;
  if (!ctx.privacyKeys)
    throw new ModelGraphError(
      `${model.sqlPath}: pseudonymizes a column, but this run has no privacy key (locally .secrets/privacy.key; on AWS the secret config.privacy.keySecret names)`,
    );
  return renderModel(model, ctx.engine.dialect, {
    ...plan,
    privacyKey: await ctx.privacyKeys.key(),
  });
}

type Counts = Omit<DatasetStats, 'dataset' | 'layer' | 'seconds'>;

export interface InputPlan {
  readonly incremental: boolean;
  readonly runDate: string;
  source(source: string, dataset: string): string;
  changes(model: string): string;
  /** Watermarks to store once the model is written: input name → value. */
  readonly watermarks: Map<string, string>;
  /** For quarantine models: the window of their one source, to count and trace rows. */
  readonly sourceWindow: string | undefined;
}

/**
 * Decides what each input stands for in this run. Incremental runs read bronze rows ingested
 * since the last run (up to the snapshot) and change-feed entries since the last one consumed.
 */
async function planInputs(model: Model, ctx: MaterializeContext): Promise<InputPlan> {
  const exists = await ctx.engine.relationExists(model.name);
  const materialization = model.config.materialization;
  const rebuilt =
    (materialization === 'table' && !hasIncrementalForm(model)) ||
    (ctx.fullRefresh && materialization !== 'scd2');
  let incremental = exists && !rebuilt;
  let previous = incremental ? await readWatermarks(model, ctx) : new Map<string, string>();
  // A `table` model rebuilt from its previous content trusts it only while its definition is the
  // one that built it: after an edit to its SQL or config it is built from all of its inputs.
  if (
    incremental &&
    materialization === 'table' &&
    previous.get(definitionInput) !== definitionDigest(model)
  ) {
    incremental = false;
    previous = new Map<string, string>();
  }
  const latestSeq = new Map<string, number>();
  for (const upstreamName of model.changes) {
    const feed = changelogRelation(upstreamName);
    const [latest] = (await ctx.engine.relationExists(feed))
      ? await ctx.engine.query<{ seq: number | null }>(
          `select max(_seq) as seq from ${ctx.engine.dialect.relation(feed)}`,
        )
      : [];
    latestSeq.set(upstreamName, Number(latest?.seq ?? 0));
  }
  return inputPlan(model, ctx.project, ctx.engine.dialect, {
    incremental,
    previous,
    latestSeq,
    snapshotAt: ctx.snapshotAt,
    runDate: ctx.runDate,
  });
}

/** What a model's inputs stand for, given the state of the lake: see {@link inputPlan}. */
export interface InputState {
  /** The model exists and merges what its inputs gained, rather than being built from all of them. */
  readonly incremental: boolean;
  /** The watermarks its last publish saved: input name (`source:s.d`, `changes:m`) → value. */
  readonly previous: ReadonlyMap<string, string>;
  /** The last sequence of each upstream change feed; without it, a feed is read to its end. */
  readonly latestSeq: ReadonlyMap<string, number>;
  readonly snapshotAt: string;
  readonly runDate: string;
}

/**
 * A feed entry holding the values a key had before a change (`feed_columns`), not after it. With
 * the entry's first `_seq`, a reader can tell what a key held at its last build: the values of
 * its earliest entry if that is one of these, and nothing (the key is newer) otherwise.
 */
const previousEntry = `_change_type = 'previous'`;

/**
 * The relations `source()` and `changes()` stand for, from the lake's state alone: the same for
 * a run and for `medallion compile`, which shows the SQL a run sends.
 */
export function inputPlan(
  model: Model,
  project: ModelProject,
  d: SqlDialect,
  state: InputState,
): InputPlan {
  const { incremental, previous, snapshotAt } = state;
  const watermarks = new Map<string, string>();

  const windows = new Map<string, string>();
  for (const [source, dataset] of model.sources) {
    const key = `source:${source}.${dataset}`;
    const since = previous.get(key);
    const conditions = [`_ingested_at <= ${d.timestamp(snapshotAt)}`];
    if (since)
      conditions.push(
        `_ingested_at > ${d.timestamp(since)}`,
        `ingest_date >= ${d.date(since.slice(0, 10))}`,
      );
    windows.set(
      `${source}.${dataset}`,
      `(select * from ${d.relation(`bronze.${source}_${dataset}`)} where ${conditions.join(' and ')})`,
    );
    watermarks.set(key, snapshotAt);
  }

  const feeds = new Map<string, string>();
  for (const upstreamName of model.changes) {
    const upstream = project.get(upstreamName);
    const keys = [...upstream.config.unique_key!, ...feedColumns(upstream)].map((k) => d.quote(k));
    const feed = changelogRelation(upstreamName);
    const key = `changes:${upstreamName}`;
    const upper = state.latestSeq.get(upstreamName);
    const since = previous.get(key);
    const range = [`_seq > ${Number(since)}`, ...(upper === undefined ? [] : [`_seq <= ${upper}`])];
    feeds.set(
      upstreamName,
      incremental && since !== undefined
        ? `(select ${keys.join(', ')}, ${previousEntry} as _previous, min(_seq) as _seq, max(_changed_at) as _changed_at from ${d.relation(feed)} where ${range.join(' and ')} group by ${keys.join(', ')}, ${previousEntry})`
        : `(select ${keys.join(', ')}, false as _previous, cast(0 as bigint) as _seq, ${changedAtColumn(upstream) ? d.quote(changedAtColumn(upstream)!) : `cast(null as ${d.columnType('TIMESTAMP')})`} as _changed_at from ${d.relation(upstreamName)})`,
    );
    if (upper !== undefined) watermarks.set(key, String(upper));
  }

  if (model.config.materialization === 'table' && hasIncrementalForm(model))
    watermarks.set(definitionInput, definitionDigest(model));

  const [onlySource] = model.sources;
  return {
    incremental,
    runDate: state.runDate,
    watermarks,
    sourceWindow:
      model.config.quarantine && onlySource
        ? windows.get(`${onlySource[0]}.${onlySource[1]}`)
        : undefined,
    source: (source, dataset) => {
      const window = windows.get(`${source}.${dataset}`);
      if (!window)
        throw new ModelGraphError(
          `${model.sqlPath}: source('${source}', '${dataset}') was not declared`,
        );
      return window;
    },
    changes: (name) => {
      const feed = feeds.get(name);
      if (!feed) throw new ModelGraphError(`${model.sqlPath}: changes('${name}') was not declared`);
      return feed;
    },
  };
}

/**
 * `table`: rebuilt from scratch, atomically replacing the previous content. A template with an
 * incremental form may read that content (`{{ this }}`) and the change feeds since its last build:
 * their watermarks are saved with the new content, so a crash in between only re-reads them.
 */
async function buildTable(
  model: Model,
  contract: Contract,
  sql: string,
  plan: InputPlan,
  ctx: MaterializeContext,
): Promise<Counts> {
  const { engine } = ctx;
  const d = engine.dialect;
  const output = await engine.describe(sql);
  const columns = targetColumns(model, contract, output);
  await runAll(
    engine,
    d.createOrReplaceTableAs(
      d.relation(model.name),
      `select ${typed(columns, contract, d, 'm').join(', ')}, ${d.string(ctx.runId)} as _run_id from (${sql}) m`,
    ),
  );
  if (hasIncrementalForm(model)) await saveWatermarks(model, plan, ctx);
  const rows = await count(engine, d.relation(model.name));
  return {
    rowsIn: rows,
    rowsOut: rows,
    quarantined: 0,
    duplicates: 0,
    inserted: rows,
    updated: 0,
    deleted: 0,
  };
}

/**
 * `incremental` and `scd2`. The selected rows are staged with their validation verdict; invalid
 * ones go to quarantine; among valid rows sharing a key the latest (`latest_by`) wins. Keys are
 * usually unique, so only the few duplicated keys are ranked: a full sort of millions of rows to
 * find a handful of duplicates is what a window over everything would cost.
 *
 * A first build of a model without validation or ranking (a gold fact, say) skips staging and
 * writes the model's result directly.
 */
async function mergeRows(
  model: Model,
  contract: Contract,
  sql: string,
  plan: InputPlan,
  checks: CastChecks | undefined,
  ctx: MaterializeContext,
): Promise<Counts> {
  const { engine } = ctx;
  const d = engine.dialect;
  const config = model.config;
  const keys = config.unique_key!;
  const deleteFlag = config.delete_when
    ? `coalesce(${d.quote(config.delete_when)}, false)`
    : 'false';
  const columns = targetColumns(model, contract, await engine.describe(sql));
  const unwritten = keys.filter((k) => !columns.includes(k));
  if (unwritten.length > 0) {
    throw new ModelGraphError(
      `${model.sqlPath}: unique_key ${unwritten.join(', ')} must be contract columns`,
    );
  }
  const unfed = feedColumns(model).filter((c) => !columns.includes(c));
  if (unfed.length > 0) {
    throw new ModelGraphError(
      `${model.sqlPath}: feed_columns ${unfed.join(', ')} must be contract columns`,
    );
  }
  assertProvenance(model, columns);
  const write = (winners: string) =>
    config.materialization === 'scd2'
      ? writeScd2(model, columns, winners, plan.incremental, ctx)
      : writeMerge(model, columns, winners, plan.incremental, ctx);
  /** Target rows from `from` (aliased `s`), with the run id and the delete marker. */
  const selectWinners = (from: string, where: string) =>
    `select ${typed(columns, contract, d, 's').join(', ')}, ${d.string(ctx.runId)} as _run_id, ${qualify(deleteFlag, config.delete_when, d)} as _deleted from ${from} where ${where}`;

  if (!plan.incremental && !config.quarantine && !config.latest_by) {
    // Verified on the model's result, before the transaction: what is written is then unique by
    // construction, and the quality gate need not check the key again (see core/dq/scope.ts).
    await assertUniqueKeys(model, `(${sql}) s where not ${deleteFlag}`, ctx);
    const { inserted, updated, deleted } = await engine.transaction(async () => {
      const result = await write(`(${selectWinners(`(${sql}) s`, 'true')})`);
      await saveWatermarks(model, plan, ctx);
      return result;
    });
    return {
      rowsIn: inserted,
      rowsOut: inserted,
      quarantined: 0,
      duplicates: 0,
      inserted,
      updated,
      deleted,
    };
  }

  if (checks && !(columns.includes('_source_ref') && columns.includes('_source_row'))) {
    throw new ModelGraphError(
      `${model.sqlPath}: pass _source_ref and _source_row through: its casts are checked against the source row they name`,
    );
  }
  // A cast that failed explains the rules it makes fail (a required column now NULL): it goes first.
  const rules = config.quarantine
    ? guardDeletes([...(checks?.rules ?? []), ...rowRules(contract, d)], keys, deleteFlag)
    : [];
  const verdict = validationColumns(rules, d);
  const name = model.name.replace('.', '_');
  const staged = d.stagingRelation(name);
  const duplicated = d.stagingRelation(`${name}_duplicated_keys`);
  const losers = d.stagingRelation(`${name}_superseded_rows`);
  const keyList = keys.map((k) => d.quote(k)).join(', ');
  const sameKey = (left: string, right: string) =>
    keys.map((k) => `${left}.${d.quote(k)} = ${right}.${d.quote(k)}`).join(' and ');
  // Scratch tables are dropped at the end, and only those created: on Athena every statement,
  // a DROP too, is a query of a second or more.
  const scratch: string[] = [];
  const createScratch = async (relation: string, select: string) => {
    await engine.execute(d.createStagingTable(relation, select));
    scratch.push(relation);
  };
  try {
    // Scratch work happens before the model's transaction opens: scanning a large table written
    // inside a transaction is several times slower than scanning a committed one.
    await createScratch(
      staged,
      `select m.*, ${verdict.rule} as _rule, ${verdict.reason} as _reason from (${sql}) m${
        checks
          ? ` left join ${checks.relation} c on c._cast_ref = m._source_ref and c._cast_row = m._source_row`
          : ''
      }`,
    );
    const stage = staged;
    await createScratch(
      duplicated,
      `select ${keyList}, count(*) as _rows from ${stage} v where _rule is null group by ${keyList} having count(*) > 1`,
    );
    // Every count the run reconciles, in one query.
    const [counted] = await engine.query<{
      staged: number;
      quarantined: number;
      keys: number;
      rows: number | null;
      source_rows?: number;
    }>(
      `select * from (select count(*) as staged, count(case when _rule is not null then 1 end) as quarantined from ${stage} v) s
       cross join (select count(*) as keys, sum(_rows) as rows from ${duplicated}) k${
         plan.sourceWindow
           ? `
       cross join (select count(*) as source_rows from ${plan.sourceWindow} c) w`
           : ''
       }`,
    );
    const s = counted!;
    const repeated = { keys: Number(s.keys), rows: Number(s.rows ?? 0) };
    const duplicates = repeated.rows - repeated.keys;
    const rowsIn = s.source_rows === undefined ? s.staged : Number(s.source_rows);
    if (rowsIn !== s.staged) {
      throw new ReconciliationError(
        `${model.sqlPath} returned ${s.staged} rows for ${rowsIn} source rows: a model with quarantine: true must map each source row to exactly one row (filter with contract rules, not WHERE)`,
      );
    }
    if (!config.latest_by && repeated.keys > 0) {
      throw new ModelGraphError(
        `${model.sqlPath} returned ${repeated.keys} key(s) more than once; set latest_by in its .yml to pick one`,
      );
    }

    const latest = (config.latest_by ?? [])
      .map((c) => `s.${d.quote(c)} desc nulls last`)
      .join(', ');
    const ranked = `(select s.*, row_number() over (partition by ${keys.map((k) => `s.${d.quote(k)}`).join(', ')} order by ${latest}) as _rank
      from ${stage} s join ${duplicated} k on ${sameKey('k', 's')} where s._rule is null)`;
    let winners: string;
    if (repeated.keys === 0) {
      winners = `(${selectWinners(`${stage} s`, 's._rule is null')})`;
    } else if (columns.includes('_source_row') && columns.includes('_source_ref')) {
      // Drop the few losers by row identity: far cheaper than routing every row through a
      // ranking or a key join.
      await createScratch(
        losers,
        `select _source_ref, _source_row from ${ranked} r where _rank > 1`,
      );
      winners = `(${selectWinners(
        `${stage} s left join ${losers} l on l._source_ref = s._source_ref and l._source_row = s._source_row`,
        's._rule is null and l._source_row is null',
      )})`;
    } else {
      winners = `(${selectWinners(`${stage} s left join ${duplicated} k on ${sameKey('k', 's')}`, `s._rule is null and k.${d.quote(keys[0]!)} is null`)}
        union all ${selectWinners(`${ranked} s`, 's._rank = 1')})`;
    }
    const { superseded, ...written } = await engine.transaction(async () => {
      // A rebuild re-validates every bronze row: what it quarantines replaces what was there.
      if (!plan.incremental) await clearQuarantine(model, ctx);
      if (s.quarantined > 0) await quarantine(model, stage, plan.sourceWindow!, s.quarantined, ctx);
      const result = await write(winners);
      await saveWatermarks(model, plan, ctx);
      return result;
    });
    return {
      rowsIn,
      rowsOut: s.staged - s.quarantined - duplicates - superseded,
      quarantined: s.quarantined,
      // Versions older than the stored one are superseded like duplicates: bronze keeps them.
      duplicates: duplicates + superseded,
      ...written,
    };
  } finally {
    for (const relation of scratch.reverse()) await engine.execute(d.dropTable(relation));
  }
}

/**
 * Checked on the model's output schema, so `medallion validate` rejects at once what would
 * otherwise fail mid-run as a binder error on generated SQL that names neither the model nor the
 * rule: an incremental model over bronze must carry `_ingested_at`, and every `latest_by` column
 * must be one the model writes.
 */
function assertProvenance(model: Model, columns: readonly string[]): void {
  const { materialization, latest_by } = model.config;
  if (
    materialization === 'incremental' &&
    model.sources.length > 0 &&
    !columns.includes('_ingested_at')
  ) {
    throw new ModelGraphError(
      `${model.sqlPath}: an incremental model over source(...) must select _ingested_at, the row's provenance (when bronze received it) that the merge stores and that orders the versions of a key bronze received in different runs (latest_by: [..., _ingested_at]); see docs/adding-things.md`,
    );
  }
  const unknown = (latest_by ?? []).filter((c) => !columns.includes(c));
  if (unknown.length > 0) {
    throw new ModelGraphError(
      `${model.sqlPath}: latest_by ${unknown.join(', ')} must be columns the model selects (its contract's, or _ingested_at, _source_ref, _source_row)`,
    );
  }
}

/** The delete marker read from the row aliased `s`. */
function qualify(deleteFlag: string, column: string | undefined, d: SqlDialect): string {
  return column ? deleteFlag.replace(d.quote(column), `s.${d.quote(column)}`) : deleteFlag;
}

/** A source's delete marker only needs its key: other rules would wrongly quarantine tombstones. */
function guardDeletes(rules: RowRule[], keys: readonly string[], deleteFlag: string): RowRule[] {
  if (deleteFlag === 'false') return rules;
  return rules.map((r) =>
    keys.some((k) => r.id === `${k}.required`)
      ? r
      : { ...r, failing: `(not ${deleteFlag} and ${r.failing})` },
  );
}

async function writeMerge(
  model: Model,
  columns: string[],
  winners: string,
  incremental: boolean,
  ctx: MaterializeContext,
) {
  const { engine } = ctx;
  const d = engine.dialect;
  const keys = model.config.unique_key!;
  const all = [...columns, '_run_id'];
  const q = (c: string) => d.quote(c);
  if (!incremental) {
    // A rebuild (a full refresh: the table and its change feed exist) tells downstream models
    // what changed: every key it no longer holds, then every key it writes.
    const rebuild = await engine.relationExists(changelogRelation(model.name));
    if (rebuild) await appendRemovedKeys(model, winners, ctx);
    await runAll(
      engine,
      d.createOrReplaceTableAs(
        d.relation(model.name),
        `select ${all.map(q).join(', ')} from ${winners} w where not _deleted`,
      ),
    );
    if (rebuild) await appendChangelog(model, winners, ctx);
    else await ensureChangelog(model, ctx);
    const inserted = await count(engine, d.relation(model.name));
    return { inserted, updated: 0, deleted: 0, superseded: 0 };
  }
  const target = d.relation(model.name);
  const on = keys.map((k) => `t.${q(k)} = s.${q(k)}`).join(' and ');
  // A version older (by the first `latest_by` column) than the stored one never replaces or
  // deletes it, whatever order the versions arrived in.
  const latest = model.config.latest_by?.[0];
  const fresh =
    latest && all.includes(latest)
      ? `not coalesce(s.${q(latest)} < t.${q(latest)}, false)`
      : 'true';
  const [change] = await engine.query<{
    inserted: number;
    updated: number;
    deleted: number;
    superseded: number;
    rows_before: number;
  }>(
    `select * from (select count(case when t.${q(keys[0]!)} is null and not s._deleted then 1 end) as inserted,
      count(case when t.${q(keys[0]!)} is not null and not s._deleted and ${fresh} then 1 end) as updated,
      count(case when t.${q(keys[0]!)} is not null and s._deleted and ${fresh} then 1 end) as deleted,
      count(case when t.${q(keys[0]!)} is not null and not (${fresh}) then 1 end) as superseded
    from ${winners} s left join ${target} t on ${on}) c
    cross join (select count(*) as rows_before from ${target}) b`,
  );
  const { rows_before: before, ...c } = change!;
  await appendPreviousValues(model, winners, ctx);
  await engine.execute(
    d.upsert({
      target,
      source: winners,
      on,
      replaces: fresh,
      keys,
      columns: all,
      replacesEveryMatch: c.superseded === 0,
    }),
  );
  const after = await count(engine, target);
  if (after !== before + c.inserted - c.deleted) {
    throw new ReconciliationError(
      `${model.name}: ${before} rows + ${c.inserted} inserted - ${c.deleted} deleted should leave ${before + c.inserted - c.deleted}, found ${after}`,
    );
  }
  await appendChangelog(model, winners, ctx);
  return c;
}

/**
 * Type-2 history: a newer version (by `valid_from`) or a delete closes the current row; a new
 * current row opens for every key that has none. Re-running with the same input changes nothing.
 */
async function writeScd2(
  model: Model,
  columns: string[],
  winners: string,
  incremental: boolean,
  ctx: MaterializeContext,
) {
  const { engine } = ctx;
  const d = engine.dialect;
  const q = (c: string) => d.quote(c);
  const keys = model.config.unique_key!;
  const versioned = q(model.config.valid_from!);
  const business = columns.filter((c) => !scd2Columns.includes(c));
  const insertColumns = [...business, ...scd2Columns, '_run_id'];
  const opened = (source: string) =>
    `select ${business.map((c) => `s.${q(c)}`).join(', ')}, s.${versioned} as valid_from, cast(null as ${d.columnType('TIMESTAMP')}) as valid_to, true as is_current, s._run_id from ${source} s`;
  if (!incremental) {
    await runAll(
      engine,
      d.createOrReplaceTableAs(d.relation(model.name), `${opened(winners)} where not s._deleted`),
    );
    const inserted = await count(engine, d.relation(model.name));
    return { inserted, updated: 0, deleted: 0, superseded: 0 };
  }
  const target = d.relation(model.name);
  const on = keys.map((k) => `t.${q(k)} = s.${q(k)}`).join(' and ');
  const [change] = await engine.query<{ closed: number; deleted: number; rows_before: number }>(
    `select * from (select count(case when not s._deleted and s.${versioned} > t.valid_from then 1 end) as closed,
      count(case when s._deleted then 1 end) as deleted
    from ${winners} s join ${target} t on ${on} and t.is_current) c
    cross join (select count(*) as rows_before from ${target}) b`,
  );
  const { rows_before: before } = change!;
  await engine.execute(
    `merge into ${target} t using ${winners} s on ${on} and t.is_current
    when matched and (s._deleted or s.${versioned} > t.valid_from)
      then update set valid_to = s.${versioned}, is_current = false, _run_id = s._run_id`,
  );
  const inserted = await engine.execute(
    `insert into ${target} (${insertColumns.map(q).join(', ')})
    ${opened(winners)} where not s._deleted and not exists (select 1 from ${target} t where ${on} and t.is_current)`,
  );
  const after = await count(engine, target);
  if (after !== before + inserted) {
    throw new ReconciliationError(
      `${model.name}: ${before} versions + ${inserted} opened should make ${before + inserted}, found ${after}`,
    );
  }
  return { inserted, updated: change!.closed, deleted: change!.deleted, superseded: 0 };
}

/** Where a `quarantine: true` model's failing rows go (the quality gate reads this run's counts). */
export function quarantineRelation(model: Pick<Model, 'name'>): string {
  return `quarantine.${model.name.split('.')[1]}`;
}

async function clearQuarantine(model: Model, ctx: MaterializeContext): Promise<void> {
  const relation = quarantineRelation(model);
  if (await ctx.engine.relationExists(relation))
    await ctx.engine.execute(`delete from ${ctx.engine.dialect.relation(relation)}`);
}

/** Moves each failing source row, exactly as bronze holds it, into `quarantine.<name>`. */
async function quarantine(
  model: Model,
  stage: string,
  window: string,
  expected: number,
  ctx: MaterializeContext,
) {
  const { engine } = ctx;
  const d = engine.dialect;
  const bronze = await engine.describe(`select * from ${window} b`);
  for (const required of ['_source_ref', '_source_row']) {
    if (!bronze.some((c) => c.name === required))
      throw new ModelGraphError(`${model.sqlPath}: its source has no ${required} column`);
  }
  // Cast to the types bronze declares, so the quarantine table's schema does not depend on how
  // an engine reads Parquet (Athena reads bronze timestamps at millisecond precision).
  const original = bronze.map((c) => ({
    name: c.name === '_run_id' ? '_ingest_run_id' : c.name,
    expression: `cast(b.${d.quote(c.name)} as ${d.columnType(c.type)})`,
  }));
  const columns = [
    ...original.map((c) => c.name),
    '_rule',
    '_reason',
    '_run_id',
    '_quarantined_at',
  ];
  const select = `select ${original.map((c) => `${c.expression} as ${d.quote(c.name)}`).join(', ')}, s._rule, s._reason, ${d.string(ctx.runId)} as _run_id, ${d.timestamp(ctx.snapshotAt)} as _quarantined_at
    from ${window} b join ${stage} s on b._source_ref = s._source_ref and b._source_row = s._source_row
    where s._rule is not null`;
  const relation = quarantineRelation(model);
  const moved = (await engine.relationExists(relation))
    ? await engine.execute(
        `insert into ${d.relation(relation)} (${columns.map((c) => d.quote(c)).join(', ')}) ${select}`,
      )
    : (await engine.execute(d.createTableAs(d.relation(relation), select)),
      await count(
        engine,
        `(select * from ${d.relation(relation)} where _run_id = ${d.string(ctx.runId)})`,
      ));
  if (moved !== expected) {
    throw new ReconciliationError(
      `${model.name}: ${expected} rows failed validation but ${moved} reached ${relation} (is _source_ref/_source_row passed through unchanged?)`,
    );
  }
}

/** The watermark under which a model rebuilt from its previous content keeps its definition's digest. */
export const definitionInput = 'definition';

/** A digest of what defines a model's content: its SQL template and its config. */
export function definitionDigest(model: Pick<Model, 'template' | 'config'>): string {
  return createHash('sha256')
    .update(model.template)
    .update('\0')
    .update(JSON.stringify(model.config))
    .digest('hex')
    .slice(0, 16);
}

/** The change feed of an incremental model: which keys each run wrote or deleted. */
export function changelogRelation(modelName: string): string {
  return `changelog.${modelName.replace('.', '_')}`;
}

function changedAtColumn(model: Model): string | undefined {
  return model.config.valid_from ?? model.config.latest_by?.[0];
}

async function ensureChangelog(model: Model, ctx: MaterializeContext) {
  const { engine } = ctx;
  const d = engine.dialect;
  const feed = changelogRelation(model.name);
  if (await engine.relationExists(feed)) return;
  const keys = [...model.config.unique_key!, ...feedColumns(model)]
    .map((k) => d.quote(k))
    .join(', ');
  await engine.execute(
    d.createTableAs(
      d.relation(feed),
      `select ${keys}, cast(null as varchar) as _change_type, cast(null as ${d.columnType('TIMESTAMP')}) as _changed_at, cast(null as bigint) as _seq, cast(null as varchar) as _run_id from ${d.relation(model.name)} where 1 = 0`,
    ),
  );
}

/**
 * Appends this run's changes under the next sequence number. The feed exists: a model's first
 * build creates it, and only later runs append.
 */
async function appendChangelog(model: Model, winners: string, ctx: MaterializeContext) {
  const { engine } = ctx;
  const d = engine.dialect;
  const feed = d.relation(changelogRelation(model.name));
  const keys = [...model.config.unique_key!, ...feedColumns(model)].map((k) => d.quote(k));
  const changedAt = changedAtColumn(model);
  await engine.execute(
    `insert into ${feed} (${keys.join(', ')}, _change_type, _changed_at, _seq, _run_id)
    select ${keys.map((k) => `w.${k}`).join(', ')}, case when w._deleted then 'delete' else 'upsert' end, ${changedAt ? `w.${d.quote(changedAt)}` : d.timestamp(ctx.snapshotAt)}, n._seq, w._run_id
    from ${winners} w cross join (select coalesce(max(_seq), 0) + 1 as _seq from ${feed}) n`,
  );
}

/**
 * Feeds as deleted the keys a rebuild of `model` from `winners` no longer holds. With
 * `feed_columns`, every key it held is first fed with its values before the rebuild
 * (`previous`), as a MERGE feeds the keys it changes: a rebuild may move any of them to another
 * group, and a reader learns from the earliest entry what a key held before.
 */
async function appendRemovedKeys(model: Model, winners: string, ctx: MaterializeContext) {
  const { engine } = ctx;
  const d = engine.dialect;
  const feed = d.relation(changelogRelation(model.name));
  const keys = model.config.unique_key!.map((k) => d.quote(k));
  const extra = feedColumns(model);
  const columns = [...keys, ...extra.map((c) => d.quote(c))];
  await assertFeedColumns(model, ctx);
  const kept = `exists (select 1 from ${winners} w where not w._deleted and ${keys.map((k) => `w.${k} = t.${k}`).join(' and ')})`;
  const append = (changeType: string, where: string) =>
    engine.execute(
      `insert into ${feed} (${columns.join(', ')}, _change_type, _changed_at, _seq, _run_id)
      select ${columns.map((k) => `t.${k}`).join(', ')}, '${changeType}', ${d.timestamp(ctx.snapshotAt)}, n._seq, ${d.string(ctx.runId)}
      from ${d.relation(model.name)} t cross join (select coalesce(max(_seq), 0) + 1 as _seq from ${feed}) n
      ${where}`,
    );
  if (extra.length > 0) await append('previous', '');
  await append('delete', `where not ${kept}`);
}

/**
 * With `feed_columns`: feeds the values the keys `winners` is about to change or delete hold now,
 * under a sequence of their own before the run's changes, so a reader grouping by those columns
 * also recomputes the groups the keys leave.
 */
async function appendPreviousValues(model: Model, winners: string, ctx: MaterializeContext) {
  const extra = feedColumns(model);
  if (extra.length === 0) return;
  await assertFeedColumns(model, ctx);
  const { engine } = ctx;
  const d = engine.dialect;
  const feed = d.relation(changelogRelation(model.name));
  const keys = model.config.unique_key!.map((k) => d.quote(k));
  const columns = [...keys, ...extra.map((c) => d.quote(c))];
  const changedAt = changedAtColumn(model);
  await engine.execute(
    `insert into ${feed} (${columns.join(', ')}, _change_type, _changed_at, _seq, _run_id)
    select ${columns.map((k) => `t.${k}`).join(', ')}, 'previous', ${changedAt ? `t.${d.quote(changedAt)}` : d.timestamp(ctx.snapshotAt)}, n._seq, ${d.string(ctx.runId)}
    from ${d.relation(model.name)} t join ${winners} s on ${keys.map((k) => `s.${k} = t.${k}`).join(' and ')}
    cross join (select coalesce(max(_seq), 0) + 1 as _seq from ${feed}) n`,
  );
}

/** The columns a model's change feed records besides its keys (`feed_columns`). */
function feedColumns(model: Model): readonly string[] {
  return model.config.feed_columns ?? [];
}

/**
 * A feed created before its model listed `feed_columns` lacks them: a clear error rather than a
 * binder error on generated SQL. Dropping the feed without rebuilding its readers would make them
 * skip changes (their watermarks are sequence numbers of the old feed), hence the full refresh.
 */
async function assertFeedColumns(model: Model, ctx: MaterializeContext) {
  const extra = feedColumns(model);
  if (extra.length === 0) return;
  const feed = changelogRelation(model.name);
  const held = new Set(
    (await ctx.engine.describe(`select * from ${ctx.engine.dialect.relation(feed)}`)).map(
      (c) => c.name,
    ),
  );
  const missing = extra.filter((c) => !held.has(c));
  if (missing.length > 0)
    throw new ModelGraphError(
      `${model.sqlPath}: its change feed ${feed} predates feed_columns ${missing.join(', ')}; drop ${feed}, then run the pipeline with --full-refresh so that its readers start again from the new feed`,
    );
}

async function readWatermarks(model: Model, ctx: MaterializeContext): Promise<Map<string, string>> {
  const d = ctx.engine.dialect;
  const rows = await ctx.engine.query<{ input: string; watermark: string }>(
    `select input, watermark from ${d.relation('audit.model_state')} where model = ${d.string(model.name)}`,
  );
  return new Map(rows.map((r) => [r.input, r.watermark]));
}

/** One MERGE, so that even where statements commit one by one a watermark is never half-saved. */
async function saveWatermarks(model: Model, plan: InputPlan, ctx: MaterializeContext) {
  if (plan.watermarks.size === 0) return;
  const d = ctx.engine.dialect;
  const rows = [...plan.watermarks].map(
    ([input, value]) =>
      `(${d.string(model.name)}, ${d.string(input)}, ${d.string(value)}, ${d.string(ctx.runId)}, ${d.timestamp(ctx.snapshotAt)})`,
  );
  await ctx.engine.execute(
    `merge into ${d.relation('audit.model_state')} t
     using (select * from (values ${rows.join(', ')}) as v(model, input, watermark, run_id, updated_at)) s
     on t.model = s.model and t.input = s.input
     when matched then update set watermark = s.watermark, run_id = s.run_id, updated_at = s.updated_at
     when not matched then insert (model, input, watermark, run_id, updated_at) values (s.model, s.input, s.watermark, s.run_id, s.updated_at)`,
  );
}

/**
 * The columns written to the target: the contract's, in contract order, then provenance. A model
 * that misses a contract column, or adds one the contract does not know, is rejected by name.
 */
function targetColumns(model: Model, contract: Contract, output: readonly ColumnSpec[]): string[] {
  const produced = new Set(output.map((c) => c.name));
  const managed =
    model.config.materialization === 'scd2' ? new Set(scd2Columns) : new Set<string>();
  const expected = contract.properties.map((p) => p.name).filter((c) => !managed.has(c));
  const missing = expected.filter((c) => !produced.has(c));
  const allowed = new Set([
    ...expected,
    ...provenanceColumns,
    ...managedColumns,
    model.config.delete_when ?? '',
  ]);
  const unknown = [...produced].filter((c) => !allowed.has(c) && !c.startsWith('_'));
  const mistyped = output.flatMap((c) => {
    const declared = contract.column(c.name)?.physicalType;
    return declared && !storableAs(c.type, declared)
      ? [`${c.name} is ${c.type}, the contract says ${declared}`]
      : [];
  });
  if (missing.length > 0 || unknown.length > 0 || mistyped.length > 0) {
    throw new ModelGraphError(
      `${model.sqlPath} does not match contract ${contract.id} (${contract.file}):` +
        [
          missing.length > 0 ? ` missing ${missing.join(', ')}` : '',
          unknown.length > 0 ? ` not in the contract: ${unknown.join(', ')}` : '',
          ...mistyped.map((m) => ` ${m}`),
        ]
          .filter(Boolean)
          .join(';'),
    );
  }
  return [...expected, ...provenanceColumns.filter((c) => produced.has(c))];
}

/**
 * Each contract column cast to its contract type (provenance columns to bronze's), so the stored
 * schema is the contract's whatever the engine inferred (Athena reads bronze timestamps at
 * millisecond precision, Iceberg stores microseconds).
 */
function typed(
  columns: readonly string[],
  contract: Contract,
  d: SqlDialect,
  alias: string,
): string[] {
  return columns.map((c) => {
    const type =
      contract.column(c)?.physicalType ?? bronzeMetadataColumns.find((m) => m.name === c)?.type;
    const column = `${alias}.${d.quote(c)}`;
    return type
      ? `cast(${column} as ${d.columnType(type)}) as ${d.quote(c)}`
      : `${column} as ${d.quote(c)}`;
  });
}

/** Fails when rows of `from` (a relation, or `(select ...) s where ...`) share a `unique_key`. */
async function assertUniqueKeys(model: Model, from: string, ctx: MaterializeContext) {
  const d = ctx.engine.dialect;
  const keys = model.config.unique_key!.map((k) => d.quote(k)).join(', ');
  const [row] = await ctx.engine.query<{ n: number }>(
    `select count(*) as n from (select ${keys} from ${from} group by ${keys} having count(*) > 1) dup`,
  );
  if (row!.n > 0) {
    throw new ModelGraphError(
      `${model.sqlPath} returned ${row!.n} key(s) more than once; set latest_by in its .yml to pick one`,
    );
  }
}

async function runAll(engine: SqlEngine, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await engine.execute(statement);
}

async function count(engine: SqlEngine, relation: string): Promise<number> {
  const [row] = await engine.query<{ n: number }>(`select count(*) as n from ${relation} c`);
  return Number(row!.n);
}
