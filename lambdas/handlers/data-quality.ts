/** Task handler: the quality gate after a layer; the state machine's Choice state reads `gate`. */
import * as z from 'zod';
import { checkLayerQuality, type LayerQualityDeps, type QualityGateResult } from '../core/dq/layer';
import { resolveRunDate } from '../core/time';
import { parseTaskInput, pipelineContext, taskInputSchema } from './task-input';

const inputSchema = taskInputSchema.extend({
  layer: z.enum(['silver', 'gold']),
  /** The layer plan's `runDate`: the date the layer was built as of. */
  runDate: z.iso.date().optional(),
  /** The layer plan's `selected`: the models a selective run built, `null` for the whole layer. */
  selected: z.array(z.string().min(1)).nullable().optional(),
  /** The layer plan's `gateScope`: what the gate re-reads (see `core/dq/scope.ts`). */
  scope: z
    .object({
      full: z.string().nullable(),
      merged: z.array(
        z.object({
          relation: z.string().min(1),
          uniqueKey: z.array(z.string().min(1)).nullable(),
          quarantine: z.string().min(1).nullable(),
          // A plan of an earlier version has none: every SQL rule reads its scope.
          firstBuild: z.boolean().default(false),
          // A plan of an earlier version has none: references to the dataset are checked whole.
          changeFeed: z.string().min(1).nullable().optional(),
        }),
      ),
    })
    .nullable()
    .optional(),
});

export function createDataQualityHandler(deps: LayerQualityDeps) {
  return async (event: unknown): Promise<QualityGateResult> => {
    const input = parseTaskInput(inputSchema, event, 'data-quality');
    const runDate =
      input.runDate ?? resolveRunDate(input.request.date, input.startedAt, deps.clock.now());
    return checkLayerQuality(deps, {
      layer: input.layer,
      selected: input.selected,
      scope: input.scope,
      ...pipelineContext(input, runDate),
    });
  };
}
