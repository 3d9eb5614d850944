import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { recordingFromFiles } from '../../lambdas/core/cost/recording';
import { renderCostCsv } from '../../lambdas/core/cost/render';
import { buildCostReport } from '../../lambdas/core/cost/report';
import { describe, expect, it } from 'vitest';
import { glueType } from '../../lambdas/core/glue-types';
import { bucketName, glueDatabaseName, lakeSchemas } from '../../lambdas/core/aws-names';
import { lineageEventColumns } from '../../lambdas/core/lineage/log';
import { bronzeMetadataColumns } from '../../lambdas/core/ingest/bronze';
import { kafkaBronzeColumns } from '../../lambdas/core/ingest/kafka';
import { synthesize } from '../helpers/cdk';

type TableResource = {
  Properties: {
    DatabaseName: string;
    OpenTableFormatInput?: unknown;
    TableInput: {
      Name: string;
      Owner?: string;
      Parameters?: Record<string, string>;
      PartitionKeys?: { Name: string; Type: string }[];
      StorageDescriptor: {
        Location: string;
        Columns: { Name: string; Type: string; Comment?: string }[];
      };
    };
  };
};

/** `fixtures/cost/`, the sample recording of the cost report, as its files. */
function sampleRecording(): Map<string, unknown> {
  const dir = path.join(projectRoot, 'fixtures', 'cost');
  return new Map(
    readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => [name, JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as unknown]),
  );
}

describe.each(['dev', 'prod'])('catalog stack (%s)', (env) => {
  const catalog = async () => {
    const { project, templates, stacks } = await synthesize(env);
    const { config } = project;
    const tables = Object.values(
      templates.catalog.findResources('AWS::Glue::Table') as Record<string, TableResource>,
    );
    const bucket = (role: Parameters<typeof bucketName>[2]) =>
      bucketName(config.project, env, role, config.aws.account!, config.aws.region!);
    return { project, config, template: templates.catalog, tables, bucket, stacks };
  };

  it('has one Glue database per schema of the lake', async () => {
    const { template, config } = await catalog();
    template.resourceCountIs('AWS::Glue::Database', lakeSchemas.length);
    for (const schema of ['bronze', 'silver', 'gold', 'quarantine', 'audit'] as const) {
      template.hasResourceProperties('AWS::Glue::Database', {
        DatabaseInput: { Name: glueDatabaseName(config.project, env, schema) },
      });
    }
  });

  it('generates every bronze table from its contract, partition-projected by ingest date', async () => {
    const { project, config, tables, bucket } = await catalog();
    const bronzeContracts = project.contracts.all().filter((c) => c.layer === 'bronze');
    const bronzeTables = tables.filter(
      (t) => t.Properties.DatabaseName === glueDatabaseName(config.project, env, 'bronze'),
    );
    expect(bronzeTables.map((t) => t.Properties.TableInput.Name).sort()).toEqual(
      bronzeContracts.map((c) => c.relation.split('.')[1]).sort(),
    );
    for (const contract of bronzeContracts) {
      const [source, dataset] = contract.id.split('.') as [string, string];
      // A landing-only source has contracts and no `sources:` entry: its files are typed per contract.
      const kind = config.sources[source]?.kind;
      const table = bronzeTables.find(
        (t) => t.Properties.TableInput.Name === contract.relation.split('.')[1],
      )!.Properties.TableInput;
      const location = `s3://${bucket('bronze')}/${source}/${dataset}/`;
      const declared =
        kind === 'kafka'
          ? kafkaBronzeColumns.map((c) => ({ Name: c.name, Type: glueType(c.type) }))
          : contract.properties.map((p) => ({
              Name: p.name,
              Type: glueType(p.physicalType),
              Comment: p.description,
            }));
      expect(table.StorageDescriptor.Columns.map(({ Name, Type }) => ({ Name, Type }))).toEqual([
        ...declared.map(({ Name, Type }) => ({ Name, Type })),
        ...(kind === 'rest' ? [{ Name: '_extra', Type: 'string' }] : []),
        ...bronzeMetadataColumns.map((c) => ({ Name: c.name, Type: glueType(c.type) })),
      ]);
      if (kind !== 'kafka') {
        expect(table.StorageDescriptor.Columns.slice(0, declared.length)).toEqual(declared);
      }
      expect(table.StorageDescriptor.Location).toBe(location);
      expect(table.Owner).toBe(contract.owner);
      expect(table.PartitionKeys).toEqual([
        expect.objectContaining({ Name: 'ingest_date', Type: 'date' }),
      ]);
      expect(table.Parameters).toMatchObject({
        classification: 'parquet',
        owner: contract.owner,
        contract_id: contract.id,
        contract_version: contract.version,
        'projection.enabled': 'true',
        'projection.ingest_date.type': 'date',
        'storage.location.template': `${location}ingest_date=\${ingest_date}/`,
      });
      for (const property of contract.properties) {
        expect(table.Parameters![`column_classification.${property.name}`]).toBe(
          property.classification,
        );
      }
    }
  });

  it('owns no Iceberg table: the audit tables, silver and gold belong to the pipeline', async () => {
    const { config, tables } = await catalog();
    for (const table of tables) expect(table.Properties.OpenTableFormatInput).toBeUndefined();
    const audit = tables.filter(
      (t) => t.Properties.DatabaseName === glueDatabaseName(config.project, env, 'audit'),
    );
    // Both over files functions write: OpenLineage events, and the cost reports' CSV.
    expect(audit.map((t) => t.Properties.TableInput.Name)).toEqual([
      'lineage_events',
      'cost_reports',
    ]);
    const other = tables.filter(
      (t) =>
        ![
          glueDatabaseName(config.project, env, 'bronze'),
          glueDatabaseName(config.project, env, 'audit'),
        ].includes(t.Properties.DatabaseName),
    );
    expect(other).toEqual([]);
  });

  it('lineage_events reads the OpenLineage JSON objects under lineage/ with projected days, one column per event key', async () => {
    const { config, tables, bucket } = await catalog();
    const lineage = tables.find((t) => t.Properties.TableInput.Name === 'lineage_events')!;
    expect(lineage.Properties.DatabaseName).toBe(glueDatabaseName(config.project, env, 'audit'));
    const location = `s3://${bucket('audit')}/lineage/`;
    expect(lineage.Properties.TableInput).toMatchObject({
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [{ Name: 'dt', Type: 'string' }],
      Parameters: {
        classification: 'json',
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'storage.location.template': `${location}dt=\${dt}/`,
      },
      StorageDescriptor: {
        Location: location,
        SerdeInfo: {
          SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          Parameters: { 'mapping.event_time': 'eventTime', 'mapping.schema_url': 'schemaURL' },
        },
      },
    });
    expect(
      lineage.Properties.TableInput.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name),
    ).toEqual(lineageEventColumns.map(([name]) => name));
  });

  it.each(['engineering', 'auditors'])(
    'the %s workgroup enforces engine v3, KMS-encrypted results and the scan cutoff',
    async (persona) => {
      const { template, config, bucket, stacks } = await catalog();
      template.hasResourceProperties('AWS::Athena::WorkGroup', {
        Name: `${config.project}-${env}-${persona}`,
        State: 'ENABLED',
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
          BytesScannedCutoffPerQuery: config.athena.bytesScannedCutoffPerQuery,
          ResultConfiguration: {
            OutputLocation: `s3://${bucket('athenaResults')}/${persona}/`,
            EncryptionConfiguration: {
              EncryptionOption: 'SSE_KMS',
              KmsKey: stacks.catalog.resolve(stacks.storage.key.keyArn),
            },
          },
        },
      });
    },
  );

  it('gives auditors named queries, each valid Trino SQL over the audit and quarantine databases', async () => {
    const { template, project, config } = await catalog();
    const queries = Object.values(
      template.findResources('AWS::Athena::NamedQuery') as Record<
        string,
        { Properties: { Name: string; WorkGroup: string; QueryString: string } }
      >,
    ).map((q) => q.Properties);
    const quarantined = project.models.models.filter((m) => m.config.quarantine);
    expect(queries.map((q) => q.Name)).toEqual(
      expect.arrayContaining([
        'Latest runs',
        'Steps that did not reconcile',
        'Data-quality failures',
        'Data-quality scores',
        'Cost by week and service',
        ...quarantined.map((m) => `Quarantine by reason: ${m.name.split('.')[1]}`),
      ]),
    );
    const trino = new TrinoSQL();
    for (const query of queries) {
      expect(query.WorkGroup).toBe(`${config.project}-${env}-auditors`);
      expect(trino.validate(query.QueryString), query.Name).toEqual([]);
    }
  });

  it("reads the cost reports' CSV where the cost report function writes it, one partition per report day", async () => {
    const { template } = await catalog();
    const [table] = Object.values(
      template.findResources('AWS::Glue::Table', {
        Properties: { TableInput: { Name: 'cost_reports' } },
      }) as Record<
        string,
        {
          Properties: {
            TableInput: {
              Parameters: Record<string, unknown>;
              PartitionKeys: { Name: string }[];
              StorageDescriptor: {
                Columns: { Name: string }[];
                SerdeInfo: { SerializationLibrary: string };
              };
            };
          };
        }
      >,
    );
    const input = table!.Properties.TableInput;
    // renderCostCsv's header, and the handler's key `cost/<asOf>/csv/cost-report.csv`.
    expect(input.StorageDescriptor.Columns.map((c) => c.Name).join(',')).toBe(
      renderCostCsv(buildCostReport(recordingFromFiles(sampleRecording()))).split('\n')[0],
    );
    expect(input.PartitionKeys.map((k) => k.Name)).toEqual(['report_day']);
    expect(JSON.stringify(input.Parameters['storage.location.template'])).toMatch(
      /\/cost\/\$\{report_day\}\/csv\/"/,
    );
    expect(input.Parameters['skip.header.line.count']).toBe('1');
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.apache.hadoop.hive.serde2.OpenCSVSerde',
    );
  });
});
