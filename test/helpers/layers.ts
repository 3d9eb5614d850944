import {
  buildModel,
  planLayer,
  type LayerDeps,
  type LayerRequest,
  type ModelRequest,
} from '../../lambdas/core/models/layer';
import type { DatasetStats } from '../../lambdas/core/stats';

/**
 * Builds a layer as its state machine does, in-process: the plan, then each model level by level.
 * `around` wraps each model's build, to measure what that model alone costs.
 */
export async function buildLayer(
  deps: Omit<LayerDeps, 'concurrency'>,
  request: LayerRequest & Pick<ModelRequest, 'fullRefresh'>,
  around: (model: string, build: () => Promise<DatasetStats>) => Promise<DatasetStats> = (_, b) =>
    b(),
): Promise<DatasetStats[]> {
  const layerDeps = { ...deps, concurrency: 1 };
  const plan = await planLayer(layerDeps, request);
  const stats: DatasetStats[] = [];
  for (const model of plan.levels.flat())
    stats.push(
      await around(model, () =>
        buildModel(layerDeps, { ...request, model, snapshotAt: plan.snapshotAt }),
      ),
    );
  return stats;
}
