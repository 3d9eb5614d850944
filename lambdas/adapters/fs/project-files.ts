/**
 * Loads the project's declarative definitions from disk: config, contracts, SQL models and seeds,
 * from the repository locally and from the function bundle on Lambda. Every parse error names its
 * file; nothing here decides behaviour.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseConfig, type PlatformConfig } from '../../../config/schema';
import { ContractRegistry, parseContract } from '../../core/contracts/contract';
import { PipelineError } from '../../core/errors';
import { loadModelProject, type ModelProject } from '../../core/models/project';

export interface Project {
  readonly root: string;
  readonly configFile: string;
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
  readonly models: ModelProject;
}

export interface ProjectOptions {
  /** The folder holding `config/`, `models/` and `stepfunctions/` (the repository, or a Lambda bundle). */
  readonly root: string;
  /** Environment whose `config/<env>.yaml` to load. @default 'local' */
  readonly env?: string;
  /** A config file to load instead. */
  readonly configFile?: string;
}

export async function loadProject(options: ProjectOptions): Promise<Project> {
  const root = options.root;
  const configFile = options.configFile
    ? path.resolve(options.configFile)
    : path.join(root, 'config', `${options.env ?? 'local'}.yaml`);
  if (!existsSync(configFile)) {
    const envs = (await readdir(path.join(root, 'config')))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    throw new PipelineError(
      `No config file ${path.relative(process.cwd(), configFile)} (environments: ${envs.join(', ')})`,
    );
  }
  const config = parseConfig(
    await readFile(configFile, 'utf8'),
    path.relative(process.cwd(), configFile) || configFile,
  );
  const contracts = await loadContracts(root);
  return { root, configFile, config, contracts, models: await loadModels(root, contracts) };
}

export async function loadContracts(root: string): Promise<ContractRegistry> {
  const folder = path.join(root, 'config', 'contracts');
  const files = (await readdir(folder)).filter((f) => f.endsWith('.yaml')).sort();
  const contracts = await Promise.all(
    files.map(async (f) =>
      parseContract(await readFile(path.join(folder, f), 'utf8'), `config/contracts/${f}`),
    ),
  );
  for (const contract of contracts) {
    const expected = `${contract.id}.yaml`;
    if (path.basename(contract.file) !== expected) {
      throw new PipelineError(
        `${contract.file}: a contract's file is named after its id (${expected})`,
      );
    }
  }
  return new ContractRegistry(contracts);
}

async function loadModels(root: string, contracts: ContractRegistry): Promise<ModelProject> {
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
