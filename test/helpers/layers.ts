import {
  buildModel,
  planLayer,
  type LayerDeps,
  type LayerRequest,
} from '../../lambdas/core/models/layer';
import type { DatasetStats } from '../../lambdas/core/stats';

/** Builds a layer as its state machine does, in-process: the plan, then each model level by level. */
export async function buildLayer(
  deps: Omit<LayerDeps, 'concurrency'>,
  request: LayerRequest,
): Promise<DatasetStats[]> {
  const layerDeps = { ...deps, concurrency: 1 };
  const plan = await planLayer(layerDeps, request);
  const stats: DatasetStats[] = [];
  for (const model of plan.levels.flat())
    stats.push(await buildModel(layerDeps, { ...request, model, snapshotAt: plan.snapshotAt }));
  return stats;
}
