import {
  ConcurrentModificationException,
  EntityNotFoundException,
  GetTableCommand,
  GlueClient,
  UpdateTableCommand,
  type Table,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { GlueCatalogWriter } from '../../../lambdas/adapters/aws/glue-catalog-writer';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import { glueCatalogWriterIam } from '../../../lambdas/adapters/aws/iam-calls';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const glue = mockClient(GlueClient);
expectDeclaredCommands('GlueCatalogWriter', glue, glueCatalogWriterIam.actions);
const writer = () =>
  new GlueCatalogWriter(
    new GlueClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    }),
    'medallion',
    'dev',
  );

/** An Iceberg table as Athena's CTAS leaves it in Glue, with the read-only fields GetTable adds. */
const icebergTable: Table = {
  Name: 'fact_orders',
  DatabaseName: 'medallion_dev_gold',
  CatalogId: '111111111111',
  CreateTime: new Date('2026-01-01T00:00:00Z'),
  UpdateTime: new Date('2026-01-02T00:00:00Z'),
  CreatedBy: 'arn:aws:sts::111111111111:assumed-role/transform',
  IsRegisteredWithLakeFormation: false,
  VersionId: '7',
  TableType: 'EXTERNAL_TABLE',
  Owner: 'analytics-engineering',
  Retention: 0,
  Parameters: {
    table_type: 'ICEBERG',
    metadata_location: 's3://gold/fact_orders/abc/metadata/00003.metadata.json',
    row_count: '10',
  },
  StorageDescriptor: {
    Location: 's3://gold/fact_orders/abc',
    Columns: [
      { Name: 'order_id', Type: 'bigint' },
      { Name: 'amount_usd', Type: 'decimal(18,2)', Comment: 'old' },
    ],
  },
  PartitionKeys: [],
};

const update = {
  relation: 'gold.fact_orders',
  parameters: {
    row_count: '99635',
    dq_score: '100',
    last_run_id: 'run-2',
    contract_version: '1.1.0',
  },
  columnComments: {
    order_id: 'Order identifier. [internal]',
    amount_usd: 'Amount in USD. [internal]',
  },
};

describe('GlueCatalogWriter', () => {
  beforeEach(() => glue.reset());

  it('updates the table as it was, Parameters merged, comments set, conditional on its version, without archiving', async () => {
    glue.on(GetTableCommand).resolves({ Table: icebergTable });
    glue.on(UpdateTableCommand).resolves({});
    expect(await writer().updateTable(update)).toBe('updated');
    expect(glue.commandCalls(GetTableCommand)[0]!.args[0].input).toEqual({
      DatabaseName: 'medallion_dev_gold',
      Name: 'fact_orders',
    });
    const calls = glue.commandCalls(UpdateTableCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      DatabaseName: 'medallion_dev_gold',
      VersionId: '7',
      SkipArchive: true,
      TableInput: {
        Name: 'fact_orders',
        Owner: 'analytics-engineering',
        Retention: 0,
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: [],
        StorageDescriptor: {
          Location: 's3://gold/fact_orders/abc',
          Columns: [
            { Name: 'order_id', Type: 'bigint', Comment: 'Order identifier. [internal]' },
            { Name: 'amount_usd', Type: 'decimal(18,2)', Comment: 'Amount in USD. [internal]' },
          ],
        },
        Parameters: {
          table_type: 'ICEBERG',
          metadata_location: 's3://gold/fact_orders/abc/metadata/00003.metadata.json',
          row_count: '99635',
          dq_score: '100',
          last_run_id: 'run-2',
          contract_version: '1.1.0',
        },
      },
    });
  });

  it('a table that does not exist yet is reported missing, not created', async () => {
    glue
      .on(GetTableCommand)
      .rejects(new EntityNotFoundException({ message: 'Table not found', $metadata: {} }));
    expect(await writer().updateTable(update)).toBe('missing');
    expect(glue.commandCalls(UpdateTableCommand)).toHaveLength(0);
  });

  it('a table changed in between (an Athena commit) is a transient error, for the step’s retry', async () => {
    glue.on(GetTableCommand).resolves({ Table: icebergTable });
    glue
      .on(UpdateTableCommand)
      .rejects(new ConcurrentModificationException({ message: 'version mismatch', $metadata: {} }));
    const failure = writer().updateTable(update);
    await expect(failure).rejects.toBeInstanceOf(TransientError);
    await expect(failure).rejects.toThrow(
      'Glue UpdateTable medallion_dev_gold.fact_orders failed: ConcurrentModificationException: version mismatch',
    );
  });

  it('access denied is permanent and names the table', async () => {
    const denied = Object.assign(new Error('not authorized to perform glue:GetTable'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    glue.on(GetTableCommand).rejects(denied);
    const failure = writer().updateTable(update);
    await expect(failure).rejects.toBeInstanceOf(PipelineError);
    await expect(failure).rejects.not.toBeInstanceOf(TransientError);
    await expect(failure).rejects.toThrow('Glue GetTable medallion_dev_gold.fact_orders failed');
  });
});
