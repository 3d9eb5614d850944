/**
 * Runs every model of a layer in dependency order. Each model publishes in one transaction
 * (its rows, its quarantine, its change feed and its watermarks together), the way each Iceberg
 * table commits on AWS: readers see a table as it was or as it is after the run, never half of
 * it, and after a crash every model resumes from its own watermarks, so the next run converges
 * to the same result.
 */
import type { ContractRegistry } from '../contracts/contract';
import type { LineageEmitter, PipelineContext } from '../lineage/events';
import type { Clock, Logger, SqlEngine } from '../ports';
import type { DatasetStats } from '../stats';
import { materialize } from './materialize';
import type { Model, ModelProject } from './project';

export interface LayerDeps {
  readonly engine: SqlEngine;
  readonly lineage: LineageEmitter;
  readonly contracts: ContractRegistry;
  readonly project: ModelProject;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface LayerRequest extends PipelineContext {
  readonly layer: Model['layer'];
}

export async function runLayer(deps: LayerDeps, request: LayerRequest): Promise<DatasetStats[]> {
  const { engine, project } = deps;
  const snapshotAt = deps.clock.now().toISOString();
  const ctx = { ...deps, runId: request.runId, runDate: request.runDate, snapshotAt };
  await engine.refreshSources();
  if (request.layer === 'silver') await engine.transaction(() => loadSeeds(deps));
  const stats: DatasetStats[] = [];
  for (const model of project.layer(request.layer)) {
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
      () => materialize(model, ctx, () => deps.clock.now()),
      (stats) => ({ outputs: [lineage.output(contract.id, stats, overwrite)] }),
    );
    deps.logger.info(`built ${model.name}`, { ...result });
    stats.push(result);
  }
  return stats;
}

/** Seeds are small reference tables kept in `models/seeds/*.csv`; every silver run reloads them. */
async function loadSeeds({ engine, project }: LayerDeps): Promise<void> {
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
