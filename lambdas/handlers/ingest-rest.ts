/** Task handler: paginated extraction of every dataset of a REST source into bronze. */
import * as z from 'zod';
import type { PlatformConfig } from '../../config/schema';
import type { ContractRegistry } from '../core/contracts/contract';
import type { IngestLedger } from '../core/ingest/bronze';
import type { LineageEmitter } from '../core/lineage/events';
import { ingestStep } from '../core/tasks';
import { ingestRestDataset } from '../core/ingest/rest';
import type { Clock, HttpClient, Logger, ParquetSink } from '../core/ports';
import type { TaskResult } from '../core/stats';
import { resolveRunDate } from '../core/time';
import {
  ingestEach,
  parseTaskInput,
  pipelineContext,
  sourceOf,
  taskInputSchema,
} from './task-input';

export interface IngestRestDeps {
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
  readonly http: HttpClient;
  /** Where the API lives and the token to call it with (a secret on AWS, the simulator locally). */
  readonly endpoint: (source: string) => Promise<{ baseUrl: string; token: string | undefined }>;
  readonly sink: ParquetSink;
  readonly ledger: IngestLedger;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly lineage: LineageEmitter;
}

const inputSchema = taskInputSchema.extend({ source: z.string() });

export function createIngestRestHandler(deps: IngestRestDeps) {
  return async (event: unknown): Promise<TaskResult> => {
    const input = parseTaskInput(inputSchema, event, 'ingest-rest');
    const source = sourceOf(deps.config, input.source, 'rest');
    const runDate = resolveRunDate(input.request.date, input.startedAt, deps.clock.now());
    const { baseUrl, token } = await deps.endpoint(input.source);
    const datasets = await ingestEach(
      source.datasets,
      { ...deps, source: input.source, context: pipelineContext(input, runDate) },
      (dataset, settings) =>
        ingestRestDataset(deps, {
          source: input.source,
          dataset,
          baseUrl,
          path: settings.path,
          watermarkField: settings.watermark,
          pageSize: source.pageSize,
          token,
          timeoutMs: source.timeoutMs,
          retry: source.retry,
          contract: deps.contracts.get(`${input.source}.${dataset}`),
          runId: input.runId,
          runDate,
        }),
    );
    return { step: ingestStep(input.source), datasets };
  };
}
