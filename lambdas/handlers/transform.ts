/**
 * Task handler of a layer's fan-out: `{ plan: true, layer }` plans the layer (see
 * {@link planLayer}); `{ model, snapshotAt, runDate }` builds that one model, so that every
 * invocation stays well inside Lambda's 15 minutes.
 */
import * as z from 'zod';
import { buildModel, planLayer, type LayerDeps, type LayerPlan } from '../core/models/layer';
import { asOfDate, rebuildsFromBronze, transformJobs } from '../core/run-dates';
import { RunHistory } from '../core/runs';
import type { TaskResult } from '../core/stats';
import { buildStep } from '../core/tasks';
import { resolveRunDate } from '../core/time';
import { parseTaskInput, pipelineContext, taskInputSchema } from './task-input';

const inputSchema = z.union([
  taskInputSchema.extend({ plan: z.literal(true), layer: z.enum(['silver', 'gold']) }),
  taskInputSchema.extend({
    model: z.string().min(1),
    snapshotAt: z.iso.datetime(),
    /** The plan's {@link LayerPlan.runDate}: the date the layer is built as of. */
    runDate: z.iso.date().optional(),
  }),
]);

export function createTransformHandler(deps: LayerDeps) {
  return async (event: unknown): Promise<LayerPlan | TaskResult> => {
    const input = parseTaskInput(inputSchema, event, 'transform');
    const date = resolveRunDate(input.request.date, input.startedAt, deps.clock.now());
    if ('plan' in input) {
      // The run holds the lake's run lock: no other run completes between the plan and its models.
      const lastCompleted = await new RunHistory(deps.engine).lastCompletedDate(transformJobs);
      const runDate = asOfDate({ ...input.request, date }, lastCompleted);
      const { select, exclude } = input.request;
      return planLayer(deps, {
        layer: input.layer,
        selection: { select, exclude },
        fullChecks: input.request.fullChecks === true,
        ...pipelineContext(input, runDate),
      });
    }
    const stats = await buildModel(deps, {
      model: input.model,
      snapshotAt: input.snapshotAt,
      fullRefresh: rebuildsFromBronze(input.request),
      ...pipelineContext(input, input.runDate ?? date),
    });
    return { step: buildStep(deps.project.get(input.model).layer), datasets: [stats] };
  };
}
