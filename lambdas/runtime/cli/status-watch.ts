/**
 * `medallion status --watch`: follows the lake's running pipeline from another process, through
 * the progress file its runner keeps (see `progress-file.ts`), and exits as the run did.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogUpdate } from 'log-update';
import {
  abandonedProgress,
  exitCodeOfProgress,
  plainPainter,
  progressChanges,
  renderProgressFrame,
  summaryLine,
  type Painter,
  type RunProgress,
} from '../../core/run-progress';
import { lakeLockOwner } from '../lake-lock';
import { readProgress } from '../progress-file';

export interface WatchOptions {
  readonly lakeRoot: string;
  /** How often to look again. */
  readonly intervalMs: number;
  /** How long an idle lake is given for a run to start before its latest run is the answer. */
  readonly waitMs: number;
  /** Where the view goes: redrawn in place when it is a terminal, a line per change otherwise. */
  readonly out: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly rows?: number };
  /** Ctrl-C: stop watching (the run goes on). */
  readonly signal: AbortSignal;
}

/**
 * Follows the run in progress; on an idle lake, waits `waitMs` for one to start (so `medallion
 * pipeline & medallion status --watch` works), else settles on the latest. A lake held but with
 * no run yet (sample data being generated, the next date about to start) is waited for. Returns
 * the exit code: the followed run's (0, 1, or 130 when interrupted), 130 when stopped by Ctrl-C.
 */
export async function watchRun(options: WatchOptions): Promise<number> {
  const { lakeRoot, out } = options;
  const tty = out.isTTY === true;
  const paint = tty && !process.env.NO_COLOR ? terminalPainter : plainPainter;
  const draw = tty ? createLogUpdate(out) : undefined;
  const began = Date.now();
  const first = await readProgress(lakeRoot);
  let shown: RunProgress | undefined;
  let lastNote = '';
  // Whether a note came after the latest run's lines: then its summary is written again at the end.
  let noteLast = false;
  // A run marked running whose process holds no lock must look so twice in a row to count as
  // abandoned: between two reads, a run may have ended, or another may have started.
  let suspect = false;
  const show = (progress: RunProgress | undefined, note: string) => {
    const now = new Date();
    if (draw) {
      const frame = progress ? renderProgressFrame(progress, now, paint, out.rows) : '';
      draw([frame, note && paint.dim(note)].filter(Boolean).join('\n\n'));
      return;
    }
    if (progress) {
      const lines = progressChanges(shown, progress, now, paint);
      if (lines.length > 0) {
        out.write(`${lines.join('\n')}\n`);
        noteLast = false;
      }
      shown = progress;
    }
    if (note && note !== lastNote) {
      out.write(`${paint.dim(note)}\n`);
      noteLast = true;
    }
    lastNote = note;
  };
  try {
    while (!options.signal.aborted) {
      let progress = await readProgress(lakeRoot);
      const owner = await lakeLockOwner(lakeRoot);
      if (progress?.status === 'running' && owner?.pid !== progress.pid) {
        if (suspect) progress = abandonedProgress(progress, new Date());
        suspect = !suspect;
      } else suspect = false;
      const idleFor = Date.now() - began;
      const followed =
        progress !== undefined && (progress.runId !== first?.runId || first.status === 'running');
      const over = progress !== undefined && progress.status !== 'running';
      if (progress && over && !suspect && !owner && (followed || idleFor >= options.waitMs)) {
        show(progress, '');
        if (noteLast) out.write(`${summaryLine(progress, new Date(), paint)}\n`);
        return exitCodeOfProgress(progress);
      }
      if (!suspect && !owner && !progress && idleFor >= options.waitMs) {
        show(undefined, `No run has started in ${lakeRoot} (run \`medallion pipeline\`).`);
        return 1;
      }
      // Between the runs of a range (or the end of the last one and the lock given back) the view
      // stays as it is: a note only says why nothing is followed yet.
      const waiting = !progress || (over && !followed);
      const note = !waiting
        ? ''
        : owner
          ? `The lake is busy: ${owner.job} (pid ${owner.pid}) since ${owner.startedAt}; waiting for its run…`
          : `The lake is idle: waiting ${options.waitMs / 1000}s for a run to start…`;
      show(progress, note);
      await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => {});
    }
    draw?.done();
    out.write(`${paint.dim('Stopped watching; the run, if any, goes on.')}\n`);
    return 130;
  } finally {
    draw?.done();
  }
}

const paintWith = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const terminalPainter: Painter = {
  green: paintWith(32),
  red: paintWith(31),
  yellow: paintWith(33),
  dim: paintWith(2),
  bold: paintWith(1),
};
