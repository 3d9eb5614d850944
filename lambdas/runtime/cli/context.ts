/** What every command needs: the loaded project, the lake folder, and a read-only view of it. */
import path from 'node:path';
import type { Command } from 'commander';
import { DuckDbLakehouse } from '../../adapters/duckdb/engine';
import { PersonaSession } from '../../adapters/duckdb/persona-session';
import type { AccessPolicy } from '../../core/access/policy';
import { PipelineError } from '../../core/errors';
import { loadAccessPolicy } from '../../definitions/source-files';
import { loadProject, type Project } from '../../definitions/project-files';
import { projectRoot } from '../../definitions/project-root';

interface GlobalOptions {
  env: string;
  config?: string;
  lake?: string;
}

/** Loads the project and decides the lake folder: `--lake`, else `lake.root` from config. */
export async function context(
  command: Command,
): Promise<{ project: Project; lakeRoot: string; env: string }> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const project = await loadProject({
    root: projectRoot,
    env: options.env,
    configFile: options.config,
  });
  const lakeRoot = options.lake
    ? path.resolve(options.lake)
    : path.resolve(projectRoot, project.config.lake.root);
  return { project, lakeRoot, env: options.env };
}

/** The lakehouse opened for reading only (queries, status, reports). */
export async function openReadOnly(
  project: Project,
  lakeRoot: string,
  bronzeCatalog?: string,
): Promise<DuckDbLakehouse> {
  const { engine } = project.config;
  return DuckDbLakehouse.open({
    lakeRoot,
    threads: engine.threads,
    memoryLimit: engine.memoryLimit,
    bronze: project.contracts.all().filter((c) => c.layer === 'bronze'),
    readOnly: true,
    ...(bronzeCatalog ? { bronzeCatalog } : {}),
  });
}

/** The project's access policy (`config/access.yaml`) for `env`; an error when there is none. */
export async function accessPolicy(project: Project, env: string): Promise<AccessPolicy> {
  const policy = await loadAccessPolicy(project.root, env);
  if (!policy)
    throw new PipelineError(
      'No access policy: config/access.yaml defines the personas (see docs/security.md).',
    );
  return policy;
}

/** The lake as a persona reads it (see `PersonaSession`); close it with `lakehouse.close()`. */
export async function openAs(
  project: Project,
  lakeRoot: string,
  policy: AccessPolicy,
  persona: string,
): Promise<{ lakehouse: DuckDbLakehouse; session: PersonaSession }> {
  const lakehouse = await openReadOnly(project, lakeRoot, 'bronze_files');
  try {
    return {
      lakehouse,
      session: await PersonaSession.open(lakehouse, policy, persona, project.contracts),
    };
  } catch (error) {
    lakehouse.close();
    throw error;
  }
}
