/**
 * Runs every model of a layer in dependency order inside one transaction, so readers see the
 * layer as it was or as it is after the run, never half of it; a crash rolls everything back
 * and the next run starts from the same watermarks.
 */
import type { ContractRegistry } from '../contracts/contract';
import type { Clock, Logger, SqlEngine } from '../ports';
import type { DatasetStats } from '../stats';
import { materialize } from './materialize';
import type { Model, ModelProject } from './project';

export interface LayerDeps {
  readonly engine: SqlEngine;
  readonly contracts: ContractRegistry;
  readonly project: ModelProject;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface LayerRequest {
  readonly layer: Model['layer'];
  readonly runId: string;
  readonly runDate: string;
}

export async function runLayer(deps: LayerDeps, request: LayerRequest): Promise<DatasetStats[]> {
  const { engine, project } = deps;
  const snapshotAt = deps.clock.now().toISOString();
  const ctx = { ...deps, runId: request.runId, runDate: request.runDate, snapshotAt };
  return engine.transaction(async () => {
    if (request.layer === 'silver') await loadSeeds(deps);
    const stats: DatasetStats[] = [];
    for (const model of project.layer(request.layer)) {
      deps.logger.info(`building ${model.name}`, {
        model: model.name,
        materialization: model.config.materialization,
      });
      const result = await materialize(model, ctx, () => deps.clock.now());
      deps.logger.info(`built ${model.name}`, { ...result });
      stats.push(result);
    }
    return stats;
  });
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
    await engine.execute(d.createOrReplaceTableAs(d.relation(seed.name), select));
  }
}
