import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PlatformConfig } from '../../config/schema';
import { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import type { Contract } from '../../lambdas/core/contracts/contract';
import { generateSampleData } from '../../lambdas/runtime/generator';
import { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { loadProject, type Project } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { silentLogger } from './clock';

export const day1 = '2026-01-01';
export const day2 = '2026-01-02';

/** The project as the repository defines it, with simulator waits shortened for tests. */
export async function testProject(
  adjust: (config: PlatformConfig) => PlatformConfig = (c) => c,
): Promise<Project> {
  const project = await loadProject({ root: projectRoot });
  const config: PlatformConfig = {
    ...project.config,
    simulators: { ...project.config.simulators, retryAfterSeconds: 0 },
    sources: Object.fromEntries(
      Object.entries(project.config.sources).map(([name, source]) => [
        name,
        source.kind === 'rest'
          ? { ...source, retry: { ...source.retry, baseDelayMs: 1, maxDelayMs: 5 } }
          : source,
      ]),
    ),
  };
  return { ...project, config: adjust(config) };
}

/** A fresh lake folder with generated sample data; removed by `cleanup`. */
export async function sampleLake(
  scale: number,
  days = 2,
): Promise<{ lakeRoot: string; cleanup: () => void }> {
  const lakeRoot = mkdtempSync(path.join(os.tmpdir(), 'medallion-test-'));
  await generateSampleData({ lakeRoot, scale, days, seed: 42, startDate: day1 });
  return { lakeRoot, cleanup: () => rmSync(lakeRoot, { recursive: true, force: true }) };
}

export function openPlatform(project: Project, lakeRoot: string): Promise<LocalPlatform> {
  return LocalPlatform.open(project, { lakeRoot, logger: silentLogger });
}

/** An empty lakehouse (its schemas and audit tables only) in a temporary folder; `close` removes it. */
export async function emptyLakehouse(
  bronze: readonly Contract[] = [],
): Promise<{ lakehouse: DuckDbLakehouse; close: () => void }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'medallion-lakehouse-'));
  const lakehouse = await DuckDbLakehouse.open({
    lakeRoot: root,
    threads: 1,
    memoryLimit: '256MB',
    bronze,
  });
  return {
    lakehouse,
    close: () => {
      lakehouse.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
