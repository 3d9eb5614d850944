import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { loadContracts } from '../../lambdas/definitions/source-files';
import { parseContract } from '../../lambdas/core/contracts/contract';
import { ContractVersions } from '../../lambdas/core/contracts/versions';
import { fileCommits, listFiles, resolveRef, showFile } from '../../lambdas/runtime/git';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { emptyLakehouse } from '../helpers/lake';

describe('the contract registry', () => {
  let close: () => void;
  let lakehouse: DuckDbLakehouse;
  let versions: ContractVersions;

  beforeEach(async () => {
    ({ lakehouse, close } = await emptyLakehouse());
    versions = new ContractVersions(lakehouse);
  });
  afterEach(() => {
    close();
  });

  it('registers each version once, reports drift under an unchanged version, and returns history oldest first', async () => {
    const contracts = (await loadContracts(projectRoot)).all();
    const first = await versions.register(contracts, 'run-1', '2026-01-01T00:00:00.000Z');
    expect(first.registered).toHaveLength(contracts.length);
    expect(await versions.register(contracts, 'run-2', '2026-01-02T00:00:00.000Z')).toEqual({
      registered: [],
      drifted: [],
    });

    const orders = contracts.find((c) => c.id === 'silver.orders')!;
    const edited = (version: string, description: string) =>
      parseContract(
        JSON.stringify({ ...orders.document, version, description: { purpose: description } }),
        orders.file,
      );
    expect(
      await versions.register(
        [edited(orders.version, 'Changed.')],
        'run-3',
        '2026-01-03T00:00:00.000Z',
      ),
    ).toEqual({
      registered: [],
      drifted: ['silver.orders'],
    });
    await versions.register([edited('9.10.0', 'Later.')], 'run-4', '2026-01-04T00:00:00.000Z');
    await versions.register([edited('9.9.0', 'Earlier.')], 'run-5', '2026-01-05T00:00:00.000Z');
    const history = (await versions.history()).get('silver.orders')!;
    expect(history.map((d) => d.version)).toEqual([orders.version, '9.9.0', '9.10.0']);
  });
});

describe('reading committed files with git', () => {
  let repo: string;
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repo,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    }).trim();

  beforeEach(() => {
    repo = mkdtempSync(path.join(os.tmpdir(), 'medallion-git-'));
    git('init', '-q');
    execFileSync('mkdir', ['-p', path.join(repo, 'config/contracts')]);
    writeFileSync(path.join(repo, 'config/contracts/a.yaml'), 'version: 1\n');
    git('add', '.');
    git('commit', '-qm', 'one');
    writeFileSync(path.join(repo, 'config/contracts/a.yaml'), 'version: 2\n');
    writeFileSync(path.join(repo, 'config/contracts/b.yaml'), 'b\n');
    git('add', '.');
    git('commit', '-qm', 'two');
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  it('shows a file at a revision, lists a folder, and walks a file’s history', async () => {
    const head = await resolveRef(repo, 'HEAD');
    expect(head).toBe(git('rev-parse', 'HEAD'));
    expect(await showFile(repo, 'HEAD', 'config/contracts/a.yaml')).toBe('version: 2\n');
    expect(await showFile(repo, 'HEAD~1', 'config/contracts/a.yaml')).toBe('version: 1\n');
    expect(await showFile(repo, 'HEAD~1', 'config/contracts/b.yaml')).toBeUndefined();
    expect(await listFiles(repo, 'HEAD', 'config/contracts')).toEqual([
      'config/contracts/a.yaml',
      'config/contracts/b.yaml',
    ]);
    expect(await fileCommits(repo, 'HEAD', 'config/contracts/a.yaml')).toHaveLength(2);
  });

  it('names a revision that does not exist', async () => {
    await expect(resolveRef(repo, 'no-such-branch')).rejects.toThrow(
      /no-such-branch is not a git revision of/,
    );
  });
});
