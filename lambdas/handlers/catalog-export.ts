/**
 * EventBridge schedule handler (`backup.catalogExport.schedule`): exports the project's Glue
 * databases and tables to the audit bucket (`core/backup/catalog-export.ts`). The scheduled
 * event carries nothing the export needs.
 */
import {
  exportCatalog,
  type CatalogExportPorts,
  type CatalogExportSummary,
} from '../core/backup/catalog-export';
import type { Clock, Logger } from '../core/ports';

export function createCatalogExportHandler(deps: {
  readonly ports: CatalogExportPorts;
  readonly databasePrefix: string;
  readonly clock: Pick<Clock, 'now'>;
  readonly logger: Logger;
}) {
  return async (): Promise<CatalogExportSummary> => {
    const summary = await exportCatalog(deps.ports, {
      databasePrefix: deps.databasePrefix,
      now: deps.clock.now(),
    });
    deps.logger.info('Catalog exported', { ...summary });
    return summary;
  };
}
