import { GetTablesCommand, type GlueClient } from '@aws-sdk/client-glue';
import { publishedAtParameter } from '../../core/freshness-probe';
import type { PublishTimes } from '../../core/ports';
import { glueTableName } from './athena-dialect';
import { apiError } from './athena-engine';

/**
 * Last publish times from the Glue catalog: GetTables over each database the relations live in
 * (every page; one call for the gold layer's handful of tables), reading the parameter
 * catalog-sync writes. Not the tables' `UpdateTime`: every Iceberg commit (compaction and vacuum
 * by maintenance included) and catalog-sync's own UpdateTable move it, so it says when the table
 * last changed, not when a run last published it.
 * https://docs.aws.amazon.com/glue/latest/webapi/API_GetTables.html
 */
export class GluePublishTimes implements PublishTimes {
  constructor(
    private readonly glue: GlueClient,
    private readonly project: string,
    private readonly env: string,
  ) {}

  async lastPublished(relations: readonly string[]): Promise<Map<string, string>> {
    const byDatabase = new Map<string, Map<string, string>>();
    for (const relation of relations) {
      const { database, table } = glueTableName(this.project, this.env, relation);
      byDatabase.set(database, (byDatabase.get(database) ?? new Map()).set(table, relation));
    }
    const found = new Map<string, string>();
    for (const [database, wanted] of byDatabase) {
      let token: string | undefined;
      do {
        const page = await this.glue
          .send(new GetTablesCommand({ DatabaseName: database, NextToken: token }))
          .catch((error: unknown) => {
            throw apiError(`Glue GetTables ${database}`, error);
          });
        for (const table of page.TableList ?? []) {
          const relation = wanted.get(table.Name ?? '');
          const at = table.Parameters?.[publishedAtParameter];
          if (relation && at) found.set(relation, at);
        }
        token = page.NextToken;
      } while (token);
    }
    return found;
  }
}
