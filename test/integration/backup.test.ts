/**
 * Local backups on a real lake (generated data, daily runs): a restore brings back exactly what
 * was backed up, a lake lost after the backup comes back with the same gold once the days since
 * are rerun, and no interrupted or damaged backup or restore leaves a lake that looks valid.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBackedUp, type BackupManifest } from '../../lambdas/core/backup';
import { LakeBusyError } from '../../lambdas/core/errors';
import type { Project } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';
import {
  createBackup,
  listBackups,
  restoreBackup,
  verifyBackup,
} from '../../lambdas/runtime/backup';
import { openReadOnly } from '../../lambdas/runtime/cli/context';
import { eraseSubject, exportSubject } from '../../lambdas/runtime/dsr';
import { acquireLakeLock } from '../../lambdas/runtime/lake-lock';
import { drDrill, goldChecksums, lakeAsOf, restoreLake } from '../../lambdas/runtime/recovery';
import { runJob } from '../../lambdas/runtime/runner';
import { silentLogger } from '../helpers/clock';
import { day1, day2, openPlatform, sampleLake, testProject } from '../helpers/lake';

/** Every file a backup holds, with its SHA-256, read without the code under test. */
function lakeContent(lakeRoot: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(lakeRoot, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) =>
        path.relative(lakeRoot, path.join(e.parentPath, e.name)).split(path.sep).join('/'),
      )
      .filter(isBackedUp)
      .sort()
      .map((f) => [
        f,
        createHash('sha256')
          .update(readFileSync(path.join(lakeRoot, f)))
          .digest('hex'),
      ]),
  );
}

describe('local backup and restore', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let project: Project;
  let dir: string;
  let backup: BackupManifest;
  let afterDay1: Record<string, string>;
  const key = randomBytes(32);

  const run = async (date: string) => {
    const platform = await openPlatform(project, lake.lakeRoot);
    try {
      const outcome = await runJob(platform, 'daily', { runDate: date, retryIntervalMs: 0 });
      expect(outcome.error ?? outcome.status).toBe('succeeded');
    } finally {
      await platform.close();
    }
  };
  const gold = async () => {
    const lakehouse = await openReadOnly(project, lake.lakeRoot);
    try {
      return await goldChecksums(lakehouse, project);
    } finally {
      lakehouse.close();
    }
  };
  const siblings = () =>
    readdirSync(path.dirname(lake.lakeRoot)).filter(
      (n) => n.startsWith(`${path.basename(lake.lakeRoot)}.`) && n !== path.basename(dir),
    );

  beforeAll(async () => {
    lake = await sampleLake(2_000, 2);
    dir = `${lake.lakeRoot}.backups`;
    project = await testProject();
    await run(day1);
    afterDay1 = lakeContent(lake.lakeRoot);
    backup = await createBackup({
      lakeRoot: lake.lakeRoot,
      dir,
      asOf: () => lakeAsOf(project, lake.lakeRoot),
    });
  });

  afterAll(() => {
    for (const name of siblings())
      rmSync(path.join(path.dirname(lake.lakeRoot), name), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    lake.cleanup();
  });

  it('backs up every file of the lake with its checksum, as of the last completed day', async () => {
    expect(backup.asOf).toBe(day1);
    expect(Object.fromEntries(backup.files.map((f) => [f.path, f.sha256]))).toEqual(afterDay1);
    expect(backup.files.map((f) => f.path)).toContain('lakehouse.duckdb');
    expect((await listBackups(dir)).backups.map((b) => b.id)).toEqual([backup.id]);
    expect(await verifyBackup(dir, backup.id)).toEqual([]);
  });

  it('writes an archive the system tar reads, every file in it, long paths included', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'medallion-tar-'));
    try {
      const small = path.join(root, 'lake');
      const long = `bronze/${'d'.repeat(90)}/${'f'.repeat(60)}.parquet`;
      mkdirSync(path.join(small, path.dirname(long)), { recursive: true });
      writeFileSync(path.join(small, long), '');
      mkdirSync(path.join(small, 'catalog'), { recursive: true });
      writeFileSync(path.join(small, 'catalog', 'x.json'), '{"a":1}');
      const made = await createBackup({ lakeRoot: small, dir: path.join(root, 'backups') });
      const archive = path.join(root, 'backups', made.archive.file);
      const listed = spawnSync('tar', ['tzf', archive], { encoding: 'utf8' });
      expect(listed.stdout.trim().split('\n').sort()).toEqual(['catalog/x.json', long].sort());
      expect(made.files.map((f) => f.path).sort()).toEqual(['catalog/x.json', long].sort());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses to keep backups inside the lake they would be lost with', async () => {
    await expect(
      createBackup({ lakeRoot: lake.lakeRoot, dir: path.join(lake.lakeRoot, 'backups') }),
    ).rejects.toThrow(/inside the lake/);
    expect(existsSync(path.join(lake.lakeRoot, 'backups'))).toBe(false);
  });

  it('restores into another folder exactly what was backed up', async () => {
    const copy = `${lake.lakeRoot}.copy`;
    const { target } = await restoreBackup(dir, backup.id, { lakeRoot: lake.lakeRoot, to: copy });
    expect(lakeContent(target)).toEqual(afterDay1);
    await expect(
      restoreBackup(dir, backup.id, { lakeRoot: lake.lakeRoot, to: copy }),
    ).rejects.toThrow(/is not empty/);
    rmSync(copy, { recursive: true });
  });

  it('a backup interrupted before its manifest is never listed, verified or restored', async () => {
    const archive = readFileSync(path.join(dir, backup.archive.file));
    const interrupted = '20260101T000000000Z';
    writeFileSync(
      path.join(dir, `.${interrupted}.tar.gz.partial`),
      archive.subarray(0, archive.length / 2),
    );
    const { backups, partial } = await listBackups(dir);
    expect(backups.map((b) => b.id)).toEqual([backup.id]);
    expect(partial).toEqual([`.${interrupted}.tar.gz.partial`]);
    await expect(verifyBackup(dir, interrupted)).rejects.toThrow(/No backup 20260101T000000000Z/);
    await expect(restoreBackup(dir, interrupted, { lakeRoot: lake.lakeRoot })).rejects.toThrow(
      /No backup/,
    );
    rmSync(path.join(dir, `.${interrupted}.tar.gz.partial`));
  });

  it('a damaged archive fails verify and its restore leaves the lake as it was', async () => {
    const damagedDir = `${lake.lakeRoot}.damaged`;
    mkdirSync(damagedDir);
    const archive = readFileSync(path.join(dir, backup.archive.file));
    writeFileSync(path.join(damagedDir, `${backup.id}.json`), JSON.stringify(backup));
    const damaged = path.join(damagedDir, backup.archive.file);
    try {
      // Cut short, as a disk filling up under a copy would leave it.
      writeFileSync(damaged, archive);
      truncateSync(damaged, Math.floor(archive.length * 0.6));
      const problems = await verifyBackup(damagedDir, backup.id);
      expect(problems[0]).toMatch(/checksum mismatch/);
      expect(problems.join('\n')).toMatch(/unexpected end of file|Truncated/);
      // A changed byte inside a file: the gzip stream may stay readable, the checksums do not.
      const before = lakeContent(lake.lakeRoot);
      await expect(
        restoreBackup(damagedDir, backup.id, { lakeRoot: lake.lakeRoot }),
      ).rejects.toThrow();
      expect(lakeContent(lake.lakeRoot)).toEqual(before);
      expect(siblings().filter((n) => n.includes('.restoring-'))).toEqual([]);
    } finally {
      rmSync(damagedDir, { recursive: true, force: true });
    }
  });

  it('a file whose bytes differ from the manifest is refused before anything is swapped in', async () => {
    const damagedDir = `${lake.lakeRoot}.tampered`;
    mkdirSync(damagedDir);
    const changed = {
      ...backup,
      files: backup.files.map((f) =>
        f.path === 'lakehouse.duckdb' ? { ...f, sha256: '0'.repeat(64) } : f,
      ),
    };
    writeFileSync(path.join(damagedDir, `${backup.id}.json`), JSON.stringify(changed));
    writeFileSync(
      path.join(damagedDir, backup.archive.file),
      readFileSync(path.join(dir, backup.archive.file)),
    );
    try {
      expect(await verifyBackup(damagedDir, backup.id)).toEqual([
        expect.stringMatching(/^lakehouse\.duckdb: checksum mismatch/),
      ]);
      const verify = (backups: string) =>
        spawnSync(
          process.execPath,
          ['--import', 'tsx', 'bin/medallion.ts', 'backup', 'verify', backup.id, '--dir', backups],
          { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
        );
      expect(verify(dir).status).toBe(0);
      const damaged = verify(damagedDir);
      expect(damaged.status).toBe(1);
      expect(damaged.stderr).toContain('lakehouse.duckdb: checksum mismatch');
      const before = lakeContent(lake.lakeRoot);
      await expect(
        restoreBackup(damagedDir, backup.id, { lakeRoot: lake.lakeRoot }),
      ).rejects.toThrow(/does not match its manifest; nothing was restored/);
      expect(lakeContent(lake.lakeRoot)).toEqual(before);
    } finally {
      rmSync(damagedDir, { recursive: true, force: true });
    }
  });

  it('refuses to restore over a lake a run holds', async () => {
    const lock = await acquireLakeLock(lake.lakeRoot, 'daily');
    try {
      await expect(restoreBackup(dir, backup.id, { lakeRoot: lake.lakeRoot })).rejects.toThrow(
        LakeBusyError,
      );
    } finally {
      await lock.release();
    }
  });

  it('a corrupted lake comes back from the backup, and with the days since rerun gold equals the untouched run', async () => {
    await run(day2);
    const reference = await gold();
    // A restore killed before its swap left a staging folder behind: it is no lake, and goes.
    mkdirSync(`${lake.lakeRoot}.restoring-${backup.id}`);
    writeFileSync(`${lake.lakeRoot}.restoring-${backup.id}/lakehouse.duckdb`, 'half written');

    writeFileSync(path.join(lake.lakeRoot, 'lakehouse.duckdb'), 'corrupted');
    rmSync(path.join(lake.lakeRoot, 'bronze'), { recursive: true });
    const restored = await restoreLake({
      project,
      dir,
      id: backup.id,
      lakeRoot: lake.lakeRoot,
      key: () => Promise.resolve(key),
    });
    expect(lakeContent(lake.lakeRoot)).toEqual(afterDay1);
    expect(existsSync(path.join(lake.lakeRoot, '_sim', 'manifest.json'))).toBe(true);
    expect(siblings().filter((n) => n.includes('.restoring-'))).toEqual([]);
    expect(readFileSync(path.join(restored.replaced!, 'lakehouse.duckdb'), 'utf8')).toBe(
      'corrupted',
    );
    // The backup is as of day 1: gold lacks day 2, and the checksums see it.
    expect((await gold()).map((t) => t.table)).toEqual(reference.map((t) => t.table));
    expect(await gold()).not.toEqual(reference);

    await run(day2);
    expect(await gold()).toEqual(reference);
  });

  it('erases again after a restore the people erased since the backup', async () => {
    const [person] = await (async () => {
      const lakehouse = await openReadOnly(project, lake.lakeRoot);
      try {
        return await lakehouse.query<{ email: string }>(
          `select email from silver.customers where email is not null order by customer_id limit 1`,
        );
      } finally {
        lakehouse.close();
      }
    })();
    const dsr = { project, lakeRoot: lake.lakeRoot, key };
    const request = {
      subject: { kind: 'email', value: person!.email },
      received: day2,
      regime: 'gdpr' as const,
      now: () => new Date(),
    };
    const erased = await eraseSubject(dsr, { ...request, dryRun: false });
    expect(erased.residue).toBe(0);
    expect((await exportSubject(dsr, request)).found).toEqual([]);

    const restored = await restoreLake({
      project,
      dir,
      id: backup.id,
      lakeRoot: lake.lakeRoot,
      key: () => Promise.resolve(key),
    });
    expect(restored.replayed).toBe(1);
    expect((await exportSubject(dsr, request)).found).toEqual([]);
  });
});

describe('the DR drill', () => {
  it('loses a lake after its backup, restores it, catches up and finds gold equal to the reference', async () => {
    const lake = await sampleLake(1, 1);
    lake.cleanup();
    const project = await testProject();
    try {
      const result = await drDrill({
        project,
        lakeRoot: lake.lakeRoot,
        sample: { seed: 42, scale: 2_000, days: 2, startDate: day1 },
        logger: silentLogger,
        log: () => undefined,
      });
      expect(result.backupAsOf).toBe(day1);
      expect(result.lostDates).toEqual([day2]);
      expect(result.reference.length).toBeGreaterThan(0);
      expect(result.reference.every((t) => t.rows > 0)).toBe(true);
      expect(result.differences).toEqual([]);
      expect(result.restoreSeconds).toBeGreaterThan(0);
      expect(result.catchUpSeconds).toBeGreaterThan(result.restoreSeconds);
    } finally {
      lake.cleanup();
    }
  });
});
