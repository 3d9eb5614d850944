/**
 * `medallion pii scan` on a real local lake (one daily run on generated data) and on files: every
 * column the contracts call PII is found, in every layer and in quarantine, nothing else is, and
 * a contract classifying a column weaker than what it holds fails the command.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { classifyTables } from '../../lambdas/core/access/tables';
import type { Project } from '../../lambdas/definitions/project-files';
import { openReadOnly } from '../../lambdas/runtime/cli/context';
import { runJob } from '../../lambdas/runtime/runner';
import { day1, openPlatform, sampleLake, testProject } from '../helpers/lake';
import { medallion } from '../helpers/cli';

interface ScanOutput {
  sources: {
    source: string;
    findings: { column: string; kind: string; entity?: string; evidence: { sampled: number } }[];
  }[];
  mismatches: { dataset: string; column: string; entity: string; message: string }[];
}

describe('pii scan', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let project: Project;
  let files: string;

  beforeAll(async () => {
    files = mkdtempSync(path.join(os.tmpdir(), 'medallion-pii-files-'));
    lake = await sampleLake(2_000, 1);
    project = await testProject();
    const platform = await openPlatform(project, lake.lakeRoot);
    const outcome = await runJob(platform, 'daily', { runDate: day1, retryIntervalMs: 0 });
    await platform.close();
    expect(outcome.error ?? outcome.status).toBe('succeeded');
  }, 180_000);
  afterAll(() => {
    lake?.cleanup();
    rmSync(files, { recursive: true, force: true });
  });

  it('--all finds every column the contracts call PII, in every layer and in quarantine, and flags none other', async () => {
    const scan = medallion('--lake', lake.lakeRoot, 'pii', 'scan', '--all', '--format', 'json');
    expect(scan.stderr).toMatch(/PII column\(s\).*no contract classifies them weaker than pii/);
    expect(scan.code).toBe(0);
    const output = JSON.parse(scan.stdout) as ScanOutput;
    const flagged = output.sources.flatMap((s) =>
      s.findings.filter((f) => f.kind === 'pii').map((f) => `${s.source}.${f.column}`),
    );
    const lakehouse = await openReadOnly(project, lake.lakeRoot);
    const tables = classifyTables(await lakehouse.columns(), project.contracts);
    lakehouse.close();
    const classifiedPii = tables.flatMap((t) =>
      t.columns.filter((c) => c.classification === 'pii').map((c) => `${t.relation}.${c.name}`),
    );
    // Data columns classified pii by a contract (or, in quarantine, by the contract of their name),
    // not the platform's fail-closed ones (`_extra`, audit evidence), holding values in this lake.
    const sampled = new Set(
      output.sources.flatMap((s) =>
        s.findings.filter((f) => f.evidence.sampled > 0).map((f) => `${s.source}.${f.column}`),
      ),
    );
    const expected = classifiedPii.filter(
      (c) => !c.startsWith('audit.') && !c.split('.')[2]!.startsWith('_') && sampled.has(c),
    );
    expect(expected).toContain('silver.customers.email');
    expect(expected).toContain('quarantine.customers.email');
    expect(flagged.filter((c) => !classifiedPii.includes(c))).toEqual([]);
    expect(expected.filter((c) => !flagged.includes(c))).toEqual([]);
    expect(output.mismatches).toEqual([]);
  });

  it('scans a CSV or JSONL file by values, whatever its columns are called', () => {
    const csv = path.join(files, 'export.csv');
    writeFileSync(
      csv,
      [
        'c1,email,amount,c2',
        ...Array.from(
          { length: 30 },
          (_, i) => `ann${i}@example.com,SKU-${i}-RED,${i}.99,4111 1111 1111 1111`,
        ),
      ].join('\n'),
    );
    const scan = medallion('pii', 'scan', csv, '--format', 'json');
    expect(scan.code).toBe(0);
    const [source] = (JSON.parse(scan.stdout) as ScanOutput).sources;
    expect(source!.findings.map((f) => [f.column, f.entity ?? 'none'])).toEqual([
      ['c1', 'email'],
      ['email', 'none'],
      ['amount', 'none'],
      ['c2', 'credit_card'],
    ]);
    const jsonl = path.join(files, 'events.jsonl');
    writeFileSync(
      jsonl,
      Array.from({ length: 20 }, (_, i) =>
        JSON.stringify({ id: i, ip: `10.0.${i}.1`, note: 'ok' }),
      ).join('\n'),
    );
    const table = medallion('pii', 'scan', jsonl);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ ip\s+│ pii\s+│ ip_address/);
    expect(table.stdout).not.toContain('10.0.');
  });

  it('exits 3 when a contract classifies a column weaker than the data it holds, naming it', async () => {
    const writable = await DuckDbLakehouse.open({
      lakeRoot: lake.lakeRoot,
      threads: 1,
      memoryLimit: '256MB',
      bronze: [],
    });
    await writable.execute('update silver.crm_accounts set industry = owner_email');
    writable.close();
    const scan = medallion('--lake', lake.lakeRoot, 'pii', 'scan', 'silver.crm_accounts');
    expect(scan.code).toBe(3);
    expect(scan.stdout).toContain('silver.crm_accounts.industry holds email (100% of');
    expect(scan.stdout).toContain(
      'but is classified internal in config/contracts/silver.crm_accounts.yaml: classify it pii',
    );
    expect(scan.stderr).toContain('1 column(s) classified weaker than their data (exit 3)');
  });

  it('refuses a target and --all together, and an unknown dataset, with a clear message', () => {
    expect(medallion('pii', 'scan', 'silver.customers', '--all').code).toBe(2);
    const unknown = medallion('--lake', lake.lakeRoot, 'pii', 'scan', 'silver.nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No dataset silver.nope in the lake');
    const help = medallion('pii', 'scan', '--help');
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toContain('3  a contract leaves a column holding PII');
  });
});
