/**
 * Loads the whole project from disk: config and contracts (`source-files.ts`), SQL models and
 * seeds. Every parse error names its file.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContractRegistry } from '../core/contracts/contract';
import { loadModelProject, type ModelProject } from '../core/models/project';
import { loadSources, type ProjectOptions, type Sources } from './source-files';

export interface Project extends Sources {
  readonly models: ModelProject;
}

export async function loadProject(options: ProjectOptions): Promise<Project> {
  const sources = await loadSources(options);
  return { ...sources, models: await loadModels(sources.root, sources.contracts) };
}

/** The SQL models and seeds under `models/`, checked against the contracts. */
export async function loadModels(root: string, contracts: ContractRegistry): Promise<ModelProject> {
  const read = async (relative: string) => readFile(path.join(root, relative), 'utf8');
  const list = async (folder: string, extension: string) =>
    existsSync(path.join(root, folder))
      ? (await readdir(path.join(root, folder)))
          .filter((f) => f.endsWith(extension))
          .sort()
          .map((f) => `${folder}/${f}`)
      : [];
  const sqlFiles = [
    ...(await list('models/silver', '.sql')),
    ...(await list('models/gold', '.sql')),
  ];
  const files = await Promise.all(
    sqlFiles.map(async (sqlPath) => {
      const ymlPath = sqlPath.replace(/\.sql$/, '.yml');
      return {
        sqlPath,
        sql: await read(sqlPath),
        ymlPath,
        yml: existsSync(path.join(root, ymlPath)) ? await read(ymlPath) : undefined,
      };
    }),
  );
  const seeds = await Promise.all(
    (await list('models/seeds', '.csv')).map(async (p) => ({ path: p, csv: await read(p) })),
  );
  return loadModelProject(files, seeds, contracts);
}
