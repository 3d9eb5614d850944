/** What every command needs: the loaded project, the lake folder, and a read-only view of it. */
import path from 'node:path';
import type { Command } from 'commander';
import { DuckDbLakehouse } from '../../adapters/duckdb/engine';
import { loadProject, type Project } from '../../definitions/project-files';
import { projectRoot } from '../../definitions/project-root';

interface GlobalOptions {
  env: string;
  config?: string;
  lake?: string;
}

/** Loads the project and decides the lake folder: `--lake`, else `lake.root` from config. */
export async function context(command: Command): Promise<{ project: Project; lakeRoot: string }> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const project = await loadProject({
    root: projectRoot,
    env: options.env,
    configFile: options.config,
  });
  const lakeRoot = options.lake
    ? path.resolve(options.lake)
    : path.resolve(projectRoot, project.config.lake.root);
  return { project, lakeRoot };
}

/** The lakehouse opened for reading only (queries, status, reports). */
export async function openReadOnly(project: Project, lakeRoot: string): Promise<DuckDbLakehouse> {
  const { engine } = project.config;
  return DuckDbLakehouse.open({
    lakeRoot,
    threads: engine.threads,
    memoryLimit: engine.memoryLimit,
    bronze: project.contracts.all().filter((c) => c.layer === 'bronze'),
    readOnly: true,
  });
}
