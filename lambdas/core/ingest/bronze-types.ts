/**
 * The column types each kind of source writes to bronze. Landing files are cast to the bronze
 * contract's types, and the Glue table declares them; so a contract must declare what the source's
 * own connector writes too, or one table would hold Parquet of two physical types, one of them
 * not what Glue (and Athena) read it as.
 */
import type { PlatformConfig } from '../../../config/schema';
import type { Contract, ContractRegistry } from '../contracts/contract';
import { ConfigError, type ConfigProblem } from '../errors';
import { kafkaBronzeColumns } from './kafka';

/**
 * Refuses a bronze contract whose declared types its source's connector cannot write: a REST
 * source keeps JSON values as text (silver types them), a Kafka drain writes its fixed columns.
 * Warehouse exports are cast to the contract's types, so any type fits.
 */
export function assertBronzeContractsFitSources(
  config: Pick<PlatformConfig, 'sources'>,
  contracts: ContractRegistry,
): void {
  for (const contract of contracts.all().filter((c) => c.layer === 'bronze')) {
    const source = config.sources[contract.id.split('.')[0]!];
    const problems =
      source?.kind === 'rest'
        ? restProblems(contract)
        : source?.kind === 'kafka'
          ? kafkaProblems(contract)
          : [];
    if (problems.length > 0) throw new ConfigError(contract.file, problems);
  }
}

function restProblems(contract: Contract): ConfigProblem[] {
  return contract.properties.flatMap((p, i) =>
    p.physicalType === 'VARCHAR'
      ? []
      : [
          {
            path: `schema.0.properties.${i}.physicalType`,
            expected: `VARCHAR: a rest source keeps JSON values as text in bronze (type ${p.name} in its silver model with try_cast or iso_timestamp)`,
            found: p.physicalType,
          },
        ],
  );
}

function kafkaProblems(contract: Contract): ConfigProblem[] {
  const declared = contract.columns.map((c) => `${c.name} ${c.type}`);
  const written = kafkaBronzeColumns.map((c) => `${c.name} ${c.type}`);
  if (declared.join(', ') === written.join(', ')) return [];
  return [
    {
      path: 'schema.0.properties',
      expected: `the columns a Kafka drain writes: ${written.join(', ')}`,
      found: declared.join(', '),
    },
  ];
}
