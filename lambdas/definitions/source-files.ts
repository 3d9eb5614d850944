/**
 * Loads config and contracts from disk: from the repository locally and from the function bundle
 * on Lambda. Every parse error names its file; nothing here decides behaviour. Ingestion needs no
 * more than this; `project-files.ts` adds the SQL models.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { deliverySchema, type DeliveryConfig, type PlatformConfig } from '../../config/schema';
import { parseConfig } from '../core/config';
import { parseYamlWith } from '../core/validation';
import { parseAccessPolicy, type AccessPolicy } from '../core/access/policy';
import { ContractRegistry, parseContract, type Contract } from '../core/contracts/contract';
import { PipelineError } from '../core/errors';
import { assertBronzeContractsFitSources } from '../core/ingest/bronze-types';

export interface Sources {
  readonly root: string;
  readonly configFile: string;
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
}

export interface ProjectOptions {
  /** The folder holding `config/`, `models/` and `stepfunctions/` (the repository, or a Lambda bundle). */
  readonly root: string;
  /** Environment whose `config/<env>.yaml` to load. @default 'local' */
  readonly env?: string;
  /** A config file to load instead. */
  readonly configFile?: string;
}

export async function loadSources(options: ProjectOptions): Promise<Sources> {
  const { configFile, config } = await loadConfig(options);
  const contracts = await loadContracts(options.root);
  assertBronzeContractsFitSources(config, contracts);
  return { root: options.root, configFile, config, contracts };
}

export async function loadConfig(
  options: ProjectOptions,
): Promise<{ configFile: string; config: PlatformConfig }> {
  const root = options.root;
  const configFile = options.configFile
    ? path.resolve(options.configFile)
    : path.join(root, 'config', `${options.env ?? 'local'}.yaml`);
  if (!existsSync(configFile)) {
    const envs = (await readdir(path.join(root, 'config')))
      .filter((f) => f.endsWith('.yaml') && f !== accessPolicyFile && f !== deliveryFile)
      .map((f) => f.replace(/\.yaml$/, ''));
    throw new PipelineError(
      `No config file ${path.relative(process.cwd(), configFile)} (environments: ${envs.join(', ')})`,
    );
  }
  const config = parseConfig(
    await readFile(configFile, 'utf8'),
    path.relative(process.cwd(), configFile) || configFile,
  );
  return { configFile, config };
}

export async function loadContracts(root: string): Promise<ContractRegistry> {
  const parsed = await parseContractFiles(root);
  const failed = parsed.find((c) => c instanceof Error);
  if (failed) throw failed;
  return new ContractRegistry(parsed as Contract[]);
}

/** Each contract file parsed on its own, or why it cannot be: one bad file hides no other's problems. */
export async function parseContractFiles(root: string): Promise<(Contract | PipelineError)[]> {
  const folder = path.join(root, 'config', 'contracts');
  const files = (await readdir(folder)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (f) => {
      try {
        const contract = parseContract(
          await readFile(path.join(folder, f), 'utf8'),
          `config/contracts/${f}`,
        );
        const expected = `${contract.id}.yaml`;
        if (f !== expected)
          throw new PipelineError(
            `${contract.file}: a contract's file is named after its id (${expected})`,
          );
        return contract;
      } catch (error) {
        if (error instanceof PipelineError) return error;
        throw error;
      }
    }),
  );
}

const accessPolicyFile = 'access.yaml';

/** `config/access.yaml` with `env`'s overrides, or undefined when the project has none. */
export async function loadAccessPolicy(
  root: string,
  env: string,
): Promise<AccessPolicy | undefined> {
  const file = path.join(root, 'config', accessPolicyFile);
  if (!existsSync(file)) return undefined;
  return parseAccessPolicy(await readFile(file, 'utf8'), `config/${accessPolicyFile}`, env);
}

const deliveryFile = 'delivery.yaml';

/** `config/delivery.yaml`, the delivery pipeline's settings; undefined without the file. */
export async function loadDeliveryConfig(root: string): Promise<DeliveryConfig | undefined> {
  const file = path.join(root, 'config', deliveryFile);
  if (!existsSync(file)) return undefined;
  return parseYamlWith(deliverySchema, await readFile(file, 'utf8'), `config/${deliveryFile}`);
}
