/** Task handler: builds one layer's models (bronze→silver or silver→gold) in one transaction. */
import * as z from 'zod';
import { runLayer, type LayerDeps } from '../core/models/layer';
import type { TaskResult } from '../core/stats';
import { buildStep } from '../core/tasks';
import { resolveRunDate } from '../core/time';
import { parseTaskInput, pipelineContext, taskInputSchema } from './task-input';

const inputSchema = taskInputSchema.extend({ layer: z.enum(['silver', 'gold']) });

export function createTransformHandler(deps: LayerDeps) {
  return async (event: unknown): Promise<TaskResult> => {
    const input = parseTaskInput(inputSchema, event, 'transform');
    const runDate = resolveRunDate(input.request.date, input.startedAt, deps.clock.now());
    const datasets = await runLayer(deps, {
      layer: input.layer,
      ...pipelineContext(input, runDate),
    });
    return { step: buildStep(input.layer), datasets };
  };
}
