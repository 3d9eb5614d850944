/**
 * Checks of the definitions (config, contracts, models) that need no engine, and the one shape
 * every problem found before a run takes: the file to fix and what is wrong in it.
 */
import type { PlatformConfig } from '../../config/schema';
import { parseRedshiftConnection, parseSnowflakeConnection } from './connections';
import type { ContractRegistry } from './contracts/contract';
import { ConfigError } from './errors';

/** Something wrong with a definition file, found before any run starts. */
export interface DefinitionProblem {
  /** The file to fix, relative to the project root. */
  readonly file: string;
  readonly message: string;
}

/**
 * The problems an error of loading stands for: each key of an invalid file, or the error's
 * message under the file it starts with (`models/silver/orders.sql: ...`), else `file`.
 */
export function problemsOf(error: unknown, file: string): DefinitionProblem[] {
  if (error instanceof ConfigError)
    return error.problems.map((p) => ({
      file: error.file,
      message: `${p.path || '(root)'}: expected ${p.expected}, found ${p.found}`,
    }));
  const message = error instanceof Error ? error.message : String(error);
  const named = /^([\w./-]+\.(?:sql|yml|yaml|csv)):?\s+([\s\S]*)$/.exec(message);
  return [named ? { file: named[1]!, message: named[2]! } : { file, message }];
}

/**
 * What a run would only find out source by source: a dataset without its bronze contract, and
 * (outside the local environment, which needs none) a warehouse connection missing a setting.
 */
export function configProblems(
  config: PlatformConfig,
  file: string,
  contracts: ContractRegistry,
): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const bronze = new Set(contracts.all().map((c) => c.id));
  for (const [name, source] of Object.entries(config.sources)) {
    for (const dataset of Object.keys(source.datasets))
      if (!bronze.has(`${name}.${dataset}`))
        problems.push({
          file,
          message: `sources.${name}.datasets.${dataset}: no contract config/contracts/${name}.${dataset}.yaml describes what it lands in bronze`,
        });
    if (source.kind !== 'warehouse') continue;
    if (config.env === 'local' && Object.keys(source.connection).length === 0) continue;
    try {
      if (source.engine === 'snowflake') parseSnowflakeConnection(name, source.connection);
      else parseRedshiftConnection(name, source.connection);
    } catch (error) {
      problems.push({ file, message: (error as Error).message });
    }
  }
  return problems;
}
