/**
 * Task handler of a layer's fan-out: `{ plan: true, layer }` plans the layer (see
 * {@link planLayer}); `{ model, snapshotAt }` builds that one model, so that every invocation
 * stays well inside Lambda's 15 minutes.
 */
import * as z from 'zod';
import { buildModel, planLayer, type LayerDeps, type LayerPlan } from '../core/models/layer';
import type { TaskResult } from '../core/stats';
import { buildStep } from '../core/tasks';
import { resolveRunDate } from '../core/time';
import { parseTaskInput, pipelineContext, taskInputSchema } from './task-input';

const inputSchema = z.union([
  taskInputSchema.extend({ plan: z.literal(true), layer: z.enum(['silver', 'gold']) }),
  taskInputSchema.extend({ model: z.string().min(1), snapshotAt: z.iso.datetime() }),
]);

export function createTransformHandler(deps: LayerDeps) {
  return async (event: unknown): Promise<LayerPlan | TaskResult> => {
    const input = parseTaskInput(inputSchema, event, 'transform');
    const runDate = resolveRunDate(input.request.date, input.startedAt, deps.clock.now());
    const context = pipelineContext(input, runDate);
    if ('plan' in input) return planLayer(deps, { layer: input.layer, ...context });
    const stats = await buildModel(deps, {
      model: input.model,
      snapshotAt: input.snapshotAt,
      ...context,
    });
    return { step: buildStep(deps.project.get(input.model).layer), datasets: [stats] };
  };
}
