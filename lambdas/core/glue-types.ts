import { PipelineError } from './errors';
import type { PortableTypeName } from './sql-types';

/** Hive/Glue spelling of a contract's portable SQL type: Glue columns and Athena DDL use it. */
export function glueType(portable: string): string {
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(portable);
  if (decimal) return `decimal(${decimal[1]},${decimal[2]})`;
  const types: Record<PortableTypeName, string> = {
    VARCHAR: 'string',
    BIGINT: 'bigint',
    INTEGER: 'int',
    DOUBLE: 'double',
    BOOLEAN: 'boolean',
    DATE: 'date',
    TIMESTAMP: 'timestamp',
  };
  const type = types[portable as PortableTypeName] as string | undefined;
  if (!type) throw new PipelineError(`No Glue type for ${portable}`);
  return type;
}
