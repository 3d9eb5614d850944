import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishProgress, startProgress, type RunProgress } from '../../lambdas/core/run-progress';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { watchRun } from '../../lambdas/runtime/cli/status-watch';
import { acquireLakeLock } from '../../lambdas/runtime/lake-lock';
import { ProgressWriter, progressFile, readProgress } from '../../lambdas/runtime/progress-file';
import { runJob } from '../../lambdas/runtime/runner';
import { silentLogger } from '../helpers/clock';
import { day1, openPlatform, sampleLake, testProject } from '../helpers/lake';

const env = { ...process.env, NO_COLOR: '1' };
const cli = (lake: string, ...rest: string[]) =>
  spawn(process.execPath, ['--import', 'tsx', 'bin/medallion.ts', '--lake', lake, ...rest], {
    cwd: projectRoot,
    env,
  });
const finished = (child: ChildProcess) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

/** A stream that is not a terminal, as a log file or a CI job is: the watch writes lines. */
function collector() {
  const sink = {
    text: '',
    isTTY: false,
    write(chunk: string) {
      sink.text += chunk;
      return true;
    },
  };
  return sink;
}
const asStream = (sink: ReturnType<typeof collector>) => sink as unknown as NodeJS.WritableStream;
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

describe('status --watch follows a run from another process', () => {
  let lake: string;
  beforeAll(() => {
    lake = mkdtempSync(path.join(os.tmpdir(), 'medallion-watch-'));
    const generated = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bin/medallion.ts',
        '--lake',
        lake,
        'generate',
        '--scale',
        '300',
        '--days',
        '1',
      ],
      { cwd: projectRoot, encoding: 'utf8', env },
    );
    expect(generated.status, generated.stderr).toBe(0);
  });
  afterAll(() => rmSync(lake, { recursive: true, force: true }));

  it('shows the run live, a line per change, and exits 0 once it succeeded', async () => {
    // Started together, as `medallion run & medallion status --watch` would be.
    const [run, watch] = await Promise.all([
      finished(cli(lake, 'run', '--job', 'daily')),
      finished(cli(lake, 'status', '--watch', '--interval', '0.2', '--wait', '60')),
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(watch.code, watch.stdout + watch.stderr).toBe(0);
    const runId = /\(run ([0-9a-f-]+)\)/.exec(run.stdout)![1]!;
    expect(watch.stdout).toContain(`daily for 2026-01-01 run ${runId}, started `);
    // Seen while it ran, not only at the end.
    expect(watch.stdout).toMatch(/^\[ *[\d.]+s\] ▶ \w+ +running/m);
    expect(watch.stdout).toMatch(/^\[ *[\d.]+s\] ✓ ReleaseRunLock +succeeded/m);
    expect(watch.stdout).toMatch(
      /silver\.orders \(silver\): [\d,]+ in, [\d,]+ out, \d+ quarantined/,
    );
    expect(watch.stdout).toMatch(/gate silver_quality pass \(\d+ datasets/);
    expect(lastLine(watch.stdout)).toMatch(
      /^daily for 2026-01-01 succeeded in [\d.]+s: \d+\/\d+ states, \d+ datasets, [\d,]+ rows written, [\d,]+ quarantined, 2\/2 gates passed$/,
    );
    expect(await readProgress(lake)).toMatchObject({ runId, status: 'succeeded' });
    expect(readdirSync(path.dirname(progressFile(lake)))).toEqual(['progress.json']);
  }, 180_000);
});

describe('status --watch exits as the run ended', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  beforeAll(async () => {
    lake = await sampleLake(300, 1);
  });
  afterAll(() => lake.cleanup());

  it('exits 1 when the run it followed failed', async () => {
    // The FX source points at a port nothing listens on: FxToBronze fails for good.
    const project = await testProject((c) => ({
      ...c,
      sources: { ...c.sources, fx: { ...c.sources.fx!, baseUrl: 'http://127.0.0.1:1' } },
    }));
    const platform = await openPlatform(project, lake.lakeRoot);
    const out = collector();
    const lock = await acquireLakeLock(lake.lakeRoot, 'daily');
    const watching = watchRun({
      lakeRoot: lake.lakeRoot,
      intervalMs: 50,
      waitMs: 60_000,
      out: asStream(out),
      signal: new AbortController().signal,
    });
    try {
      const outcome = await runJob(platform, 'daily', { runDate: day1, retryIntervalMs: 0 });
      expect(outcome.status).toBe('failed');
    } finally {
      await platform.close();
      await lock.release();
    }
    expect(await watching).toBe(1);
    expect(out.text).toMatch(/✗ FxToBronze +failed: /);
    expect(lastLine(out.text)).toMatch(/^daily for 2026-01-01 FAILED after [\d.]+s: /);
  }, 120_000);
});

describe('status --watch on a lake at rest', () => {
  let lake: string;
  const progress = (pid: number): RunProgress =>
    startProgress(
      { runId: 'r1', job: 'daily', runDate: day1, startedAt: new Date().toISOString(), pid },
      ['AcquireRunLock', 'SnowflakeToBronze'],
    );
  const write = async (snapshot: RunProgress) => {
    const writer = new ProgressWriter(lake, silentLogger);
    writer.update(snapshot);
    await writer.flush();
  };
  const watch = (out: ReturnType<typeof collector>, signal = new AbortController().signal) =>
    watchRun({ lakeRoot: lake, intervalMs: 20, waitMs: 100, out: asStream(out), signal });
  beforeAll(() => {
    lake = mkdtempSync(path.join(os.tmpdir(), 'medallion-watch-idle-'));
  });
  afterAll(() => rmSync(lake, { recursive: true, force: true }));

  it('exits 1 when no run has ever started', async () => {
    const out = collector();
    expect(await watch(out)).toBe(1);
    expect(out.text).toContain('No run has started in');
  });

  it('shows the latest run once none starts, and exits with its outcome', async () => {
    await write(
      finishProgress(progress(process.pid), { status: 'failed', seconds: 3, error: 'boom' }),
    );
    const out = collector();
    expect(await watch(out)).toBe(1);
    expect(lastLine(out.text)).toBe('daily for 2026-01-01 FAILED after 3.0s: boom');
  });

  it('takes a run marked running whose process is gone for interrupted (130)', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    await write(progress(gone));
    const out = collector();
    expect(await watch(out)).toBe(130);
    expect(lastLine(out.text)).toMatch(
      new RegExp(
        `INTERRUPTED after [\\d.]+s: its process \\(pid ${gone}\\) ended before the run did$`,
      ),
    );
  });

  it('stops watching on Ctrl-C, leaving the run alone', async () => {
    const lock = await acquireLakeLock(lake, 'daily');
    try {
      await write(progress(process.pid));
      const out = collector();
      const stop = new AbortController();
      const watching = watch(out, stop.signal);
      await new Promise((resolve) => setTimeout(resolve, 100));
      stop.abort();
      expect(await watching).toBe(130);
      expect(out.text).toContain('daily for 2026-01-01 run r1');
      expect(lastLine(out.text)).toBe('Stopped watching; the run, if any, goes on.');
      expect(existsSync(path.join(lake, '.lock'))).toBe(true);
    } finally {
      await lock.release();
    }
  });

  it('keeps only the latest of snapshots reported while one is being written', async () => {
    const writer = new ProgressWriter(lake, silentLogger);
    for (let i = 1; i <= 50; i++) writer.update({ ...progress(process.pid), runId: `r${i}` });
    await writer.flush();
    expect((await readProgress(lake))?.runId).toBe('r50');
    expect(readdirSync(path.dirname(progressFile(lake)))).toEqual(['progress.json']);
  });
});
