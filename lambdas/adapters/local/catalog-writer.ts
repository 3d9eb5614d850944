import type { CatalogWriter, ObjectStore, SqlEngine } from '../../core/ports';

/**
 * The local stand-in for the Glue tables' metadata: one JSON document per table under
 * `catalog/<schema>/<table>.json` in the lake, holding the Parameters and column comments the
 * catalog-sync step writes (merged, as Glue merges nothing but the step sends everything).
 */
export class LocalCatalogWriter implements CatalogWriter {
  constructor(
    private readonly store: ObjectStore,
    private readonly engine: SqlEngine,
  ) {}

  async updateTable(update: Parameters<CatalogWriter['updateTable']>[0]) {
    if (!(await this.engine.relationExists(update.relation))) return 'missing' as const;
    const key = `catalog/${update.relation.replace('.', '/')}.json`;
    const previous = JSON.parse((await this.store.getText(key)) ?? '{}') as {
      parameters?: Record<string, string>;
    };
    await this.store.putText(
      key,
      `${JSON.stringify(
        {
          relation: update.relation,
          parameters: { ...previous.parameters, ...update.parameters },
          columnComments: update.columnComments,
        },
        null,
        2,
      )}\n`,
    );
    return 'updated' as const;
  }
}
