import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { parseRedshiftConnection, parseSnowflakeConnection } from '../../core/connections';
import type { PlatformConfig } from '../../../config/schema';
import type { S3ObjectStore } from '../../adapters/aws/s3-object-store';
import { RedshiftWarehouseClient } from '../../adapters/aws/redshift-client';
import { SnowflakeWarehouseClient } from '../../adapters/aws/snowflake-client';
import { FetchHttpClient } from '../../adapters/http/fetch-client';
import { systemClock } from '../../adapters/system-clock';
import { PipelineError } from '../../core/errors';
import type { WarehouseClient } from '../../core/ports';
import { tracer } from '../lambda-handler';
import { secrets } from './secrets';

/** The client for a warehouse source, by its engine; a connection missing a key fails naming it. */
export function warehouseClients(
  config: PlatformConfig,
  store: S3ObjectStore,
): (source: string) => WarehouseClient {
  const redshift = tracer.captureAWSv3Client(new RedshiftDataClient({}));
  const reader = secrets();
  return (name) => {
    const source = config.sources[name];
    if (source?.kind !== 'warehouse') throw new PipelineError(`No warehouse source named ${name}`);
    return source.engine === 'snowflake'
      ? new SnowflakeWarehouseClient(
          { http: new FetchHttpClient(), secrets: reader, store, clock: systemClock },
          parseSnowflakeConnection(name, source.connection),
        )
      : new RedshiftWarehouseClient(
          { client: redshift, store, clock: systemClock },
          parseRedshiftConnection(name, source.connection),
        );
  };
}
