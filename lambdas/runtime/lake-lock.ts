/**
 * One run at a time per lake. The lock is a file created exclusively (`wx`) holding the owner's
 * identity, job and start; a second run fails with who holds it. A lock whose process is gone (a
 * killed run) is stale and taken over, so a crash never blocks the next run.
 *
 * A pid alone does not identify a process: after a reboot, or once pids wrap, a stale lock may
 * name a pid that a different process now has, and would block forever. So the owner records its
 * host, the kernel's boot id and the process's start time (`/proc/<pid>/stat`), and a lock is held
 * only while a process with that pid *and* that start time runs on that boot. A lock from another
 * host is never taken over: its owner cannot be checked from here.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LakeBusyError } from '../core/errors';

/** What identifies a process across pid reuse and reboots, where the kernel tells (Linux). */
export interface ProcessIdentity {
  readonly host: string;
  readonly bootId?: string;
  /** Clock ticks after boot at which the process started (`/proc/<pid>/stat`, field 22). */
  readonly startTicks?: number;
}

interface LockOwner extends Partial<ProcessIdentity> {
  readonly pid: number;
  readonly job: string;
  readonly startedAt: string;
}

export interface LakeLock {
  release(): Promise<void>;
}

export async function acquireLakeLock(lakeRoot: string, job: string): Promise<LakeLock> {
  await mkdir(lakeRoot, { recursive: true });
  const file = path.join(lakeRoot, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      const owner: LockOwner = {
        pid: process.pid,
        ...(await processIdentity(process.pid)),
        job,
        startedAt: new Date().toISOString(),
      };
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = await readOwner(file);
      if (!owner && Date.now() - (await stat(file)).mtimeMs < 10_000) {
        throw new LakeBusyError(`The lake ${lakeRoot} is busy: another run is starting right now.`);
      }
      if (owner && (await holds(owner))) {
        const where = owner.host && owner.host !== os.hostname() ? ` on ${owner.host}` : '';
        throw new LakeBusyError(
          `The lake ${lakeRoot} is busy: ${owner.job} (pid ${owner.pid}${where}) has been running since ${owner.startedAt}. Wait for it to finish, or stop it.`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new LakeBusyError(`Could not take the lock ${file}: another run keeps taking it.`);
}

/**
 * Who holds the lake now (a run, a generation, a restore), if anyone: what `status --watch` asks
 * to tell a run that is starting or still going from a lake at rest.
 */
export async function lakeLockOwner(
  lakeRoot: string,
): Promise<{ readonly pid: number; readonly job: string; readonly startedAt: string } | undefined> {
  const owner = await readOwner(path.join(lakeRoot, '.lock'));
  return owner && (await holds(owner))
    ? { pid: owner.pid, job: owner.job, startedAt: owner.startedAt }
    : undefined;
}

/** Whether the process that wrote the lock still runs (or, on another host, may). */
async function holds(owner: LockOwner): Promise<boolean> {
  if (owner.host !== undefined && owner.host !== os.hostname()) return true;
  if (!isAlive(owner.pid)) return false;
  if (owner.startTicks === undefined) return true;
  const now = await processIdentity(owner.pid);
  if (owner.bootId !== undefined && now.bootId !== undefined && owner.bootId !== now.bootId)
    return false;
  return now.startTicks === undefined || now.startTicks === owner.startTicks;
}

/** This host's view of a process: boot id and start time where `/proc` has them, else the host. */
export async function processIdentity(pid: number): Promise<ProcessIdentity> {
  const [bootId, stat] = await Promise.all([
    readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => undefined),
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined),
  ]);
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = fields ? Number(fields[22 - 3]) : Number.NaN;
  return {
    host: os.hostname(),
    ...(bootId ? { bootId: bootId.trim() } : {}),
    ...(Number.isFinite(startTicks) ? { startTicks } : {}),
  };
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
