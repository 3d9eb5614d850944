/**
 * The progress of the lake's latest run in `<lake>/_runs/progress.json`, for `medallion status
 * --watch`: another process cannot open the lakehouse while a run holds it. Each snapshot is
 * written to a temporary file and renamed over the last, so a reader never sees half of one.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunProgress } from '../core/run-progress';
import type { Logger } from '../core/ports';

export function progressFile(lakeRoot: string): string {
  return path.join(lakeRoot, '_runs', 'progress.json');
}

/**
 * Writes snapshots as the runner reports them, one write at a time: a snapshot reported while one
 * is being written replaces any still waiting, so a burst of events costs two writes, not one
 * each. A failed write is logged once and never fails the run.
 */
export class ProgressWriter {
  private waiting: RunProgress | undefined;
  private writing: Promise<void> = Promise.resolve();
  private busy = false;
  private warned = false;

  constructor(
    private readonly lakeRoot: string,
    private readonly logger: Logger,
  ) {}

  update(progress: RunProgress): void {
    this.waiting = progress;
    if (!this.busy) this.writing = this.drain();
  }

  /** Resolves once the latest snapshot reported is on disk. */
  async flush(): Promise<void> {
    await this.writing;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.waiting) {
        const snapshot = this.waiting;
        this.waiting = undefined;
        await this.write(snapshot);
      }
    } finally {
      this.busy = false;
    }
  }

  private async write(progress: RunProgress): Promise<void> {
    const file = progressFile(this.lakeRoot);
    const temp = `${file}.${process.pid}.tmp`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(temp, JSON.stringify(progress));
      await rename(temp, file);
    } catch (error) {
      if (this.warned) return;
      this.warned = true;
      this.logger.warn(
        `cannot write ${file} (medallion status --watch will not see this run): ${(error as Error).message}`,
      );
    }
  }
}

/** The latest run's progress, if a run has written one. */
export async function readProgress(lakeRoot: string): Promise<RunProgress | undefined> {
  try {
    return JSON.parse(await readFile(progressFile(lakeRoot), 'utf8')) as RunProgress;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
