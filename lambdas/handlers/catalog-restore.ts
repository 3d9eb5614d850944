/**
 * On-demand handler (`aws lambda invoke`, docs/recovery.md): recreates the project's
 * Glue databases and tables from a catalog export (`core/backup/catalog-restore.ts`) and returns
 * what it created, updated, left unchanged and skipped, with reasons.
 */
import {
  restoreCatalog,
  type CatalogRestorePorts,
  type CatalogRestoreSummary,
} from '../core/backup/catalog-restore';
import type { Logger } from '../core/ports';

export function createCatalogRestoreHandler(deps: {
  readonly ports: CatalogRestorePorts;
  readonly logger: Logger;
}) {
  return async (event: unknown): Promise<CatalogRestoreSummary> => {
    const summary = await restoreCatalog(deps.ports, event);
    deps.logger.info(summary.dryRun ? 'Catalog restore (dry run)' : 'Catalog restored', {
      ...summary,
    });
    if (summary.skipped.length > 0)
      deps.logger.warn('Catalog restore skipped some databases or tables', {
        skipped: summary.skipped,
      });
    return summary;
  };
}
