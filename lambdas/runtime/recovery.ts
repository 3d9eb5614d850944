/**
 * Recovery of a local lake: restoring a backup together with the data subject requests made since
 * it, gold's content as checksums to compare, and the DR drill that measures RTO and RPO by
 * losing a lake and getting it back.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDbLakehouse } from '../adapters/duckdb/engine';
import { PrivacyKeyFile } from '../adapters/local/privacy-key-file';
import { checksumDifferences, type TableChecksum } from '../core/backup';
import { PipelineError } from '../core/errors';
import type { Logger } from '../core/ports';
import { parseRequestLog, rememberedErasures } from '../core/privacy/requests';
import { catchUpDates, transformJobs } from '../core/run-dates';
import { RunHistory } from '../core/runs';
import type { Project } from '../definitions/project-files';
import { createBackup, restoreBackup, type BackupKeyProvider, type RestoreResult } from './backup';
import { replayErasures, requestLogKey } from './dsr';
import { generateSampleData } from './generator';
import { acquireLakeLock } from './lake-lock';
import { LocalPlatform } from './local-platform';
import { runJob } from './runner';

/** The lake's as-of date: the last date a transform job completed; none for a lake without runs. */
export async function lakeAsOf(project: Project, lakeRoot: string): Promise<string | undefined> {
  if (!existsSync(path.join(lakeRoot, 'lakehouse.duckdb'))) return undefined;
  const lakehouse = await DuckDbLakehouse.open({
    lakeRoot,
    threads: project.config.engine.threads,
    memoryLimit: project.config.engine.memoryLimit,
    bronze: project.contracts.all().filter((c) => c.layer === 'bronze'),
    readOnly: true,
  });
  try {
    return await new RunHistory(lakehouse).lastCompletedDate(transformJobs);
  } finally {
    lakehouse.close();
  }
}

export interface LakeRestore extends RestoreResult {
  /** Erasure requests of the replaced lake's log erased again in the restored lake. */
  readonly replayed: number;
  /** Set when the replaced lake had no readable request log: what the operator must do. */
  readonly warning?: string;
}

/**
 * Restores a backup in place, then erases again everyone the replaced lake's request log says was
 * erased: a backup older than an erasure would otherwise bring the person back. Where the replaced
 * lake's log is gone or unreadable, says so: the copy kept aside must be replayed by hand.
 */
export async function restoreLake(options: {
  readonly project: Project;
  readonly dir: string;
  readonly id: string;
  readonly lakeRoot: string;
  /** The privacy key the request log's hashes were made with; read only when there is a replay. */
  readonly key: () => Promise<Uint8Array>;
  /** The backup key, read only when the backup is encrypted. */
  readonly backupKey?: BackupKeyProvider;
  readonly log?: (line: string) => void;
}): Promise<LakeRestore> {
  const { project, dir, id, lakeRoot, log } = options;
  let replayed = 0;
  let warning: string | undefined;
  const result = await restoreBackup(dir, id, {
    lakeRoot,
    ...(options.backupKey ? { key: options.backupKey } : {}),
    afterSwap: async (replaced) => {
      const file = path.join(replaced, ...requestLogKey.split('/'));
      let entries;
      try {
        entries = parseRequestLog(await readFile(file, 'utf8'), file);
      } catch (error) {
        // No log in a lake that still has its audit folder: no request was ever made there.
        if (
          (error as NodeJS.ErrnoException).code !== 'ENOENT' ||
          !existsSync(path.join(replaced, 'audit'))
        )
          warning = `The replaced lake's request log ${file} could not be read (${(error as Error).message}): if data subjects were erased after the backup, replay the request log kept aside (\`medallion dsr replay --log <file>\`).`;
        return;
      }
      if (rememberedErasures(entries).length === 0) return;
      const lake = { project, lakeRoot, key: await options.key(), ...(log ? { log } : {}) };
      const results = await replayErasures(lake, entries, () => new Date());
      replayed = results.length;
    },
  });
  return { ...result, replayed, ...(warning ? { warning } : {}) };
}

/**
 * Each gold table's row count and an order-independent checksum of its rows: the sum of the rows'
 * hashes over every column but the `_`-prefixed lineage ones (`_run_id` differs between any two
 * runs). Doubles are rounded to 9 decimals first, so a sum added up in another order still agrees.
 */
export async function goldChecksums(
  lakehouse: Pick<DuckDbLakehouse, 'query'>,
  project: Project,
): Promise<TableChecksum[]> {
  const tables = project.contracts
    .all()
    .filter((c) => c.layer === 'gold')
    .map((c) => c.document.schema[0]!.physicalName)
    .sort();
  const checksums: TableChecksum[] = [];
  for (const table of tables) {
    const [schema, name] = table.split('.');
    const columns = await lakehouse.query<{ column_name: string; data_type: string }>(
      `select column_name, data_type from information_schema.columns
       where table_schema = '${schema}' and table_name = '${name}' and column_name not like '\\_%' escape '\\'
       order by ordinal_position`,
    );
    if (columns.length === 0) throw new PipelineError(`${table}: no such table in the lake`);
    const values = columns.map(({ column_name, data_type }) => {
      const column = `"${column_name.replaceAll('"', '""')}"`;
      return data_type === 'DOUBLE' || data_type === 'FLOAT' ? `round(${column}, 9)` : column;
    });
    const [row] = await lakehouse.query<{ rows: number; checksum: string }>(
      `select cast(count(*) as integer) as rows,
              cast(coalesce(sum(cast(hash(${values.join(', ')}) as hugeint)), 0) as varchar) as checksum
       from ${table}`,
    );
    checksums.push({ table, rows: Number(row!.rows), checksum: row!.checksum });
  }
  return checksums;
}

export interface DrillOptions {
  readonly project: Project;
  /** A new folder for the drill's lake; the backups go into `<lakeRoot>.backups`. */
  readonly lakeRoot: string;
  readonly sample: { seed: number; scale: number; days: number; startDate: string };
  readonly logger: Logger;
  readonly log: (line: string) => void;
}

export interface DrillResult {
  readonly backupId: string;
  /** The lake's as-of date at the backup point. */
  readonly backupAsOf: string | undefined;
  /** Run dates completed after the backup: lost with the lake, then rerun. */
  readonly lostDates: readonly string[];
  /** Wall-clock age of the backup when the lake was lost. */
  readonly rpoSeconds: number;
  readonly restoreSeconds: number;
  readonly catchUpSeconds: number;
  readonly reference: readonly TableChecksum[];
  readonly differences: readonly string[];
}

/**
 * The drill: on a fresh sample lake, run the first day, back up, run the rest (the reference);
 * then lose the lake (the lakehouse file overwritten, bronze, state, audit and catalog deleted),
 * restore the backup, rerun the days since it, and compare gold with the reference.
 */
export async function drDrill(options: DrillOptions): Promise<DrillResult> {
  const { project, lakeRoot, sample, log } = options;
  if (sample.days < 2)
    throw new PipelineError('The drill needs at least 2 days: one before the backup, one after');
  const backups = `${lakeRoot}.backups`;
  log(`generating a sample lake in ${lakeRoot}`);
  const { dates } = await generateSampleData({ lakeRoot, ...sample });
  await runDaily(options, dates.slice(0, 1));
  log('backing up');
  const backup = await createBackup({
    lakeRoot,
    dir: backups,
    asOf: () => lakeAsOf(project, lakeRoot),
  });
  const backedUpAt = Date.now();
  const lostDates = dates.slice(1);
  const reference = await runDaily(options, lostDates);
  log('losing the lake');
  const lostAt = Date.now();
  await writeFile(path.join(lakeRoot, 'lakehouse.duckdb'), 'not a database any more');
  for (const entry of ['bronze', 'state', 'audit', 'catalog'])
    await rm(path.join(lakeRoot, entry), { recursive: true, force: true });
  log(`restoring backup ${backup.id}`);
  const restoreStart = performance.now();
  const restored = await restoreLake({
    project,
    dir: backups,
    id: backup.id,
    lakeRoot,
    key: () => PrivacyKeyFile.ofProject(project.root).key(),
    log,
  });
  const restoreSeconds = (performance.now() - restoreStart) / 1000;
  await rm(restored.replaced!, { recursive: true, force: true });
  const catchUpStart = performance.now();
  const actual = await catchUp(options, dates);
  const catchUpSeconds = (performance.now() - catchUpStart) / 1000;
  await rm(backups, { recursive: true, force: true });
  return {
    backupId: backup.id,
    backupAsOf: backup.asOf,
    lostDates,
    rpoSeconds: (lostAt - backedUpAt) / 1000,
    restoreSeconds,
    catchUpSeconds,
    reference,
    differences: checksumDifferences(reference, actual),
  };
}

/** Runs the daily job for `dates` in order under the lake lock; gold's checksums after. */
async function runDaily(options: DrillOptions, dates: readonly string[]): Promise<TableChecksum[]> {
  return withLake(options, async (platform) => {
    for (const date of dates) await runOrThrow(options, platform, date);
    return goldChecksums(platform.lakehouse, options.project);
  });
}

/** Runs what the restored lake lacks of the generated days, as `pipeline` would. */
async function catchUp(options: DrillOptions, dates: readonly string[]): Promise<TableChecksum[]> {
  return withLake(options, async (platform) => {
    const history = new RunHistory(platform.lakehouse);
    const { pending } = catchUpDates(
      dates,
      await history.succeededDates('daily'),
      await history.lastCompletedDate(transformJobs),
    );
    options.log(`catching up ${pending.join(', ') || 'nothing'}`);
    for (const date of pending) await runOrThrow(options, platform, date);
    return goldChecksums(platform.lakehouse, options.project);
  });
}

async function runOrThrow(options: DrillOptions, platform: LocalPlatform, date: string) {
  options.log(`running daily for ${date}`);
  const outcome = await runJob(platform, 'daily', { runDate: date });
  if (outcome.status !== 'succeeded')
    throw new PipelineError(
      `The drill's daily run for ${date} ${outcome.status} (run ${outcome.runId})${outcome.error ? `: ${outcome.error}` : ''}`,
    );
}

async function withLake<T>(
  options: DrillOptions,
  work: (platform: LocalPlatform) => Promise<T>,
): Promise<T> {
  const lock = await acquireLakeLock(options.lakeRoot, 'dr-drill');
  try {
    const platform = await LocalPlatform.open(options.project, {
      lakeRoot: options.lakeRoot,
      logger: options.logger,
    });
    try {
      return await work(platform);
    } finally {
      await platform.close();
    }
  } finally {
    await lock.release();
  }
}
