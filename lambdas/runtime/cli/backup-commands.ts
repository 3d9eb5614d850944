/**
 * `medallion backup create|list|verify|restore` and `medallion dr drill`: the local twin of the
 * AWS Backup plans. See `runtime/backup.ts` for what makes a backup and a restore safe to
 * interrupt, and `runtime/recovery.ts` for the drill.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BackupKeyFile } from '../../adapters/local/backup-key-file';
import { PrivacyKeyFile } from '../../adapters/local/privacy-key-file';
import { projectRoot } from '../../definitions/project-root';
import { createBackup, listBackups, restoreBackup, verifyBackup } from '../backup';
import { drDrill, lakeAsOf, restoreLake } from '../recovery';
import { context } from './context';
import { bold, count, dim, formatRows, green, red, yellow, type OutputFormat } from './output';

const dirOption = () =>
  new Option('--dir <dir>', 'where backups are kept').default(
    path.join(projectRoot, '.backups'),
    '<project>/.backups',
  );

const positiveInt = (value: string) => {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
};

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export function backupCommand(): Command {
  const backup = new Command('backup').description(
    'Back up the local lake (bronze, the DuckDB lakehouse, watermarks, audit, catalog) and restore it.',
  );

  backup
    .command('create')
    .description(
      'Snapshot the lake under its lock into <dir>/<id>.tar.gz with a manifest of SHA-256 checksums.',
    )
    .addOption(dirOption())
    .option(
      '--encrypt',
      'encrypt the archive (AES-256-GCM) with the key in <project>/.secrets/backup.key, created on first use',
    )
    .addHelpText(
      'after',
      "\nThe lake lock is held throughout, so no run writes while the files are read. `_sim` (the\nsimulated source systems) and the lock are left out. A backup interrupted midway leaves only a\n.partial file: it is never listed, verified or restored. With --encrypt, the manifest records the\nkey's fingerprint (never the key); verify and restore need the same key file: keep a copy of it\nwhere you keep secrets.\n\nExamples:\n  $ medallion backup create\n  $ medallion backup create --encrypt",
    )
    .action(async (options: { dir: string; encrypt?: boolean }, command: Command) => {
      const { project, lakeRoot } = await context(command);
      const started = performance.now();
      const manifest = await createBackup({
        lakeRoot,
        dir: path.resolve(options.dir),
        asOf: () => lakeAsOf(project, lakeRoot),
        ...(options.encrypt
          ? { encryptWith: await BackupKeyFile.ofProject(project.root).loadOrCreate() }
          : {}),
      });
      const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
      process.stdout.write(`${manifest.id}\n`);
      process.stderr.write(
        `${green('Backed up')} ${count(manifest.files.length)} files (${megabytes(bytes)}, ${megabytes(manifest.archive.size)} compressed) of ${lakeRoot}${manifest.asOf ? `, as of ${manifest.asOf}` : ''}${manifest.encryption ? `, encrypted with key ${manifest.encryption.keyId}` : ''}, in ${((performance.now() - started) / 1000).toFixed(1)}s ${dim(`→ ${path.join(path.resolve(options.dir), manifest.archive.file)}`)}\n`,
      );
    });

  backup
    .command('list')
    .description('The complete backups, oldest first; leftovers of interrupted ones are named.')
    .addOption(dirOption())
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .action(async (options: { dir: string; format: OutputFormat }) => {
      const { backups, partial } = await listBackups(path.resolve(options.dir));
      const rows = backups.map((b) => ({
        id: b.id,
        created_at: b.createdAt,
        as_of: b.asOf ?? '',
        files: b.files.length,
        size: b.archive.size,
        encrypted_with: b.encryption?.keyId ?? '',
        lake: b.lake,
      }));
      process.stdout.write(`${formatRows(rows, options.format)}\n`);
      if (partial.length > 0)
        process.stderr.write(
          yellow(
            `Interrupted backups (not usable; delete them): ${partial.map((p) => path.join(options.dir, p)).join(', ')}\n`,
          ),
        );
    });

  backup
    .command('verify')
    .description('Re-check the archive and every file in it against the manifest.')
    .argument('<id>', 'the backup (see `backup list`)')
    .addOption(dirOption())
    .action(async (id: string, options: { dir: string }) => {
      const problems = await verifyBackup(path.resolve(options.dir), id, () =>
        BackupKeyFile.ofProject(projectRoot).load(),
      );
      if (problems.length === 0) {
        process.stderr.write(`${green('Backup verified')}: ${id}, every checksum matches\n`);
        return;
      }
      process.stderr.write(
        `${red(`Backup ${id} is damaged`)}:\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
      );
      process.exitCode = 1;
    });

  backup
    .command('restore')
    .description(
      'Restore a backup: unpacked and verified beside the lake, then swapped in under the lake lock.',
    )
    .argument('<id>', 'the backup (see `backup list`)')
    .addOption(dirOption())
    .option('--to <dir>', 'restore into this new folder instead of replacing the lake')
    .addHelpText(
      'after',
      "\nIn place, the restore is refused while a run holds the lake; the lake it replaces is kept in\n<lake>.replaced-<time> (delete it when satisfied), and `_sim` (the sources) is carried over.\nEveryone the replaced lake's request log says was erased is erased again (a backup older than\nthe erasure would bring them back). Then catch up: `medallion pipeline`.\n\nExamples:\n  $ medallion backup restore 20260101T120000000Z\n  $ medallion backup restore 20260101T120000000Z --to /tmp/lake-copy",
    )
    .action(async (id: string, options: { dir: string; to?: string }, command: Command) => {
      const { project, lakeRoot } = await context(command);
      const dir = path.resolve(options.dir);
      if (options.to) {
        const { target } = await restoreBackup(dir, id, {
          lakeRoot,
          to: options.to,
          key: () => BackupKeyFile.ofProject(project.root).load(),
        });
        process.stderr.write(
          `${green('Restored')} ${id} into ${target} ${dim('(a copy: data subject requests made since the backup are not replayed there)')}\n`,
        );
        return;
      }
      const result = await restoreLake({
        project,
        dir,
        id,
        lakeRoot,
        key: () => PrivacyKeyFile.ofProject(project.root).key(),
        backupKey: () => BackupKeyFile.ofProject(project.root).load(),
        log: (line) => process.stderr.write(`${dim(line)}\n`),
      });
      process.stderr.write(
        [
          `${green('Restored')} ${id} into ${lakeRoot}${result.manifest.asOf ? ` (as of ${result.manifest.asOf})` : ''}`,
          `  The replaced lake is in ${result.replaced}: delete it when satisfied.`,
          ...(result.replayed > 0
            ? [`  Erased again: ${result.replayed} data subject request(s) from its request log.`]
            : []),
          ...(result.warning ? [yellow(`  ${result.warning}`)] : []),
          `  Catch up the days since the backup: npx medallion pipeline`,
          '',
        ].join('\n'),
      );
    });

  return backup;
}

export function drCommand(): Command {
  const dr = new Command('dr').description('Disaster recovery.');
  dr.command('drill')
    .description(
      'On a fresh sample lake: run day 1, back up, run the rest, lose the lake, restore, catch up, and compare gold.',
    )
    .option(
      '--scale <orders>',
      'orders in the sample (default: sample.scale in config)',
      positiveInt,
    )
    .option('--days <n>', 'days to generate, at least 2 (default: sample.days)', positiveInt)
    .option('--keep', 'keep the drill lake instead of deleting it')
    .addHelpText(
      'after',
      '\nPrints the measured RTO (restore + catch-up) and RPO (age of the backup when the lake was lost,\nand the run dates lost with it). Exits non-zero when gold after recovery differs from the\nreference run.\n\nExample:\n  $ medallion dr drill --scale 10000',
    )
    .action(
      async (options: { scale?: number; days?: number; keep?: boolean }, command: Command) => {
        const { project } = await context(command);
        const sample = project.config.sample;
        const lakeRoot = await mkdtemp(path.join(os.tmpdir(), 'medallion-drill-'));
        const log = (line: string) => process.stderr.write(`${dim(`▶ ${line}`)}\n`);
        try {
          const result = await drDrill({
            project,
            lakeRoot,
            sample: {
              seed: sample.seed,
              startDate: sample.startDate,
              scale: options.scale ?? sample.scale,
              days: options.days ?? sample.days,
            },
            logger: { info: () => undefined, warn: (m) => process.stderr.write(yellow(`${m}\n`)) },
            log,
          });
          const rto = result.restoreSeconds + result.catchUpSeconds;
          process.stdout.write(
            [
              bold('DR drill'),
              `  backup      ${result.backupId}, as of ${result.backupAsOf ?? '(no runs)'}`,
              `  RPO         ${result.rpoSeconds.toFixed(1)}s of data age at the loss; run date(s) lost: ${result.lostDates.join(', ')}`,
              `  RTO         ${rto.toFixed(1)}s (restore ${result.restoreSeconds.toFixed(1)}s + catch-up ${result.catchUpSeconds.toFixed(1)}s)`,
              `  gold        ${result.reference.length} tables, ${count(result.reference.reduce((n, t) => n + t.rows, 0))} rows: ${result.differences.length === 0 ? green('equal to the reference') : red('DIFFERENT')}`,
              ...result.differences.map((d) => `    ${red(d)}`),
              '',
            ].join('\n'),
          );
          if (result.differences.length > 0) process.exitCode = 1;
        } finally {
          if (options.keep) process.stderr.write(`The drill lake is in ${lakeRoot}\n`);
          else await rm(lakeRoot, { recursive: true, force: true });
        }
      },
    );
  return dr;
}
