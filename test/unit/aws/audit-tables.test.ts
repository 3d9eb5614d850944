import { GetTablesCommand, GlueClient, ThrottlingException } from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaAuditTables } from '../../../lambdas/adapters/aws/audit-tables';
import { auditTables } from '../../../lambdas/core/audit';
import { TransientError } from '../../../lambdas/core/errors';
import type { SqlEngine } from '../../../lambdas/core/ports';

const glue = mockClient(GlueClient);
const location = 's3://medallion-dev-audit-111111111111-eu-west-1/tables/';

/** An engine that only records the statements it is given. */
function recordingEngine(): SqlEngine & { statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    execute: async (sql) => (statements.push(sql), 0),
  } as SqlEngine & { statements: string[] };
}

const table = (name: string, columns = auditTables[name]!.columns.map(([c]) => c)) => ({
  Name: name,
  StorageDescriptor: { Columns: columns.map((Name) => ({ Name })) },
});

describe('audit tables on AWS', () => {
  beforeEach(() => glue.reset());
  const owner = (engine: SqlEngine) =>
    new AthenaAuditTables(new GlueClient({}), engine, {
      project: 'medallion',
      env: 'dev',
      location,
    });

  it('creates every missing table as Iceberg in its own folder, idempotently', async () => {
    glue.on(GetTablesCommand).resolves({ TableList: [] });
    const engine = recordingEngine();
    const { created } = await owner(engine).ensure();
    expect(created.sort()).toEqual(Object.keys(auditTables).sort());
    expect(glue.commandCalls(GetTablesCommand)[0]!.args[0].input).toEqual({
      DatabaseName: 'medallion_dev_audit',
    });
    const runs = engine.statements.find((s) => s.includes('`runs`'))!;
    expect(runs).toMatch(
      /^CREATE TABLE IF NOT EXISTS `medallion_dev_audit`\.`runs` \(`run_id` string COMMENT /,
    );
    expect(runs).toContain('`started_at` timestamp');
    expect(runs).toContain(`LOCATION '${location}runs/'`);
    expect(runs).toContain("TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet')");
  });

  it('adds the columns a table lacks and never rewrites one that is complete', async () => {
    const runColumns = auditTables.runs!.columns.map(([c]) => c);
    glue
      .on(GetTablesCommand)
      .resolvesOnce({
        TableList: [
          table(
            'runs',
            runColumns.filter((c) => c !== 'error'),
          ),
        ],
        NextToken: 'page-2',
      })
      .resolves({
        TableList: Object.keys(auditTables)
          .filter((t) => t !== 'runs')
          .map((t) => table(t)),
      });
    const engine = recordingEngine();
    expect(await owner(engine).ensure()).toEqual({ created: [], altered: ['runs'] });
    expect(glue.commandCalls(GetTablesCommand)[1]!.args[0].input).toMatchObject({
      NextToken: 'page-2',
    });
    expect(engine.statements).toEqual([
      "ALTER TABLE `medallion_dev_audit`.`runs` ADD COLUMNS (`error` string COMMENT 'Why it failed.')",
    ]);
  });

  it('does nothing but one Glue call when every table is in place', async () => {
    glue
      .on(GetTablesCommand)
      .resolves({ TableList: Object.keys(auditTables).map((t) => table(t)) });
    const engine = recordingEngine();
    expect(await owner(engine).ensure()).toEqual({ created: [], altered: [] });
    expect(engine.statements).toEqual([]);
  });

  it('a throttled Glue call is transient, so the task retries', async () => {
    glue
      .on(GetTablesCommand)
      .rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    await expect(owner(recordingEngine()).ensure()).rejects.toBeInstanceOf(TransientError);
  });
});
