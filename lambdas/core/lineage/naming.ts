/**
 * Dataset names by OpenLineage's naming conventions, so local and AWS lineage line up: a lake
 * table is its storage location (`s3://bucket` + key prefix on AWS, `file` + path locally) with
 * its Glue table as a symlink (`arn:aws:glue:<region>:<account>`, `table/<database>/<table>`);
 * a source system is named by its own scheme (`snowflake://org-account`, `redshift://host:port`,
 * `kafka://host:port`, the API's base URL).
 */
import type { PlatformConfig, SourceConfig } from '../../../config/schema';
import {
  glueDatabaseName,
  lakeSchemas,
  schemaLocations,
  type BucketRole,
  type LakeSchema,
} from '../aws-names';
import type { ContractRegistry } from '../contracts/contract';
import { facet, type DatasetRef, type Facet } from './openlineage';

/** Where a bucket role's objects are, in OpenLineage terms: `s3://bucket` and `''`, or `file` and a folder. */
export type StorageLocation = (role: BucketRole) => { namespace: string; root: string };

export interface LineageNamingOptions {
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
  readonly storage: StorageLocation;
  /** The Glue catalog's region and account (the function's on AWS, fixed values locally). */
  readonly region: string;
  readonly account: string;
}

export interface LakeDataset extends DatasetRef {
  /** The Glue table, as a `symlinks` facet. */
  readonly symlinks: Facet;
}

export class LineageNaming {
  /** Namespace of every job of this deployment: `medallion-prod`. */
  readonly jobNamespace: string;

  constructor(private readonly options: LineageNamingOptions) {
    this.jobNamespace = `${options.config.project}-${options.config.env}`;
  }

  /** A lake table by dataset id (`snowflake.orders`, `silver.customers`) or relation (`seeds.countries`). */
  lake(dataset: string): LakeDataset {
    const { config, contracts, storage } = this.options;
    const contract =
      contracts.all().find((c) => c.id === dataset) ?? contracts.forRelation(dataset);
    const [schema, table] = (contract?.relation ?? dataset).split('.') as [LakeSchema, string];
    if (!lakeSchemas.includes(schema)) {
      throw new Error(`${dataset} is not a lake table (schemas: ${lakeSchemas.join(', ')})`);
    }
    const { bucket, prefix } = schemaLocations[schema];
    const path = contract?.layer === 'bronze' ? contract.id.replace('.', '/') : table;
    const { namespace, root } = storage(bucket);
    return {
      namespace,
      name: `${root}${prefix}${path}`,
      symlinks: facet('SymlinksDatasetFacet', {
        identifiers: [
          {
            namespace: `arn:aws:glue:${this.options.region}:${this.options.account}`,
            name: `table/${glueDatabaseName(config.project, config.env, schema)}/${table}`,
            type: 'TABLE',
          },
        ],
      }),
    };
  }

  /** The landing folder of a dataset (`landing/<source>/<dataset>/` in the landing bucket). */
  landing(source: string, dataset: string): DatasetRef {
    const { namespace, root } = this.options.storage('landing');
    return { namespace, name: `${root}${source}/${dataset}` };
  }

  /** A source dataset in the system it is extracted from. */
  external(source: string, dataset: string): DatasetRef {
    const configured = this.options.config.sources[source];
    if (!configured) throw new Error(`No source named ${source} in config`);
    return externalDatasetRef(this.options.config, configured, dataset);
  }

  /** The OpenLineage job of a pipeline, from its state machine's name (`medallion-prod-daily` → `daily`). */
  pipelineJob(stateMachine: string): string {
    const prefix = `${this.jobNamespace}-`;
    return (
      stateMachine.startsWith(prefix) ? stateMachine.slice(prefix.length) : stateMachine
    ).replaceAll('-', '_');
  }
}

/**
 * A source dataset named by OpenLineage's conventions for its system: Snowflake
 * `snowflake://<account>` + `DB.SCHEMA.TABLE`, Redshift `redshift://<cluster>.<region>:5439` +
 * `db.schema.table`, Kafka `kafka://<bootstrap host:port>` + topic, REST the base URL + path.
 * Local simulators are `local-simulator`.
 */
export function externalDatasetRef(
  config: PlatformConfig,
  source: SourceConfig,
  dataset: string,
): DatasetRef {
  switch (source.kind) {
    case 'warehouse': {
      const table = source.datasets[dataset]?.table ?? dataset;
      const c = source.connection as Record<string, unknown>;
      if (source.engine === 'snowflake') {
        return c.account
          ? {
              namespace: `snowflake://${String(c.account).toLowerCase()}`,
              name: [c.database, c.schema, table].filter(Boolean).join('.'),
            }
          : { namespace: 'snowflake://local-simulator', name: table };
      }
      const host = c.workgroup ?? c.clusterIdentifier;
      return host
        ? {
            namespace: `redshift://${String(host)}.${config.aws.region ?? 'region'}:5439`,
            name: [c.database, c.schema ?? 'public', table].filter(Boolean).join('.'),
          }
        : { namespace: 'redshift://local-simulator', name: table };
    }
    case 'rest':
      return {
        namespace: (source.baseUrl ?? 'http://local-simulator').replace(/\/$/, ''),
        name: source.datasets[dataset]?.path ?? `/${dataset}`,
      };
    case 'kafka': {
      const broker =
        source.bootstrapServers?.split(',')[0]?.trim() ?? source.mskClusterArn?.split('/')[1];
      return {
        namespace: `kafka://${broker ?? 'local-simulator'}`,
        name: source.datasets[dataset]?.topic ?? dataset,
      };
    }
  }
}
