import { Stack, type StackProps } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../../config/schema';
import type { Contract } from '../../lambdas/core/contracts/contract';
import type { ContractRegistry } from '../../lambdas/core/contracts/contract';
import {
  costReportsTable,
  glueDatabaseName,
  lakeSchemas,
  schemaLocations,
  type LakeSchema,
  workgroupName,
} from '../../lambdas/core/aws-names';
import { lineageEventColumns } from '../../lambdas/core/lineage/log';
import { bronzeMetadataColumns } from '../../lambdas/core/ingest/bronze';
import { kafkaBronzeColumns } from '../../lambdas/core/ingest/kafka';
import type { ModelProject } from '../../lambdas/core/models/project';
import type { ListedTable } from '../../lambdas/core/access/tables';
import { lakeBuckets } from '../constructs/lake-bucket';
import { glueType } from '../../lambdas/core/glue-types';
import { pascal } from '../names';

export interface CatalogStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
  readonly models: ModelProject;
  readonly key: kms.IKey;
  /** Workgroups the access policy gives its personas, besides `engineering` and `auditors`. */
  readonly personaWorkgroups: readonly string[];
}

/**
 * The catalog: a Glue database per schema of the lake, the bronze tables generated from the
 * contracts (Parquet, partition projection on `ingest_date`, no crawlers), the lineage events
 * table, and the Athena workgroups. CloudFormation owns only tables without Iceberg metadata:
 * every Iceberg table (silver, gold, quarantine, change feeds, and the audit tables) belongs to
 * the pipeline, which creates and evolves it with Athena. An Iceberg table's Glue entry points at
 * its current `metadata_location`; a CloudFormation update rewriting the entry would point it
 * back at an old snapshot and lose every commit since.
 */
export class CatalogStack extends Stack {
  readonly databases: Record<LakeSchema, glue.CfnDatabase>;
  /** By workgroup: `engineering` (the pipeline's), `auditors` and the personas'. */
  readonly workgroups: Readonly<Record<string, athena.CfnWorkGroup>>;
  /** The tables CloudFormation owns (bronze, lineage events) with their columns, for Lake Formation. */
  readonly tables: readonly ListedTable[];

  constructor(scope: Construct, id: string, props: CatalogStackProps) {
    super(scope, id, props);
    const { config } = props;
    const buckets = lakeBuckets(this, config.project, config.env);
    const databaseName = (schema: LakeSchema) =>
      glueDatabaseName(config.project, config.env, schema);
    const location = (schema: LakeSchema) => {
      const where = schemaLocations[schema];
      return `s3://${buckets[where.bucket].bucketName}/${where.prefix}`;
    };

    this.databases = Object.fromEntries(
      lakeSchemas.map((schema) => [
        schema,
        new glue.CfnDatabase(this, `${pascal(schema)}Database`, {
          catalogId: this.account,
          databaseInput: {
            name: databaseName(schema),
            description: databaseDescriptions[schema],
            locationUri: location(schema),
            // New tables get no IAMAllowedPrincipals grant: Lake Formation, not IAM alone,
            // decides who reads them. The database's own default grant is revoked by the
            // Access stack's settings resource.
            // https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html
            createTableDefaultPermissions: [],
          },
        }),
      ]),
    ) as Record<LakeSchema, glue.CfnDatabase>;

    const tables: ListedTable[] = [];
    for (const contract of props.contracts.all().filter((c) => c.layer === 'bronze')) {
      const kind = config.sources[contract.id.split('.')[0]!]?.kind;
      const tableInput = bronzeTable(contract, location('bronze'), kind);
      const table = new glue.CfnTable(this, `Bronze${pascal(contract.id)}`, {
        catalogId: this.account,
        databaseName: databaseName('bronze'),
        tableInput,
      });
      table.addResourceDependency(this.databases.bronze);
      const descriptor = tableInput.storageDescriptor as glue.CfnTable.StorageDescriptorProperty;
      const columns = [
        ...(descriptor.columns as glue.CfnTable.ColumnProperty[]),
        ...(tableInput.partitionKeys as glue.CfnTable.ColumnProperty[]),
      ];
      tables.push({
        relation: `bronze.${tableInput.name!}`,
        columns: columns.map((c) => c.name),
      });
    }

    const lineage = new glue.CfnTable(this, 'AuditLineageEvents', {
      catalogId: this.account,
      databaseName: databaseName('audit'),
      tableInput: lineageEventsTable(`s3://${buckets.audit.bucketName}/lineage/`),
    });
    lineage.addResourceDependency(this.databases.audit);
    tables.push({
      relation: 'audit.lineage_events',
      columns: [...lineageEventColumns.map(([name]) => name), 'dt'],
    });
    const costReports = new glue.CfnTable(this, 'AuditCostReports', {
      catalogId: this.account,
      databaseName: databaseName('audit'),
      tableInput: costReportsTableInput(`s3://${buckets.reports.bucketName}/cost/`),
    });
    costReports.addResourceDependency(this.databases.audit);
    this.tables = tables;

    const workgroup = (name: string, description: string) =>
      new athena.CfnWorkGroup(this, `${pascal(name)}WorkGroup`, {
        name: workgroupName(config.project, config.env, name),
        description,
        state: 'ENABLED',
        recursiveDeleteOption: config.storage.removalPolicy === 'destroy',
        workGroupConfiguration: {
          enforceWorkGroupConfiguration: true,
          engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
          bytesScannedCutoffPerQuery: config.athena.bytesScannedCutoffPerQuery,
          publishCloudWatchMetricsEnabled: true,
          resultConfiguration: {
            outputLocation: `s3://${buckets.athenaResults.bucketName}/${name}/`,
            encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
          },
        },
      });
    const workgroups: Record<string, athena.CfnWorkGroup> = {
      engineering: workgroup(
        'engineering',
        'The pipeline and data engineers: builds silver and gold.',
      ),
      auditors: workgroup(
        'auditors',
        'Auditors: read-only queries over the lake and the audit tables.',
      ),
    };
    for (const name of props.personaWorkgroups)
      workgroups[name] ??= workgroup(
        name,
        `The ${name} workgroup of the access policy (config/access.yaml).`,
      );
    this.workgroups = workgroups;
    const auditors = workgroups.auditors!;

    const audit = databaseName('audit');
    const queries: [string, string, string][] = [
      [
        'Latest runs',
        'The 50 most recent pipeline runs and how they ended.',
        `select * from "${audit}"."runs" order by started_at desc limit 50`,
      ],
      [
        'Steps that did not reconcile',
        'Dataset steps whose rows in differ from rows out + quarantined + duplicates.',
        `select r.job, r.run_date, d.* from "${audit}"."run_datasets" d join "${audit}"."runs" r on r.run_id = d.run_id where not d.reconciled order by r.started_at desc`,
      ],
      [
        'Data-quality failures',
        'Checks that failed or could not run, newest first, with what was measured and a sample of failing rows.',
        `select run_date, dataset, check_name, severity, status, observed, expected, message, sample from "${audit}"."dq_results" where status in ('fail', 'error') order by checked_at desc limit 200`,
      ],
      [
        'Data-quality scores',
        'The quality score of every dataset over the last 30 days.',
        `select run_date, dataset, score, failed_errors, failed_warnings from "${audit}"."dq_scores" where run_date >= current_date - interval '30' day order by dataset, run_date`,
      ],
      [
        'Lineage of the latest runs',
        'OpenLineage events of the last 7 days: each task run with its pipeline run, inputs and outputs.',
        `select event_time, event_type, json_extract_scalar(job, '$.name') as job, json_extract_scalar(run, '$.runId') as run_id, json_extract_scalar(run, '$.facets.parent.run.runId') as pipeline_run_id, json_extract_scalar(run, '$.facets.errorMessage.message') as error, inputs, outputs from "${audit}"."lineage_events" where dt >= cast(current_date - interval '7' day as varchar) order by event_time desc limit 500`,
      ],
      [
        'Cost by week and service',
        "AWS cost by ISO week and service from the weekly cost reports' CSV, each day as the newest report has it (reports overlap by four weeks, and Cost Explorer revises recent days).",
        `with days as (select "date" as day, key as service, cast(unblended_cost as double) as cost, currency, row_number() over (partition by "date", key order by report_day desc) as newest from "${audit}"."${costReportsTable}" where dimension = 'service') select date_trunc('week', date(day)) as week, service, round(sum(cost), 2) as unblended_cost, arbitrary(currency) as currency, count(*) as days from days where newest = 1 group by 1, 2 order by week desc, unblended_cost desc`,
      ],
      ...props.models.models
        .filter((m) => m.config.quarantine)
        .map((m): [string, string, string] => {
          const name = m.name.split('.')[1]!;
          return [
            `Quarantine by reason: ${name}`,
            `Rows of ${m.name} held back by the contract, by rule, with an example reason.`,
            `select _rule, count(*) as rows, min(_quarantined_at) as first_seen, max(_quarantined_at) as last_seen, arbitrary(_reason) as example from "${databaseName('quarantine')}"."${name}" group by _rule order by rows desc`,
          ];
        }),
    ];
    for (const [name, description, queryString] of queries) {
      const query = new athena.CfnNamedQuery(this, `Query${pascal(name)}`, {
        name,
        description,
        database: audit,
        workGroup: auditors.name,
        queryString,
      });
      query.addResourceDependency(auditors);
    }
  }
}

/**
 * The OpenLineage events the functions write under `lineage/dt=<day>/` in the audit bucket, one
 * JSON object per file, read with the OpenX JSON SerDe: nested objects (run, job, inputs,
 * outputs) come back as JSON text for `json_extract`. Days are projected, never crawled.
 */
function lineageEventsTable(location: string): glue.CfnTable.TableInputProperty {
  return {
    name: 'lineage_events',
    description:
      'OpenLineage RunEvents of every pipeline run and task (START, COMPLETE, FAIL, ABORT).',
    tableType: 'EXTERNAL_TABLE',
    parameters: {
      classification: 'json',
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2020-01-01,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      'storage.location.template': `${location}dt=\${dt}/`,
    },
    partitionKeys: [{ name: 'dt', type: 'string', comment: 'Day the pipeline run started (UTC).' }],
    storageDescriptor: {
      location,
      columns: lineageEventColumns.map(([name, , key]) => ({
        name,
        type: 'string',
        comment: `The event's ${key}.`,
      })),
      inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      serdeInfo: {
        serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
        parameters: Object.fromEntries(
          lineageEventColumns.map(([name, , key]) => [`mapping.${name}`, key]),
        ),
      },
    },
  };
}

/**
 * The CSV of the weekly cost reports, `cost/<day>/csv/cost-report.csv` in the reports bucket (see
 * `handlers/cost-report.ts`, `renderCostCsv`): one row per day and service or tag value, for
 * finance's queries. Report days are projected, never crawled. Every column is text, as
 * OpenCSVSerde reads it; queries cast.
 */
function costReportsTableInput(location: string): glue.CfnTable.TableInputProperty {
  const columns: [string, string][] = [
    ['date', 'Day the cost was incurred (yyyy-mm-dd).'],
    ['dimension', '`service`, or `tag:<key>` for a cost allocation tag.'],
    ['key', 'The service, or the tag value (empty: untagged).'],
    ['unblended_cost', 'Unblended cost of the day, in the currency (two decimals).'],
    ['currency', 'Currency of the cost (USD).'],
  ];
  return {
    name: costReportsTable,
    description:
      'Daily cost by service and by cost allocation tag from every weekly cost report (the last five weeks each).',
    tableType: 'EXTERNAL_TABLE',
    parameters: {
      classification: 'csv',
      'skip.header.line.count': '1',
      'projection.enabled': 'true',
      'projection.report_day.type': 'date',
      'projection.report_day.format': 'yyyy-MM-dd',
      'projection.report_day.range': '2020-01-01,NOW',
      'projection.report_day.interval': '1',
      'projection.report_day.interval.unit': 'DAYS',
      'storage.location.template': `${location}\${report_day}/csv/`,
    },
    partitionKeys: [
      { name: 'report_day', type: 'string', comment: 'Day the report was made (its `asOf`).' },
    ],
    storageDescriptor: {
      location,
      columns: columns.map(([name, comment]) => ({ name, type: 'string', comment })),
      inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      serdeInfo: {
        serializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
        parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\' },
      },
    },
  };
}

const databaseDescriptions: Record<LakeSchema, string> = {
  bronze: 'Raw data as received from each source, append-only Parquet.',
  silver: 'Typed, validated, deduplicated and CDC-merged data (Iceberg).',
  gold: 'Star schema and marts for analytics (Iceberg).',
  quarantine: 'Rows that failed their contract, with rule and reason (Iceberg).',
  audit: 'Run history, reconciliation and model watermarks (Iceberg).',
  changelog: 'Change feeds of incremental models, read by downstream models (Iceberg).',
  seeds: 'Reference data loaded from models/seeds (Iceberg).',
  scratch:
    'Scratch tables of running materializations; the maintenance job drops those a killed run left.',
};

/** A bronze table: the contract's columns plus ingestion metadata, partitioned by ingest date. */
function bronzeTable(
  contract: Contract,
  bronzeLocation: string,
  kind: string | undefined,
): glue.CfnTable.TableInputProperty {
  const [source, dataset] = contract.id.split('.') as [string, string];
  const location = `${bronzeLocation}${source}/${dataset}/`;
  const contractColumns =
    kind === 'kafka'
      ? kafkaBronzeColumns.map((c) => ({
          name: c.name,
          type: glueType(c.type),
          comment: contract.column(c.name)?.description,
        }))
      : contract.properties.map((p) => ({
          name: p.name,
          type: glueType(p.physicalType),
          comment: p.description || undefined,
        }));
  const extra =
    kind === 'rest'
      ? [
          {
            name: '_extra',
            type: 'string',
            comment: 'Fields the API sent that the contract does not name (JSON).',
          },
        ]
      : [];
  return {
    name: contract.relation.split('.')[1]!,
    description: contract.document.description.purpose,
    tableType: 'EXTERNAL_TABLE',
    owner: contract.owner,
    parameters: {
      classification: 'parquet',
      contract_id: contract.id,
      contract_version: contract.version,
      owner: contract.owner,
      ...Object.fromEntries(
        contract.properties.map((p) => [`column_classification.${p.name}`, p.classification]),
      ),
      'projection.enabled': 'true',
      'projection.ingest_date.type': 'date',
      'projection.ingest_date.format': 'yyyy-MM-dd',
      'projection.ingest_date.range': '2020-01-01,NOW',
      'projection.ingest_date.interval': '1',
      'projection.ingest_date.interval.unit': 'DAYS',
      'storage.location.template': `${location}ingest_date=\${ingest_date}/`,
    },
    partitionKeys: [
      { name: 'ingest_date', type: 'date', comment: 'Day the rows were ingested (UTC).' },
    ],
    storageDescriptor: {
      location,
      columns: [
        ...contractColumns,
        ...extra,
        ...bronzeMetadataColumns.map((c) => ({
          name: c.name,
          type: glueType(c.type),
          comment: metadataComments[c.name],
        })),
      ],
      inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      serdeInfo: {
        serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      },
    },
  };
}

const metadataComments: Record<string, string> = {
  _ingested_at: 'When the row was ingested.',
  _run_id: 'Run that ingested it.',
  _source: 'Source system.',
  _source_ref: 'Extraction, API page, topic partition or landing file it came from.',
  _source_row: 'Its row number or offset within _source_ref.',
};
