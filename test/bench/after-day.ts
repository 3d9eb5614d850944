/**
 * What the bench does after each day, in a process of its own so that neither its time nor its
 * memory counts against the platform's run: the result checksums and, with `--floor`, the replay
 * of the day's statements (with their bytes estimate) and the ingestion floor.
 * `tsx test/bench/after-day.ts <input.json> <output.json>`; `bench.ts` writes the input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadProject } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';
import type { RecordedStatement } from '../../lambdas/core/recording-engine';
import { resultChecksums, type TableChecksum } from './checksums';
import { replayFloor, stateOfStep, type FloorReplay } from './floor';
import { measureIngestFloor, type IngestBranchFloor, type IngestStates } from './ingest-floor';
import type { SentStatement } from './statements';

export interface AfterDayInput {
  readonly lakeRoot: string;
  /** The lakehouse as the day ended, for the checksums. */
  readonly lakehouseFile: string;
  readonly floor?: {
    readonly runId: string;
    readonly runDate: string;
    /** A copy of the lakehouse as the day started, replayed on. */
    readonly lakehouseCopy: string;
    readonly temp: string;
    readonly statements: readonly RecordedStatement[];
    readonly sent: readonly SentStatement[];
    readonly before: IngestStates;
    readonly after: IngestStates;
    /** How many of the slowest replayed statements to report. */
    readonly slowest: number;
  };
}

export interface AfterDayOutput {
  readonly checksums: Record<string, TableChecksum>;
  readonly floor?: FloorReplay;
  readonly ingest?: IngestBranchFloor[];
}

const [inputFile, outputFile] = process.argv.slice(2);
if (!inputFile || !outputFile) throw new Error('usage: after-day.ts <input.json> <output.json>');
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as AfterDayInput;
const project = await loadProject({ root: projectRoot });
const bronze = project.contracts.all().filter((c) => c.layer === 'bronze');
const { floor } = input;
const output: AfterDayOutput = {
  checksums: await resultChecksums(input.lakehouseFile, project.contracts.all()),
  ...(floor
    ? {
        floor: await replayFloor({
          lakeRoot: input.lakeRoot,
          lakehouseFile: floor.lakehouseCopy,
          bronze,
          settings: project.config.engine,
          temp: floor.temp,
          statements: floor.statements,
          sent: floor.sent,
          slowest: floor.slowest,
        }),
        ingest: await measureIngestFloor({
          lakeRoot: input.lakeRoot,
          project,
          runId: floor.runId,
          runDate: floor.runDate,
          before: floor.before,
          after: floor.after,
          stateOfStep,
          settings: { threads: project.config.engine.threads, memoryLimit: '1GB' },
          temp: floor.temp,
        }),
      }
    : {}),
};
writeFileSync(outputFile, JSON.stringify(output));
