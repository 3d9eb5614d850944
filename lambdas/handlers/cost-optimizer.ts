/**
 * The cost optimizer, on EventBridge's schedule shortly before the weekly cost report or on demand
 * (`{"asOf": "2026-03-16"}` as the invocation's payload): records thirty days of CloudWatch metrics
 * of the platform's buckets, functions and state machines and each bucket's lifecycle rules into
 * `reports/cost/<asOf>/recording/`, where the cost report of the same day reads them and advises
 * from them (`core/cost/storage.ts`, `core/cost/idle.ts`).
 */
import * as z from 'zod';
import {
  optimizerFiles,
  recordOptimizer,
  type LifecycleSource,
  type MetricDataSource,
  type OptimizerTargets,
} from '../core/cost/optimizer';
import type { Clock, Logger, ObjectStore } from '../core/ports';

export interface CostOptimizerDeps {
  readonly metrics: MetricDataSource;
  readonly lifecycle: LifecycleSource;
  readonly targets: OptimizerTargets;
  /** The reports bucket as `reports/...` keys. */
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A scheduled event carries nothing of use; an on-demand call may name the report's day. */
const eventSchema = z.looseObject({ asOf: z.iso.date().optional() });

export interface CostOptimizerResult {
  readonly asOf: string;
  readonly keys: readonly string[];
  readonly queries: number;
  /** Buckets without a lifecycle configuration. */
  readonly withoutLifecycle: readonly string[];
}

export function createCostOptimizerHandler(deps: CostOptimizerDeps) {
  return async (event: unknown): Promise<CostOptimizerResult> => {
    const { asOf = deps.clock.now().toISOString().slice(0, 10) } = eventSchema.parse(event ?? {});
    const recording = await recordOptimizer(
      { metrics: deps.metrics, lifecycle: deps.lifecycle },
      asOf,
      deps.targets,
    );
    const keys: string[] = [];
    for (const [name, content] of Object.entries(optimizerFiles(recording))) {
      const key = `reports/cost/${asOf}/recording/${name}`;
      await deps.store.putText(key, `${JSON.stringify(content, null, 1)}\n`);
      keys.push(key);
    }
    const result = {
      asOf,
      keys,
      queries: recording.queries.length,
      withoutLifecycle: Object.entries(recording.lifecycle)
        .filter(([, rules]) => rules === null)
        .map(([role]) => role),
    };
    deps.logger.info('Cost optimizer recorded', { ...result, keys: keys.length });
    return result;
  };
}
