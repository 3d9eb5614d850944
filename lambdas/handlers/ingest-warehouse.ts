/** Task handler: incremental extraction of every dataset of a warehouse source into bronze. */
import * as z from 'zod';
import type { PlatformConfig } from '../../config/schema';
import type { ContractRegistry } from '../core/contracts/contract';
import type { IngestLedger } from '../core/ingest/bronze';
import type { LineageEmitter } from '../core/lineage/events';
import { ingestStep } from '../core/tasks';
import { ingestWarehouseDataset } from '../core/ingest/warehouse';
import type { Clock, Logger, WarehouseClient } from '../core/ports';
import type { TaskResult } from '../core/stats';
import { resolveRunDate } from '../core/time';
import {
  ingestEach,
  parseTaskInput,
  pipelineContext,
  sourceOf,
  taskInputSchema,
} from './task-input';

export interface IngestWarehouseDeps {
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
  readonly warehouse: (source: string) => WarehouseClient;
  readonly ledger: IngestLedger;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly lineage: LineageEmitter;
}

const inputSchema = taskInputSchema.extend({ source: z.string() });

export function createIngestWarehouseHandler(deps: IngestWarehouseDeps) {
  return async (event: unknown): Promise<TaskResult> => {
    const input = parseTaskInput(inputSchema, event, 'ingest-warehouse');
    const source = sourceOf(deps.config, input.source, 'warehouse');
    const runDate = resolveRunDate(input.request.date, input.startedAt, deps.clock.now());
    const warehouse = deps.warehouse(input.source);
    const datasets = await ingestEach(
      source.datasets,
      { ...deps, source: input.source, context: pipelineContext(input, runDate) },
      (dataset, settings) =>
        ingestWarehouseDataset(
          { warehouse, ledger: deps.ledger, clock: deps.clock },
          {
            source: input.source,
            dataset,
            table: settings.table,
            watermarkColumn: settings.watermark,
            contract: deps.contracts.get(`${input.source}.${dataset}`),
            runId: input.runId,
            runDate,
          },
        ),
    );
    return { step: ingestStep(input.source), datasets };
  };
}
