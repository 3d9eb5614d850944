/** Task handler: ingests the files dropped into the landing zone of every contracted dataset. */
import type { ContractRegistry } from '../core/contracts/contract';
import type { IngestLedger } from '../core/ingest/bronze';
import type { LineageEmitter } from '../core/lineage/events';
import { ingestStep } from '../core/tasks';
import { resolveRunDate } from '../core/time';
import { ingestLandingDataset, landingFolder } from '../core/ingest/landing';
import type { Clock, LandingConverter, Logger, ObjectStore } from '../core/ports';
import { stepNotes, type DatasetStats, type TaskResult } from '../core/stats';
import { parseTaskInput, pipelineContext, taskInputSchema } from './task-input';

export interface IngestLandingDeps {
  readonly contracts: ContractRegistry;
  readonly store: ObjectStore;
  readonly converter: LandingConverter;
  readonly ledger: IngestLedger;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly lineage: LineageEmitter;
}

export function createIngestLandingHandler(deps: IngestLandingDeps) {
  return async (event: unknown): Promise<TaskResult> => {
    const input = parseTaskInput(taskInputSchema, event, 'ingest-landing');
    const context = pipelineContext(
      input,
      resolveRunDate(input.request.date, input.startedAt, deps.clock.now()),
    );
    const files = await deps.store.list('landing/');
    const datasets: DatasetStats[] = [];
    const unclaimed = new Set(
      files
        .filter((k) => !/\/(processed|rejected)\//.test(k))
        .map((k) => k.split('/').slice(0, 3).join('/') + '/'),
    );
    for (const contract of deps.contracts.all().filter((c) => c.layer === 'bronze')) {
      const [source, dataset] = contract.id.split('.') as [string, string];
      const folder = landingFolder(source, dataset);
      if (!unclaimed.delete(folder)) continue;
      const stats = await deps.lineage.ingest(context, { source, dataset, from: 'landing' }, () =>
        ingestLandingDataset(deps, {
          source,
          dataset,
          contract,
          runId: input.runId,
        }),
      );
      stepNotes(stats).forEach((note) => deps.logger.warn(note, { dataset: stats.dataset }));
      datasets.push(stats);
    }
    for (const folder of unclaimed)
      deps.logger.warn(`${folder} matches no bronze contract: its files were left in place`, {
        folder,
      });
    return { step: ingestStep('landing'), datasets };
  };
}
