/**
 * A layer's models, one Task each (see `stepfunctions/*.asl.json`): a plan, then the models level
 * by level, so that no Lambda invocation builds more than one model. Each model publishes in one
 * transaction (its rows, its quarantine, its change feed and its watermarks together), the way
 * each Iceberg table commits on AWS: readers see a table as it was or as it is after the run,
 * never half of it, and after a crash every model resumes from its own watermarks, so the next
 * run converges to the same result.
 */
import { defaultFullChecksEvery, type PlausibleDates } from '../../../config/schema';
import type { ContractRegistry } from '../contracts/contract';
import { CountingSqlEngine } from '../counting-engine';
import type { LineageEmitter, PipelineContext } from '../lineage/events';
import type { Clock, Logger, PrivacyKeyStore, SqlEngine } from '../ports';
import type { DatasetStats } from '../stats';
import { isFullCheckDay, type GateScope } from '../dq/scope';
import { changelogRelation, materialize, quarantineRelation } from './materialize';
import type { Model, ModelProject } from './project';
import { isSelective, selectModels, type Selection } from './selection';

export interface LayerDeps {
  readonly engine: SqlEngine;
  readonly lineage: LineageEmitter;
  readonly contracts: ContractRegistry;
  readonly project: ModelProject;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Models of one level the state machine builds at once (`MaxConcurrencyPath`). */
  readonly concurrency: number;
  /** Dates parsed from text outside this range are quarantined. @default defaultPlausibleDates */
  readonly plausibleDates?: PlausibleDates;
  /** The privacy key, for models that pseudonymize (`anonymize(..., { method: 'pseudonym' })`). */
  readonly privacyKeys?: PrivacyKeyStore;
  /** Config `quality.fullChecksEvery`: days between periodic full checks, 0 never. @default 7 */
  readonly fullChecksEvery?: number;
}

export interface LayerRequest extends PipelineContext {
  readonly layer: Model['layer'];
  /** The run's `--select`/`--exclude`: only those models of the layer are built. */
  readonly selection?: Selection;
  /** The execution input's `fullChecks`: the quality gate reads every table whole. */
  readonly fullChecks?: boolean;
}

/** What the state machine fans out over: one Task per model, level after level. */
export interface LayerPlan {
  readonly layer: Model['layer'];
  /**
   * Model names by DAG level: a model reads only models of earlier levels, so the models of a
   * level can be built at once.
   */
  readonly levels: readonly (readonly string[])[];
  /** Upper bound of every model's input window in this run, the same for the whole layer. */
  readonly snapshotAt: string;
  /** Models of a level built at once. */
  readonly concurrency: number;
  /**
   * The date the layer is built as of (`run_date()`), for its models and its quality gate: the
   * run's date, or for a backfill the lake's latest completed date (see `core/run-dates.ts`).
   */
  readonly runDate: string;
  /**
   * The models the run's selection kept, which the quality gate then checks alone; `null` when the
   * run builds the whole layer and the gate checks every contract of it. Never absent: the state
   * machine's JSONPath to it would fail.
   */
  readonly selected: readonly string[] | null;
  /** What the layer's quality gate re-reads: see `core/dq/scope.ts`. */
  readonly gateScope: GateScope;
}

/**
 * The once-per-layer work before its models fan out: fixes the layer's snapshot, makes new bronze
 * visible, reloads the seeds (silver), and groups the models into levels.
 */
export async function planLayer(deps: LayerDeps, request: LayerRequest): Promise<LayerPlan> {
  const snapshotAt = deps.clock.now().toISOString();
  await deps.engine.refreshSources();
  if (request.layer === 'silver') await deps.engine.transaction(() => loadSeeds(deps));
  const levels = selectedLevels(deps.project, request.layer, request.selection);
  const selected = isSelective(request.selection) ? levels.flat() : null;
  if (selected?.length === 0)
    deps.logger.info(`no ${request.layer} model selected: the layer builds nothing`, {
      layer: request.layer,
    });
  return {
    layer: request.layer,
    levels,
    snapshotAt,
    concurrency: deps.concurrency,
    runDate: request.runDate,
    selected,
    gateScope: gateScope(deps.project, request.layer, {
      runDate: request.runDate,
      firstBuilds: await firstBuilds(deps, request.layer),
      fullChecks: request.fullChecks === true,
      every: deps.fullChecksEvery ?? defaultFullChecksEvery,
    }),
  };
}

/**
 * The gate's scope for a layer's run: a full check when asked for or on a periodic day, and what
 * the materialization of each merged model guarantees.
 */
export function gateScope(
  project: ModelProject,
  layer: Model['layer'],
  run: {
    readonly runDate: string;
    readonly fullChecks: boolean;
    readonly every: number;
    /** The merged models whose table does not exist yet: their build writes every row. */
    readonly firstBuilds?: readonly string[];
  },
): GateScope {
  const full = run.fullChecks
    ? 'requested'
    : isFullCheckDay(run.runDate, run.every)
      ? `periodic: every ${run.every} day(s) (quality.fullChecksEvery)`
      : null;
  return {
    full,
    merged: project
      .layer(layer)
      .filter((m) => m.config.materialization !== 'table')
      .map((m) => ({
        relation: m.name,
        uniqueKey: m.config.materialization === 'incremental' ? m.config.unique_key! : null,
        quarantine: m.config.quarantine ? quarantineRelation(m) : null,
        firstBuild: run.firstBuilds?.includes(m.name) ?? false,
        changeFeed: m.config.materialization === 'incremental' ? changelogRelation(m.name) : null,
      })),
  };
}

/** The layer's merged models (`incremental`, `scd2`) whose table does not exist yet. */
async function firstBuilds(deps: LayerDeps, layer: Model['layer']): Promise<string[]> {
  const merged = deps.project.layer(layer).filter((m) => m.config.materialization !== 'table');
  const exists = await Promise.all(merged.map((m) => deps.engine.relationExists(m.name)));
  return merged.filter((_, i) => !exists[i]).map((m) => m.name);
}

/**
 * The layer's levels of models, kept to those the selection names, empty levels dropped. A model
 * left out is not rebuilt: the selected models that read it read its table as it stands.
 */
export function selectedLevels(
  project: ModelProject,
  layer: Model['layer'],
  selection: Selection | undefined,
): string[][] {
  const kept = isSelective(selection)
    ? new Set(selectModels(project, selection).map((m) => m.name))
    : undefined;
  return project
    .levels(layer)
    .map((level) => level.map((m) => m.name).filter((name) => kept?.has(name) ?? true))
    .filter((level) => level.length > 0);
}

export interface ModelRequest extends PipelineContext {
  readonly model: string;
  /** The layer plan's {@link LayerPlan.snapshotAt}. */
  readonly snapshotAt: string;
  /** Rebuild the model from bronze rather than merge into it (see `MaterializeContext.fullRefresh`). */
  readonly fullRefresh?: boolean;
}

/**
 * Builds one model: a task run of its own in the lineage, its statements counted. Running it
 * again (a retried Task) is safe: it resumes from the watermarks its last publish saved.
 */
export async function buildModel(deps: LayerDeps, request: ModelRequest): Promise<DatasetStats> {
  const model = deps.project.get(request.model);
  deps.logger.info(`building ${model.name}`, {
    model: model.name,
    materialization: model.config.materialization,
  });
  const contract = deps.contracts.get(model.contractId);
  const { lineage } = deps;
  const overwrite = model.config.materialization === 'table';
  const result = await lineage.track(
    request,
    {
      job: `model.${contract.id}`,
      type: 'MODEL',
      owners: [contract.owner],
      sql: model.template,
      inputs: [
        ...model.sources.map(([source, dataset]) => lineage.table(`${source}.${dataset}`)),
        ...[...new Set([...model.refs, ...model.changes])].map((ref) => lineage.table(ref)),
      ],
      outputs: [lineage.output(contract.id)],
    },
    async () => {
      const engine = new CountingSqlEngine(deps.engine);
      const ctx = { ...deps, ...request, engine };
      const stats = await materialize(model, ctx, () => deps.clock.now());
      return { ...stats, sql: engine.counts };
    },
    (stats) => ({ outputs: [lineage.output(contract.id, stats, overwrite)] }),
  );
  deps.logger.info(`built ${model.name}`, { ...result });
  return result;
}

/** Seeds are small reference tables kept in `models/seeds/*.csv`; every silver run reloads them. */
export async function loadSeeds({
  engine,
  project,
}: Pick<LayerDeps, 'engine' | 'project'>): Promise<void> {
  const d = engine.dialect;
  for (const seed of project.seeds) {
    const columns = seed.columns.map((c) => d.quote(c)).join(', ');
    const rows = seed.rows
      .map((r) => `(${r.map((v) => (v === '' ? 'null' : d.string(v))).join(', ')})`)
      .join(',\n');
    const select =
      seed.rows.length > 0
        ? `select * from (values ${rows}) as seed(${columns})`
        : `select ${seed.columns.map((c) => `cast(null as varchar) as ${d.quote(c)}`).join(', ')} where 1 = 0`;
    for (const statement of d.createOrReplaceTableAs(d.relation(seed.name), select))
      await engine.execute(statement);
  }
}
