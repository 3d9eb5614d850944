/**
 * `medallion validate`, and the check `run` and `pipeline` make before they start: config,
 * contracts and models are loaded file by file, every problem kept, then each model is built on
 * empty inputs in a scratch DuckDB (see `dryRunModels`). Nothing touches the lake.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDbLakehouse } from '../adapters/duckdb/engine';
import { ContractRegistry, type Contract } from '../core/contracts/contract';
import { configProblems, problemsOf, type DefinitionProblem } from '../core/definition-check';
import { retentionProblems, retentionRules } from '../core/maintenance';
import { dryRunModels } from '../core/models/dry-run';
import type { ModelProject } from '../core/models/project';
import { loadModels } from '../definitions/project-files';
import {
  loadAccessPolicy,
  loadConfig,
  parseContractFiles,
  type ProjectOptions,
} from '../definitions/source-files';
import { policyProblems } from '../core/access/policy';
import { classifyTables, declaredTables } from '../core/access/tables';
import { assertBronzeContractsFitSources } from '../core/ingest/bronze-types';
import { stateMachineDefinitions } from '../definitions/state-machine-files';

export interface Validation {
  readonly problems: readonly DefinitionProblem[];
  readonly contracts: number;
  /** Models built on empty inputs: none while a contract cannot be read, as each model needs its own. */
  readonly models: number;
  readonly seconds: number;
}

export async function validateProject(options: ProjectOptions): Promise<Validation> {
  const started = performance.now();
  const root = options.root;
  const problems: DefinitionProblem[] = [];
  const configFile = shown(
    root,
    options.configFile
      ? path.resolve(options.configFile)
      : path.join(root, 'config', `${options.env ?? 'local'}.yaml`),
  );
  const config = await loadConfig(options).catch((error: unknown) => {
    problems.push(...problemsOf(error, configFile).map((p) => ({ ...p, file: configFile })));
    return undefined;
  });

  const parsed = await parseContractFiles(root);
  const contracts = parsed.filter((c): c is Contract => !(c instanceof Error));
  for (const failed of parsed.filter((c) => c instanceof Error))
    problems.push(...problemsOf(failed, 'config/contracts'));
  let registry: ContractRegistry | undefined;
  try {
    registry = new ContractRegistry(contracts);
  } catch (error) {
    problems.push(...problemsOf(error, 'config/contracts'));
  }
  if (config && registry) {
    problems.push(...configProblems(config.config, configFile, registry));
    // The jobs' ASL is built from the config and the templates of stepfunctions/.
    try {
      stateMachineDefinitions(root, config.config);
    } catch (error) {
      problems.push(...problemsOf(error, 'stepfunctions'));
    }
    try {
      assertBronzeContractsFitSources(config.config, registry);
    } catch (error) {
      problems.push(...problemsOf(error, 'config/contracts'));
    }
  }
  if (registry) problems.push(...(await accessProblems(root, options.env ?? 'local', registry)));

  let built = 0;
  if (registry && contracts.length === parsed.length) {
    const models = await loadModels(root, registry).catch((error: unknown) => {
      problems.push(...problemsOf(error, 'models'));
      return undefined;
    });
    if (models) {
      if (config)
        problems.push(
          ...retentionProblems(
            retentionRules(config.config.maintenance, registry.all()),
            models.models,
          ).map((p) => (p.file === 'config' ? { ...p, file: configFile } : p)),
        );
      problems.push(...(await dryRun(registry, models)));
      built = models.models.length;
    }
  }
  return {
    problems,
    contracts: contracts.length,
    models: built,
    seconds: (performance.now() - started) / 1000,
  };
}

/** `config/access.yaml`: it parses, and every persona, table and row filter it names exists. */
async function accessProblems(
  root: string,
  env: string,
  contracts: ContractRegistry,
): Promise<DefinitionProblem[]> {
  try {
    const policy = await loadAccessPolicy(root, env);
    if (!policy) return [];
    const tables = classifyTables(declaredTables(contracts), contracts);
    return policyProblems(policy, tables).map((message) => ({
      file: policy.file,
      message: message.replace(`${policy.file}: `, ''),
    }));
  } catch (error) {
    return problemsOf(error, 'config/access.yaml');
  }
}

/** A file as the project names it: relative to the project root, or else to where the command runs. */
function shown(root: string, file: string): string {
  const inProject = path.relative(root, file);
  return inProject.startsWith('..') ? path.relative(process.cwd(), file) : inProject;
}

/** The models built in a scratch lakehouse that is removed afterwards. */
async function dryRun(
  contracts: ContractRegistry,
  project: ModelProject,
): Promise<DefinitionProblem[]> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'medallion-validate-'));
  try {
    const engine = await DuckDbLakehouse.open({
      lakeRoot: scratch,
      threads: 1,
      memoryLimit: '512MB',
      bronze: contracts.all().filter((c) => c.layer === 'bronze'),
    });
    try {
      return await dryRunModels(
        { engine, contracts, project },
        new Date().toISOString().slice(0, 10),
      );
    } finally {
      engine.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
