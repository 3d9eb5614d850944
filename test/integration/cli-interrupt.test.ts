import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lambdas/definitions/project-root';

const args = (lake: string, ...rest: string[]) => [
  '--import',
  'tsx',
  'bin/medallion.ts',
  '--lake',
  lake,
  ...rest,
];
const env = { ...process.env, NO_COLOR: '1' };

describe('Ctrl-C during a local run', () => {
  let lake: string;
  beforeAll(() => {
    lake = mkdtempSync(path.join(os.tmpdir(), 'medallion-interrupt-'));
    const generated = spawnSync(
      process.execPath,
      args(lake, 'generate', '--scale', '300', '--days', '1'),
      { cwd: projectRoot, encoding: 'utf8', env },
    );
    expect(generated.status).toBe(0);
  });
  afterAll(() => rmSync(lake, { recursive: true, force: true }));

  it('stops the run, records it as interrupted, exits 130, and leaves the lake free for the next run', async () => {
    const child = spawn(process.execPath, args(lake, 'run', '--job', 'daily'), {
      cwd: projectRoot,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // The first task has started: the run is under way.
      if (/▶ \w+ToBronze/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toContain('Stopping: the running task finishes');
    expect(stdout).toMatch(/daily for 2026-01-01 INTERRUPTED after/);
    expect(code).toBe(130);

    const status = spawnSync(process.execPath, args(lake, 'status', '--format', 'json'), {
      cwd: projectRoot,
      encoding: 'utf8',
      env,
    });
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ job: 'daily', status: 'interrupted' });
    const again = spawnSync(process.execPath, args(lake, 'run', '--job', 'daily'), {
      cwd: projectRoot,
      encoding: 'utf8',
      env,
    });
    expect(again.stdout).toMatch(/daily for 2026-01-01 succeeded/);
    expect(again.status).toBe(0);
  }, 120_000);
});
