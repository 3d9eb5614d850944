import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingSqlEngine } from '../../lambdas/core/recording-engine';
import { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { runJob } from '../../lambdas/runtime/runner';
import type { Project } from '../../lambdas/definitions/project-files';
import { replayFloor, stateOfStep, stepOfState } from '../bench/floor';
import { measureIngestFloor, readIngestStates } from '../bench/ingest-floor';
import { StatementLog } from '../bench/statements';
import { silentLogger } from '../helpers/clock';
import { day1, day2, sampleLake, testProject } from '../helpers/lake';

/** Row count and an order-free hash of every silver and gold relation (versions aside) of a file. */
async function checksums(file: string): Promise<Record<string, string>> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`attach '${file}' as lake (read_only); use lake;`);
    const relations = (
      await connection.runAndReadAll(
        `select schema_name || '.' || table_name from duckdb_tables() where database_name = 'lake' and schema_name in ('silver', 'gold')
         union all select schema_name || '.' || view_name from duckdb_views() where database_name = 'lake' and schema_name in ('silver', 'gold')`,
      )
    )
      .getRows()
      .map(([r]) => String(r))
      .filter((r) => !/__v\d/.test(r))
      .sort();
    const sums: Record<string, string> = {};
    for (const relation of relations) {
      const [[n, hash]] = (
        await connection.runAndReadAll(
          `select count(*), coalesce(sum(hash(columns(*))::hugeint), 0) from ${relation}`,
        )
      ).getRows() as [[unknown, unknown]];
      sums[relation] = `${String(n)} rows, ${String(hash)}`;
    }
    return sums;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('the bench floor', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let project: Project;
  beforeAll(async () => {
    lake = await sampleLake(300);
    project = await testProject();
  });
  afterAll(() => lake.cleanup());

  it('replays each day’s recorded data statements into the same silver and gold as the platform, and extracts the same bronze rows', async () => {
    const file = path.join(lake.lakeRoot, 'lakehouse.duckdb');
    for (const date of [day1, day2]) {
      await (
        await LocalPlatform.open(project, { lakeRoot: lake.lakeRoot, logger: silentLogger })
      ).close();
      const before = path.join(lake.lakeRoot, `before-${date}.duckdb`);
      copyFileSync(file, before);
      const statesBefore = readIngestStates(lake.lakeRoot);
      let recording: RecordingSqlEngine | undefined;
      let log: StatementLog | undefined;
      const platform = await LocalPlatform.open(project, {
        lakeRoot: lake.lakeRoot,
        logger: silentLogger,
        decorateEngine: (engine) =>
          (log = new StatementLog(
            (recording = new RecordingSqlEngine(engine, () => 'daily')),
            () => 'daily',
          )),
      });
      const outcome = await runJob(platform, 'daily', { runDate: date, retryIntervalMs: 0 });
      await platform.close();
      expect(outcome.status).toBe('succeeded');
      const statements = recording!.take();
      expect(statements.length).toBeGreaterThan(0);
      const sent = log!.take();
      expect(sent.length).toBe(outcome.sql.statements);

      // Each warehouse and Kafka branch's floor wrote the rows the run wrote to bronze (it throws
      // otherwise), and together they are every bronze row of those branches.
      const branches = await measureIngestFloor({
        lakeRoot: lake.lakeRoot,
        project,
        runId: outcome.runId,
        runDate: date,
        before: statesBefore,
        after: readIngestStates(lake.lakeRoot),
        stateOfStep,
        settings: { threads: 1, memoryLimit: '512MB' },
        temp: path.join(lake.lakeRoot, '_tmp', 'ingest-floor'),
      });
      expect(branches.map((b) => b.state).sort()).toEqual([
        'KafkaToBronze',
        'RedshiftToBronze',
        'SnowflakeToBronze',
      ]);
      const bronzeRows = (step: string) =>
        outcome.steps.filter((s) => s.step === step).reduce((n, s) => n + s.rowsOut, 0);
      for (const branch of branches) {
        expect(branch.rows).toBeGreaterThan(0);
        expect(branch.rows).toBe(bronzeRows(stepOfState[branch.state]!));
      }

      const replay = await replayFloor({
        lakeRoot: lake.lakeRoot,
        lakehouseFile: before,
        bronze: project.contracts.all().filter((c) => c.layer === 'bronze'),
        settings: { threads: 1, memoryLimit: '512MB' },
        temp: path.join(lake.lakeRoot, '_tmp', 'floor'),
        statements,
        sent,
        slowest: 3,
      });
      expect(replay.statements).toBe(statements.length);
      // The slowest data statements, slowest first, each with the step that sent it.
      expect(replay.slowest).toHaveLength(3);
      expect(replay.slowest.map((s) => s.seconds)).toEqual(
        replay.slowest.map((s) => s.seconds).sort((a, b) => b - a),
      );
      for (const s of replay.slowest) {
        expect(s.step).toBe('daily');
        expect(statements.map((r) => r.sql)).toContain(s.sql);
      }
      expect(Object.keys(replay.steps)).toEqual(['daily']);
      expect(replay.scanned!.daily!.bytes).toBeGreaterThan(0);
      expect(replay.fallbacks).toBe(0);

      const platformSums = await checksums(file);
      expect(Object.keys(platformSums)).toContain('gold.fact_orders');
      expect(await checksums(before)).toEqual(platformSums);
    }
  });
});
