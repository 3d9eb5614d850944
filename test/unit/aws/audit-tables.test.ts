import {
  EntityNotFoundException,
  GetTableCommand,
  GlueClient,
  ThrottlingException,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { HiveSQL } from 'dt-sql-parser';
import { beforeEach, describe, expect, it } from 'vitest';
import { AthenaAuditTables } from '../../../lambdas/adapters/aws/audit-tables';
import { auditTables, type AuditTableName } from '../../../lambdas/core/audit';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import type { SqlEngine } from '../../../lambdas/core/ports';
import { tasks } from '../../../lambdas/core/tasks';
import { expectDeclaredCommands } from '../../helpers/declared-calls';
import { auditTablesIam } from '../../../lambdas/adapters/aws/iam-calls';

const glue = mockClient(GlueClient);
/** Athena runs CREATE TABLE (without AS) and ALTER TABLE as Hive DDL. */
const hive = new HiveSQL();
expectDeclaredCommands('AthenaAuditTables', glue, auditTablesIam.actions);
const location = 's3://medallion-dev-audit-111111111111-eu-west-1/tables/';
const missing = new EntityNotFoundException({ message: 'no such table', $metadata: {} });

/** An engine that only records the statements it is given. */
function recordingEngine(): SqlEngine & { statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    execute: async (sql) => (statements.push(sql), 0),
  } as SqlEngine & { statements: string[] };
}

const table = (name: AuditTableName, columns = auditTables[name].columns.map(([c]) => c)) => ({
  Table: {
    Name: name,
    DatabaseName: 'medallion_dev_audit',
    StorageDescriptor: { Columns: columns.map((Name) => ({ Name })) },
  },
});

describe('audit tables on AWS', () => {
  beforeEach(() => glue.reset());
  const owner = (engine: SqlEngine) =>
    new AthenaAuditTables(new GlueClient({}), engine, {
      project: 'medallion',
      env: 'dev',
      location,
    });

  it('creates a missing table as Iceberg in its own folder, with Athena’s documented DDL', async () => {
    glue.on(GetTableCommand).rejects(missing);
    const engine = recordingEngine();
    const { created } = await owner(engine).ensure(tasks.RecordRun.auditTables);
    expect(created).toEqual(['runs', 'run_datasets', 'contract_versions']);
    expect(glue.commandCalls(GetTableCommand)[0]!.args[0].input).toEqual({
      DatabaseName: 'medallion_dev_audit',
      Name: 'runs',
    });
    const [runs] = engine.statements;
    expect(runs).toMatch(/^CREATE TABLE `medallion_dev_audit`\.`runs` \(`run_id` string COMMENT /);
    expect(runs).toContain('`started_at` timestamp');
    expect(runs).toContain(`LOCATION '${location}runs/'`);
    expect(runs).toContain("TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet')");
    for (const statement of engine.statements) expect(hive.validate(statement)).toEqual([]);
  });

  it('a create that loses the race to another function is no error; one that fails for another reason is', async () => {
    glue
      .on(GetTableCommand, { Name: 'model_state' })
      .rejectsOnce(missing)
      .resolves(table('model_state'));
    const racing = {
      execute: async () => {
        throw new PipelineError('Athena query q-1 failed: Table already exists');
      },
    } as unknown as SqlEngine;
    expect(await owner(racing).ensure(['model_state'])).toEqual({ created: [], altered: [] });
    glue.reset();
    glue.on(GetTableCommand).rejects(missing);
    await expect(owner(racing).ensure(['model_state'])).rejects.toThrow(/already exists/);
  });

  it('adds the columns a table lacks and never rewrites one that is complete', async () => {
    const runColumns = auditTables.runs.columns.map(([c]) => c);
    glue.on(GetTableCommand, { Name: 'runs' }).resolves(
      table(
        'runs',
        runColumns.filter((c) => c !== 'error'),
      ),
    );
    glue.on(GetTableCommand, { Name: 'run_datasets' }).resolves(table('run_datasets'));
    const engine = recordingEngine();
    expect(await owner(engine).ensure(['runs', 'run_datasets'])).toEqual({
      created: [],
      altered: ['runs'],
    });
    expect(engine.statements).toEqual([
      "ALTER TABLE `medallion_dev_audit`.`runs` ADD COLUMNS (`error` string COMMENT 'Why it failed.')",
    ]);
    expect(hive.validate(engine.statements[0]!)).toEqual([]);
  });

  it('touches only the tables its task writes, and runs no statement when they are in place', async () => {
    glue.on(GetTableCommand, { Name: 'model_state' }).resolves(table('model_state'));
    const engine = recordingEngine();
    expect(await owner(engine).ensure(tasks.Transform.auditTables)).toEqual({
      created: [],
      altered: [],
    });
    expect(glue.commandCalls(GetTableCommand).map((c) => c.args[0].input.Name)).toEqual([
      'model_state',
    ]);
    expect(engine.statements).toEqual([]);
  });

  it('a throttled Glue call is transient, so the task retries', async () => {
    glue
      .on(GetTableCommand)
      .rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    await expect(owner(recordingEngine()).ensure(['runs'])).rejects.toBeInstanceOf(TransientError);
  });
});
