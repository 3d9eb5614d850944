/**
 * One run at a time per lake. The lock is a file created exclusively (`wx`) holding the owner's
 * pid, job and start; a second run fails with who holds it. A lock whose process is gone (a
 * killed run) is stale and taken over, so a crash never blocks the next run.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { LakeBusyError } from '../core/errors';

interface LockOwner {
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
      const owner: LockOwner = { pid: process.pid, job, startedAt: new Date().toISOString() };
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = await readOwner(file);
      if (!owner && Date.now() - (await stat(file)).mtimeMs < 10_000) {
        throw new LakeBusyError(`The lake ${lakeRoot} is busy: another run is starting right now.`);
      }
      if (owner && isAlive(owner.pid)) {
        throw new LakeBusyError(
          `The lake ${lakeRoot} is busy: ${owner.job} (pid ${owner.pid}) has been running since ${owner.startedAt}. Wait for it to finish, or stop it.`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new LakeBusyError(`Could not take the lock ${file}: another run keeps taking it.`);
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
