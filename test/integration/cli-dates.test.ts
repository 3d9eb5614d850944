import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { SAMPLE_FORMAT } from '../../lambdas/runtime/generator/format';
import { day1, day2 } from '../helpers/lake';

const medallion = (lake: string, ...args: string[]) => {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bin/medallion.ts', '--lake', lake, ...args],
    {
      cwd: projectRoot,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};
const sample = ['--scale', '3000', '--days', '2', '--seed', '42'];
const runDates = (lake: string) =>
  (
    JSON.parse(
      medallion(
        lake,
        'query',
        'select run_date, status from audit.runs order by started_at',
        '--format',
        'json',
      ).stdout,
    ) as { run_date: string; status: string }[]
  ).map((r) => `${r.run_date} ${r.status}`);

describe('the CLI runs dates in order', () => {
  let root: string;
  let lake: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-cli-dates-'));
    lake = path.join(root, 'lake');
    expect(medallion(lake, 'generate', ...sample).code).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('run --from --to runs each date in order, a progress line each, and sums up', () => {
    const { code, stderr } = medallion(lake, 'run', '--job', 'daily', '--from', day1, '--to', day2);
    expect(code).toBe(0);
    expect(stderr).toContain(`[1/2] Running daily for ${day1}`);
    expect(stderr).toContain(`[2/2] Running daily for ${day2}`);
    expect(stderr).toMatch(
      new RegExp(`2 of 2 date\\(s\\) succeeded\\n  ${day1}  succeeded\\n  ${day2}  succeeded`),
    );
    expect(runDates(lake)).toEqual([`${day1} succeeded`, `${day2} succeeded`]);
  }, 120_000);

  it('refuses a date before the last completed one, naming both and the flags, and runs nothing', () => {
    const { code, stderr } = medallion(lake, 'run', '--job', 'daily', '--date', day1);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `error: ${day1} is earlier than ${day2}, the lake's last completed run date`,
    );
    expect(stderr).toContain(`--date ${day1} --backfill`);
    expect(runDates(lake)).toHaveLength(2);
  }, 60_000);

  it('runs it with --backfill', () => {
    const { code } = medallion(lake, 'run', '--job', 'daily', '--date', day1, '--backfill');
    expect(code).toBe(0);
    expect(runDates(lake).at(-1)).toBe(`${day1} succeeded`);
  }, 120_000);

  it('a range stops at its first failure, says where, and exits non-zero', () => {
    const broken = path.join(root, 'broken');
    expect(medallion(broken, 'generate', ...sample).code).toBe(0);
    rmSync(path.join(broken, '_sim', 'snowflake.duckdb'));
    const { code, stderr } = medallion(
      broken,
      'run',
      '--job',
      'daily',
      '--from',
      day1,
      '--to',
      day2,
    );
    expect(code).toBe(1);
    expect(stderr).toContain(`0 of 2 date(s) succeeded (stopped at ${day1}: failed)`);
    expect(stderr).toContain(`  ${day2}  not run`);
    expect(stderr).not.toContain(`Running daily for ${day2}`);
  }, 120_000);

  it('generate refuses other sample settings over a used lake, naming both and the ways on; the same settings change nothing', () => {
    const other = medallion(lake, 'generate', '--scale', '500', '--days', '2', '--seed', '42');
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      `holds sample data generated with seed 42, scale 3,000, start date ${day1} and data from runs (bronze, lakehouse.duckdb); asked for seed 42, scale 500, start date ${day1}`,
    );
    expect(other.stderr).toContain('`--lake <dir>`');
    expect(other.stderr).toContain('`--replace`');
    const pipeline = medallion(lake, 'pipeline', '--seed', '7');
    expect(pipeline.code).toBe(1);
    expect(pipeline.stderr).toContain('asked for seed 7, scale 3,000');
    expect(medallion(lake, 'generate', ...sample).code).toBe(0);
    expect(runDates(lake)).toHaveLength(3);
  }, 60_000);

  it('pipeline generates a sample of an older layout again, with its settings, and goes on', () => {
    const manifestFile = path.join(lake, '_sim', 'manifest.json');
    const { format, ...older } = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      format: number;
    };
    expect(format).toBe(SAMPLE_FORMAT);
    writeFileSync(manifestFile, JSON.stringify(older));
    const { code, stderr } = medallion(lake, 'pipeline');
    expect(code).toBe(0);
    expect(stderr).toContain('is of an older layout: generating it again');
    expect(JSON.parse(readFileSync(manifestFile, 'utf8'))).toEqual({ format, ...older });
    expect(stderr).toContain('has already run; nothing to do');
  }, 60_000);

  it('generate --replace deletes the old sample and everything the runs made of it', () => {
    const { code } = medallion(
      lake,
      'generate',
      '--scale',
      '500',
      '--days',
      '1',
      '--seed',
      '7',
      '--replace',
    );
    expect(code).toBe(0);
    expect(existsSync(path.join(lake, 'bronze'))).toBe(false);
    expect(existsSync(path.join(lake, 'lakehouse.duckdb'))).toBe(false);
    expect(existsSync(path.join(lake, '_sim', 'manifest.json'))).toBe(true);
  }, 60_000);
});
