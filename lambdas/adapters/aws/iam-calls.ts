/**
 * The IAM authorizations each AWS adapter's calls need, declared next to the adapters as plain
 * data (no AWS SDK, no CDK): the permission tests simulate them against the synthesized roles and
 * resource policies, and the adapters' unit tests check that every command they send maps to an
 * action declared here. Where a service acts with the caller's credentials (Athena reading and
 * writing S3 and Glue, S3 and SNS calling KMS), those calls are declared too, with AWS's
 * documentation for them.
 */
import { executionArnOf } from '../../core/aws-names';

/** One authorization AWS checks: an action on a resource, with the request context it adds. */
export interface IamCall {
  readonly action: string;
  readonly resource: string;
  /** Context keys AWS sets on the request (`kms:ViaService`, `s3:prefix`...), for conditions. */
  readonly context?: Readonly<Record<string, string>>;
  /** What the code does with it: shown when a call is denied. */
  readonly why: string;
}

/** Where the calls happen. */
export interface AwsScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** Data in S3 encrypted with a KMS key (SSE-KMS, the bucket's default key). */
export interface EncryptedScope extends AwsScope {
  readonly keyArn: string;
}

/** An object-key prefix of a bucket: `tables/` of the audit bucket, or a whole bucket (`''`). */
export interface S3Prefix {
  readonly bucket: string;
  readonly prefix: string;
}

export const arn = {
  bucket: (s: AwsScope, bucket: string) => `arn:${s.partition}:s3:::${bucket}`,
  object: (s: AwsScope, bucket: string, key: string) => `arn:${s.partition}:s3:::${bucket}/${key}`,
  glueCatalog: (s: AwsScope) => `arn:${s.partition}:glue:${s.region}:${s.account}:catalog`,
  glueDatabase: (s: AwsScope, database: string) =>
    `arn:${s.partition}:glue:${s.region}:${s.account}:database/${database}`,
  glueTable: (s: AwsScope, database: string, table: string) =>
    `arn:${s.partition}:glue:${s.region}:${s.account}:table/${database}/${table}`,
  workgroup: (s: AwsScope, name: string) =>
    `arn:${s.partition}:athena:${s.region}:${s.account}:workgroup/${name}`,
};

/**
 * S3 calls KMS with the caller's credentials for SSE-KMS objects: Decrypt to read, GenerateDataKey
 * to write, and Decrypt again to complete a multipart upload.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms
 */
function sseKms(s: EncryptedScope, access: 'read' | 'write', where: string): IamCall[] {
  const context = { 'kms:ViaService': `s3.${s.region}.amazonaws.com` };
  return [
    { action: 'kms:Decrypt', resource: s.keyArn, context, why: `S3 decrypts ${where}` },
    ...(access === 'write'
      ? [
          {
            action: 'kms:GenerateDataKey',
            resource: s.keyArn,
            context,
            why: `S3 encrypts what is written to ${where}`,
          },
        ]
      : []),
  ];
}

const sample = (where: S3Prefix) => `${where.prefix}example.parquet`;
const uri = (where: S3Prefix) => `s3://${where.bucket}/${where.prefix}`;

/**
 * S3ObjectStore (`s3-object-store.ts`): ListObjectsV2 is s3:ListBucket; GetObject and HeadObject
 * are s3:GetObject; PutObject, lib-storage's multipart upload and UploadPartCopy are s3:PutObject
 * (plus s3:AbortMultipartUpload when one fails); CopyObject reads the source and writes the copy.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html (permissions section of each operation)
 */
export const s3ObjectStoreIam = {
  actions: [
    's3:ListBucket',
    's3:GetObject',
    's3:PutObject',
    's3:AbortMultipartUpload',
    's3:DeleteObject',
    'kms:Decrypt',
    'kms:GenerateDataKey',
  ],
  /** list, getText, getBytes, getStream, getTail, getRange, head, exists, hash, downloadToFile */
  read: (s: EncryptedScope, where: S3Prefix): IamCall[] => [
    {
      action: 's3:ListBucket',
      resource: arn.bucket(s, where.bucket),
      context: { 's3:prefix': where.prefix },
      why: `lists ${uri(where)}`,
    },
    {
      action: 's3:GetObject',
      resource: arn.object(s, where.bucket, sample(where)),
      why: `reads objects under ${uri(where)}`,
    },
    ...sseKms(s, 'read', uri(where)),
  ],
  /** putText, upload (one PutObject, or a multipart upload aborted on failure), the target of move */
  write: (s: EncryptedScope, where: S3Prefix): IamCall[] => [
    {
      action: 's3:PutObject',
      resource: arn.object(s, where.bucket, sample(where)),
      why: `writes objects under ${uri(where)}`,
    },
    {
      action: 's3:AbortMultipartUpload',
      resource: arn.object(s, where.bucket, sample(where)),
      why: `aborts a failed multipart upload under ${uri(where)}`,
    },
    ...sseKms(s, 'write', uri(where)),
  ],
  /** delete, the source of move */
  delete: (s: AwsScope, where: S3Prefix): IamCall[] => [
    {
      action: 's3:DeleteObject',
      resource: arn.object(s, where.bucket, sample(where)),
      why: `deletes objects under ${uri(where)}`,
    },
  ],
};

/** S3ParquetSink (`s3-parquet-sink.ts`): uploads through the object store, then reads the footer back. */
export const s3ParquetSinkIam = {
  write: (s: EncryptedScope, where: S3Prefix): IamCall[] => [
    ...s3ObjectStoreIam.write(s, where),
    ...s3ObjectStoreIam.read(s, where).filter((c) => c.action !== 's3:ListBucket'),
  ],
};

/**
 * S3BronzeEraser (`s3-bronze-eraser.ts`): reads a bronze object and writes it again (GetObject,
 * PutObject), lists the versions of its key (ListObjectVersions is s3:ListBucketVersions) and
 * deletes them one by one (DeleteObject with a VersionId is s3:DeleteObjectVersion).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
 */
export const s3BronzeEraserIam = {
  actions: [
    's3:GetObject',
    's3:PutObject',
    's3:ListBucketVersions',
    's3:DeleteObjectVersion',
    'kms:Decrypt',
    'kms:GenerateDataKey',
  ],
  rewrites: (s: EncryptedScope, where: S3Prefix): IamCall[] => [
    {
      action: 's3:GetObject',
      resource: arn.object(s, where.bucket, sample(where)),
      why: `reads bronze objects under ${uri(where)} holding the subject`,
    },
    {
      action: 's3:PutObject',
      resource: arn.object(s, where.bucket, sample(where)),
      why: `writes bronze objects under ${uri(where)} again without the subject`,
    },
    {
      action: 's3:ListBucketVersions',
      resource: arn.bucket(s, where.bucket),
      context: { 's3:prefix': sample(where) },
      why: `lists the old versions of a rewritten object under ${uri(where)}`,
    },
    {
      action: 's3:DeleteObjectVersion',
      resource: arn.object(s, where.bucket, sample(where)),
      why: `deletes the old versions (full copies with the subject) under ${uri(where)}`,
    },
    ...sseKms(s, 'write', uri(where)),
  ],
};

/**
 * S3BronzePurger (`s3-bronze-purger.ts`): lists a bronze dataset through the object store
 * (ListObjectsV2 is s3:ListBucket), lists the versions under an expired partition
 * (s3:ListBucketVersions) and deletes each (DeleteObject with a VersionId is s3:DeleteObjectVersion).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
 */
export const s3BronzePurgerIam = {
  actions: ['s3:ListBucket', 's3:ListBucketVersions', 's3:DeleteObjectVersion'],
  purges: (s: AwsScope, where: S3Prefix): IamCall[] => [
    {
      action: 's3:ListBucket',
      resource: arn.bucket(s, where.bucket),
      context: { 's3:prefix': sample(where) },
      why: `lists the ingest_date partitions under ${uri(where)}`,
    },
    {
      action: 's3:ListBucketVersions',
      resource: arn.bucket(s, where.bucket),
      context: { 's3:prefix': sample(where) },
      why: `lists every version under an expired partition of ${uri(where)}`,
    },
    {
      action: 's3:DeleteObjectVersion',
      resource: arn.object(s, where.bucket, sample(where)),
      why: `deletes every version under an expired partition of ${uri(where)} (a version is a full copy)`,
    },
  ],
};

/**
 * S3LandingEraser (`s3-landing-eraser.ts`): lists every version under a landing dataset's folder
 * (ListObjectVersions is s3:ListBucketVersions), reads each version (GetObject with a VersionId is
 * s3:GetObjectVersion), writes a file again without the subject (PutObject) and deletes versions
 * (DeleteObject with a VersionId is s3:DeleteObjectVersion).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
export const s3LandingEraserIam = {
  actions: [
    's3:ListBucketVersions',
    's3:GetObjectVersion',
    's3:PutObject',
    's3:DeleteObjectVersion',
    'kms:Decrypt',
    'kms:GenerateDataKey',
  ],
  rewrites: (s: EncryptedScope, where: S3Prefix): IamCall[] => [
    {
      action: 's3:ListBucketVersions',
      resource: arn.bucket(s, where.bucket),
      context: { 's3:prefix': where.prefix },
      why: `lists every version of the landing files under ${uri(where)}`,
    },
    {
      action: 's3:GetObjectVersion',
      resource: arn.object(s, where.bucket, `${where.prefix}processed/run-1/example.csv`),
      why: `reads each version of the landing files under ${uri(where)}`,
    },
    {
      action: 's3:PutObject',
      resource: arn.object(s, where.bucket, `${where.prefix}processed/run-1/example.csv`),
      why: `writes landing files under ${uri(where)} again without the subject`,
    },
    {
      action: 's3:DeleteObjectVersion',
      resource: arn.object(s, where.bucket, `${where.prefix}rejected/run-1/example.csv`),
      why: `deletes versions of landing files under ${uri(where)} that hold the subject`,
    },
    ...sseKms(s, 'write', uri(where)),
  ],
};

/** A Glue table as Athena and the Glue API address it, and where its files are. */
export interface GlueTable {
  readonly database: string;
  readonly table: string;
  readonly location: S3Prefix;
}

/**
 * Glue checks an action on a table against the catalog, the database and the table.
 * https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html
 */
function glueOnTable(s: AwsScope, action: string, t: GlueTable, why: string): IamCall[] {
  return [
    arn.glueCatalog(s),
    arn.glueDatabase(s, t.database),
    arn.glueTable(s, t.database, t.table),
  ].map((resource) => ({ action, resource, why: `${why} ${t.database}.${t.table}` }));
}

function glueOnDatabase(s: AwsScope, action: string, database: string, why: string): IamCall[] {
  return [arn.glueCatalog(s), arn.glueDatabase(s, database)].map((resource) => ({
    action,
    resource,
    why: `${why} ${database}`,
  }));
}

/**
 * AthenaEngine (`athena-engine.ts`): the Athena API in one workgroup, Glue GetTable for
 * `relationExists`, and what Athena then does with the caller's credentials.
 */
export const athenaEngineIam = {
  actions: [
    'athena:StartQueryExecution',
    'athena:GetQueryExecution',
    'athena:GetQueryResults',
    'athena:StopQueryExecution',
    'glue:GetTable',
  ],
  /**
   * Running queries in the workgroup. Athena writes and reads the results as the caller: AWS's
   * documented minimum on the results bucket is GetBucketLocation, ListBucket,
   * ListBucketMultipartUploads, ListMultipartUploadParts, AbortMultipartUpload, GetObject and
   * PutObject (AmazonAthenaFullAccess), plus the key of SSE_KMS results.
   * https://docs.aws.amazon.com/athena/latest/ug/managed-policies.html#amazonathenafullaccess-managed-policy
   * https://docs.aws.amazon.com/athena/latest/ug/encryption.html
   */
  queries: (s: EncryptedScope, workgroup: string, results: S3Prefix): IamCall[] => [
    ...[
      'athena:StartQueryExecution',
      'athena:GetQueryExecution',
      'athena:GetQueryResults',
      'athena:StopQueryExecution',
    ].map((action) => ({
      action,
      resource: arn.workgroup(s, workgroup),
      why: `runs queries in workgroup ${workgroup}`,
    })),
    ...['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'].map((action) => ({
      action,
      resource: arn.bucket(s, results.bucket),
      why: `Athena writes query results to ${uri(results)}`,
    })),
    ...[
      's3:GetObject',
      's3:PutObject',
      's3:ListMultipartUploadParts',
      's3:AbortMultipartUpload',
    ].map((action) => ({
      action,
      resource: arn.object(s, results.bucket, `${results.prefix}query-id.csv`),
      why: `Athena writes query results to ${uri(results)}`,
    })),
    ...sseKms(s, 'write', uri(results)),
  ],
  /**
   * Reading a table: Glue's table definition, Lake Formation's credentials for its registered
   * location (https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html),
   * then its files. No glue:GetPartitions: the lake's
   * tables are Iceberg or use partition projection, for which Athena reads no Glue partitions.
   * https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html
   * https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html
   */
  reads: (s: EncryptedScope, t: GlueTable): IamCall[] => [
    ...glueOnDatabase(s, 'glue:GetDatabase', t.database, 'Athena resolves database'),
    ...glueOnTable(s, 'glue:GetTable', t, 'Athena reads the definition of'),
    {
      action: 'lakeformation:GetDataAccess',
      resource: '*',
      why: `Athena asks Lake Formation for credentials to ${t.database}.${t.table}'s registered location`,
    },
    ...s3ObjectStoreIam.read(s, t.location),
  ],
  /**
   * Writing an Iceberg table (INSERT, MERGE, UPDATE, DELETE, OPTIMIZE, VACUUM): each commit
   * updates the Glue table's metadata location; VACUUM and snapshot expiry delete files, which
   * needs s3:DeleteObject on the table's data.
   * https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg.html
   * https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html
   */
  writes: (s: EncryptedScope, t: GlueTable): IamCall[] => [
    ...athenaEngineIam.reads(s, t),
    ...glueOnTable(s, 'glue:UpdateTable', t, 'an Iceberg commit updates'),
    ...s3ObjectStoreIam.write(s, t.location),
    ...s3ObjectStoreIam.delete(s, t.location),
  ],
  /**
   * Creating and dropping tables (CTAS of a new version, scratch tables); dropping an Iceberg
   * table deletes its files.
   * https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html
   */
  creates: (s: EncryptedScope, t: GlueTable): IamCall[] => [
    ...athenaEngineIam.writes(s, t),
    ...glueOnTable(s, 'glue:CreateTable', t, 'CTAS creates'),
    ...glueOnTable(s, 'glue:DeleteTable', t, 'DROP TABLE removes'),
  ],
  /**
   * Maintaining a table: DELETE, OPTIMIZE and VACUUM commit to it and delete files, and a
   * superseded version or leftover scratch table is dropped (with its files).
   * https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html
   */
  maintains: (s: EncryptedScope, t: GlueTable): IamCall[] => [
    ...athenaEngineIam.writes(s, t),
    ...glueOnTable(s, 'glue:DeleteTable', t, 'DROP TABLE removes'),
  ],
};

/**
 * AthenaAuditTables (`audit-tables.ts`): reads each audit table the task writes from Glue, and
 * through Athena DDL creates it when missing (an Iceberg CREATE TABLE creates the Glue table and
 * writes its first metadata file) or adds its missing columns (an Iceberg commit).
 * https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-creating-tables.html
 */
export const auditTablesIam = {
  actions: ['glue:GetTable'],
  ensures: (s: EncryptedScope, t: GlueTable): IamCall[] => [
    ...athenaEngineIam.writes(s, t),
    ...glueOnTable(s, 'glue:CreateTable', t, 'CREATE TABLE IF NOT EXISTS creates'),
  ],
};

/**
 * GlueTableInventory (`glue-inventory.ts`): GetTables over a database, which Glue authorizes on
 * the catalog, the database and every table it returns.
 * https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html
 */
export const glueInventoryIam = {
  actions: ['glue:GetTables'],
  lists: (s: AwsScope, database: string): IamCall[] =>
    glueOnTable(
      s,
      'glue:GetTables',
      { database, table: '*', location: { bucket: '', prefix: '' } },
      'lists the tables of',
    ),
};

/**
 * athenaSubjectTables (`athena-subject-tables.ts`): a query of Athena's `information_schema`,
 * which reads the Glue catalog as the caller: the databases, then the tables of each.
 * https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html
 */
export const athenaSubjectTablesIam = {
  lists: (s: AwsScope, databases: readonly string[]): IamCall[] =>
    databases.flatMap((database) => [
      ...glueOnDatabase(s, 'glue:GetDatabases', database, 'information_schema lists'),
      ...glueInventoryIam.lists(s, database),
    ]),
};

/**
 * LakeFormationPermissions (`lake-formation-permissions.ts`): lists the lake's tables (Glue
 * GetTables), then manages data cells filters, their grants and column LF-tags. Lake Formation's
 * actions take no resource ARN: Lake Formation decides on its own grants to the caller.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslakeformation.html
 */
const lakeFormationSyncActions = [
  'lakeformation:ListDataCellsFilter',
  'lakeformation:CreateDataCellsFilter',
  'lakeformation:UpdateDataCellsFilter',
  'lakeformation:DeleteDataCellsFilter',
  'lakeformation:GrantPermissions',
  'lakeformation:AddLFTagsToResource',
];
export const lakeFormationPermissionsIam = {
  actions: ['glue:GetTables', 'glue:DeleteTable', ...lakeFormationSyncActions],
  /**
   * `databases` are the lake's, `personaDatabases` those holding the persona views, which the
   * sync lists, drops (Glue DeleteTable) and defines through Athena: Athena reads the definitions
   * of the tables a view selects from and creates or replaces the view's Glue table, as the caller.
   */
  syncs: (
    s: AwsScope,
    databases: readonly string[],
    personaDatabases: readonly string[],
    definerRoleArn: string,
  ): IamCall[] => {
    const view = (database: string) => ({
      database,
      table: 'customer_360',
      location: { bucket: '', prefix: '' },
    });
    return [
      ...databases.flatMap((database) => glueInventoryIam.lists(s, database)),
      ...databases.flatMap((database) =>
        glueOnTable(s, 'glue:GetTable', view(database), 'a persona view selects from'),
      ),
      ...lakeFormationSyncActions.map((action) => ({
        action,
        resource: '*',
        why: 'the access sync applies data cells filters, their grants and column LF-tags',
      })),
      ...personaDatabases.flatMap((database) => [
        ...glueInventoryIam.lists(s, database),
        ...glueOnDatabase(s, 'glue:GetDatabase', database, 'Athena resolves the database of'),
        ...(
          ['glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable', 'glue:DeleteTable'] as const
        ).flatMap((action) =>
          glueOnTable(s, action, view(database), 'defines, replaces or drops the persona view'),
        ),
      ]),
      // The definer passes itself to the services that run its views.
      // https://docs.aws.amazon.com/lake-formation/latest/dg/views-prereqs.html
      ...(personaDatabases.length === 0
        ? []
        : ['glue.amazonaws.com', 'lakeformation.amazonaws.com'].map((service) => ({
            action: 'iam:PassRole',
            resource: definerRoleArn,
            context: { 'iam:PassedToService': service },
            why: `a persona view's definer passes its role to ${service}`,
          }))),
    ];
  },
};

/** GlueCatalogWriter (`glue-catalog-writer.ts`): GetTable, then a conditional UpdateTable. */
export const glueCatalogWriterIam = {
  actions: ['glue:GetTable', 'glue:UpdateTable'],
  updates: (s: AwsScope, database: string, table: string): IamCall[] => {
    const t = { database, table, location: { bucket: '', prefix: '' } };
    return [
      ...glueOnTable(s, 'glue:GetTable', t, 'reads the definition of'),
      ...glueOnTable(s, 'glue:UpdateTable', t, 'writes run figures into'),
    ];
  },
};

/**
 * GlueCatalogBackup (`glue-catalog-backup.ts`): the catalog export lists the project's databases
 * (GetDatabases, authorized on the catalog and each database it returns) and their tables
 * (GetTables) and writes the export under `dr/catalog/` of the audit bucket; the restore reads an
 * export, looks each database up (GetDatabase) and lists its tables, and creates or updates them.
 * https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html
 */
export const glueCatalogBackupIam = {
  actions: [
    'glue:GetDatabases',
    'glue:GetDatabase',
    'glue:GetTables',
    'glue:CreateDatabase',
    'glue:UpdateDatabase',
    'glue:CreateTable',
    'glue:UpdateTable',
    's3:PutObject',
    's3:GetObject',
    'kms:Decrypt',
    'kms:GenerateDataKey',
  ],
  exports: (s: EncryptedScope, databases: readonly string[], exports: S3Prefix): IamCall[] => [
    ...databases.flatMap((database) => [
      ...glueOnDatabase(s, 'glue:GetDatabases', database, 'exports the definition of'),
      ...glueInventoryIam.lists(s, database),
    ]),
    {
      action: 's3:PutObject',
      resource: arn.object(s, exports.bucket, `${exports.prefix}2026-01-01T00-00-00Z/catalog.json`),
      why: `writes the catalog export under ${uri(exports)}`,
    },
    sseKms(s, 'write', uri(exports)).find((c) => c.action === 'kms:GenerateDataKey')!,
  ],
  restores: (s: EncryptedScope, databases: readonly string[], exports: S3Prefix): IamCall[] => [
    {
      action: 's3:GetObject',
      resource: arn.object(s, exports.bucket, `${exports.prefix}2026-01-01T00-00-00Z/catalog.json`),
      why: `reads a catalog export under ${uri(exports)}`,
    },
    ...sseKms(s, 'read', uri(exports)),
    ...databases.flatMap((database) => {
      const t = { database, table: 'example', location: { bucket: '', prefix: '' } };
      return [
        ...(['glue:GetDatabase', 'glue:CreateDatabase', 'glue:UpdateDatabase'] as const).flatMap(
          (action) => glueOnDatabase(s, action, database, 'restores database'),
        ),
        ...glueInventoryIam.lists(s, database),
        ...(['glue:CreateTable', 'glue:UpdateTable'] as const).flatMap((action) =>
          glueOnTable(s, action, t, 'restores table'),
        ),
      ];
    }),
  ],
};

/**
 * SecretsReader (`secrets.ts`). A secret's ARN ends in `-` and six random characters that
 * Secrets Manager appends: callers pass the full ARN.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources
 */
export const secretsReaderIam = {
  actions: ['secretsmanager:GetSecretValue'],
  reads: (secretArn: string): IamCall[] => [
    { action: 'secretsmanager:GetSecretValue', resource: secretArn, why: `reads ${secretArn}` },
  ],
};

/**
 * SnsNotifier (`sns-notifier.ts`): Publish; SNS encrypts with the topic's key as the publisher.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#sns-what-permissions-for-sse
 */
export const snsNotifierIam = {
  actions: ['sns:Publish'],
  publishes: (s: EncryptedScope, topicArn: string): IamCall[] => [
    { action: 'sns:Publish', resource: topicArn, why: `publishes to ${topicArn}` },
    ...['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
      action,
      resource: s.keyArn,
      context: { 'kms:ViaService': `sns.${s.region}.amazonaws.com` },
      why: `SNS encrypts what is published to ${topicArn}`,
    })),
  ],
};

/** StepFunctionsExecutionResults (`execution-results.ts`): GetExecutionHistory, every page. */
export const executionResultsIam = {
  actions: ['states:GetExecutionHistory'],
  reads: (executionArn: string): IamCall[] => [
    {
      action: 'states:GetExecutionHistory',
      resource: executionArn,
      why: `reads the history of ${executionArn}`,
    },
  ],
};

/**
 * RedshiftWarehouseClient (`redshift-client.ts`): ExecuteStatement on the workgroup or cluster;
 * DescribeStatement, GetStatementResult and CancelStatement address a statement id, which IAM
 * knows only by its owner. With a secret, the Data API reads it with the caller's credentials.
 * https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-access.html
 */
export const redshiftClientIam = {
  actions: [
    'redshift-data:ExecuteStatement',
    'redshift-data:DescribeStatement',
    'redshift-data:GetStatementResult',
    'redshift-data:CancelStatement',
  ],
  statements: (target: string, callerUserId: string, secretArn: string | undefined): IamCall[] => [
    {
      action: 'redshift-data:ExecuteStatement',
      resource: target,
      why: `runs statements on ${target}`,
    },
    ...[
      'redshift-data:DescribeStatement',
      'redshift-data:GetStatementResult',
      'redshift-data:CancelStatement',
    ].map((action) => ({
      action,
      resource: '*',
      context: {
        'redshift-data:statement-owner-iam-userid': callerUserId,
        'aws:userid': callerUserId,
      },
      why: 'follows the statements it started',
    })),
    ...(secretArn ? secretsReaderIam.reads(secretArn) : []),
  ],
};

/**
 * Lambda acts with the function's execution role for its event source mappings and async
 * destinations: these calls come from the function's configuration, not its code.
 */
export const lambdaServiceIam = {
  /**
   * An asynchronous invocation's on-failure destination: a KMS-encrypted SQS queue.
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
   */
  queueDestination: (s: EncryptedScope, queueArn: string): IamCall[] => [
    { action: 'sqs:SendMessage', resource: queueArn, why: `sends failed events to ${queueArn}` },
    ...['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
      action,
      resource: s.keyArn,
      context: { 'kms:ViaService': `sqs.${s.region}.amazonaws.com` },
      why: `SQS encrypts what is sent to ${queueArn}`,
    })),
  ],
  /**
   * An SQS event source mapping: Lambda polls the queue, deletes what the function handled, and
   * reads the queue's attributes, as the function's role; an encrypted queue's messages are
   * decrypted with the caller's credentials.
   * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-permissions
   */
  sqsEventSource: (s: EncryptedScope, queueArn: string): IamCall[] => [
    ...['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].map((action) => ({
      action,
      resource: queueArn,
      why: `the event source mapping polls ${queueArn}`,
    })),
    {
      action: 'kms:Decrypt',
      resource: s.keyArn,
      context: { 'kms:ViaService': `sqs.${s.region}.amazonaws.com` },
      why: `SQS decrypts the messages of ${queueArn}`,
    },
  ],
  /**
   * An MSK event source mapping with IAM authentication (port 9098): the cluster's description
   * and brokers, the network interfaces in the cluster's VPC, and the Kafka consumer actions on
   * the cluster, the topic and the consumer group.
   * https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html
   * https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html
   */
  mskEventSource: (clusterArn: string, topic: string, consumerGroup: string): IamCall[] => {
    const { topicArn, groupArn } = mskResourceArns(clusterArn, topic, consumerGroup);
    const on = (actions: string[], resource: string, why: string) =>
      actions.map((action) => ({ action, resource, why }));
    return [
      ...on(['kafka:DescribeClusterV2'], clusterArn, 'the event source mapping finds the cluster'),
      // GetBootstrapBrokers supports no resource-level permissions.
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmanagedstreamingforapachekafka.html
      ...on(['kafka:GetBootstrapBrokers'], '*', 'the event source mapping finds the brokers'),
      ...on(
        [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeVpcs',
          'ec2:DeleteNetworkInterface',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
        ],
        '*',
        "the event source mapping's pollers reach the brokers in the cluster's VPC",
      ),
      ...on(
        ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
        clusterArn,
        'the pollers authenticate to the cluster with IAM',
      ),
      ...on(
        ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        topicArn,
        `the pollers read ${topic}`,
      ),
      ...on(
        ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        groupArn,
        `the pollers commit offsets of group ${consumerGroup}`,
      ),
    ];
  },
};

/**
 * DynamoDbRunLeaseStore (`dynamodb-run-lease-store.ts`): conditional PutItem and DeleteItem on
 * the lock table (conditions and ReturnValuesOnConditionCheckFailure need no other action), and
 * the table's customer managed key, which DynamoDB uses as the caller.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
 */
export const dynamoDbRunLeaseStoreIam = {
  actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
  leases: (s: EncryptedScope, table: string): IamCall[] => [
    ...dynamoDbRunLeaseStoreIam.releases(s, table),
    {
      action: 'dynamodb:PutItem',
      resource: `arn:${s.partition}:dynamodb:${s.region}:${s.account}:table/${table}`,
      why: `takes the run lock in ${table}`,
    },
  ],
  /** Giving a lease back only: a conditional DeleteItem. */
  releases: (s: EncryptedScope, table: string): IamCall[] => [
    ...['dynamodb:DeleteItem'].map((action) => ({
      action,
      resource: `arn:${s.partition}:dynamodb:${s.region}:${s.account}:table/${table}`,
      why: `gives back the run lock in ${table}`,
    })),
    {
      action: 'kms:Decrypt',
      resource: s.keyArn,
      context: { 'kms:ViaService': `dynamodb.${s.region}.amazonaws.com` },
      why: `DynamoDB decrypts ${table}'s table key`,
    },
  ],
};

/**
 * StepFunctionsRunStarter (`sfn-run-starter.ts`): StartExecution of one state machine, through a
 * version or alias when its ARN is qualified. IAM authorizes a start on the state machine's own
 * ARN; the qualifier (alias name or version number) is the `states:StateMachineQualifier` key.
 * https://docs.aws.amazon.com/step-functions/latest/dg/auth-version-alias.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
 */
export const sfnRunStarterIam = {
  actions: ['states:StartExecution'],
  starts: (stateMachineArn: string): IamCall[] => {
    const [, unqualified, qualifier] =
      /^(arn:[^:]+:states:[^:]+:[^:]+:stateMachine:[^:]+)(?::([^:]+))?$/.exec(stateMachineArn) ??
      [];
    if (!unqualified) throw new Error(`Not a state machine ARN: ${stateMachineArn}`);
    return [
      {
        action: 'states:StartExecution',
        resource: unqualified,
        ...(qualifier ? { context: { 'states:StateMachineQualifier': qualifier } } : {}),
        why: `starts ${stateMachineArn}`,
      },
    ];
  },
};

/** StepFunctionsRunWatcher (`sfn-run-watcher.ts`): reads the executions of one state machine. */
export const sfnRunWatcherIam = {
  actions: ['states:DescribeExecution'],
  watches: (executionArn: string): IamCall[] => [
    {
      action: 'states:DescribeExecution',
      resource: executionArn,
      why: `reads the status of ${executionArn}`,
    },
  ],
};

/**
 * `medallion smoke` (`runtime/cli/smoke-command.ts`): lands the smoke file with the object store
 * (one PutObject: never a multipart upload) and checks it left (HeadObject), starts and watches
 * the run, and counts the file's rows in bronze through Athena.
 */
export function smokeTestCalls(
  s: EncryptedScope,
  where: {
    readonly landing: S3Prefix;
    readonly stateMachineArn: string;
    readonly workgroup: string;
    readonly results: S3Prefix;
    readonly table: GlueTable;
  },
): IamCall[] {
  return [
    ...s3ObjectStoreIam
      .write(s, where.landing)
      .filter((c) => c.action !== 's3:AbortMultipartUpload'),
    ...s3ObjectStoreIam.read(s, where.landing),
    ...sfnRunStarterIam.starts(where.stateMachineArn),
    ...sfnRunWatcherIam.watches(executionArnOf(where.stateMachineArn, 'run-id')),
    ...athenaEngineIam.queries(s, where.workgroup, where.results),
    ...athenaEngineIam.reads(s, where.table),
  ];
}

/**
 * The topic and group ARNs of an MSK cluster: `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`
 * has topics at `topic/<name>/<uuid>/<topic>` and groups at `group/<name>/<uuid>/<group>`.
 * https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html#msk-iam-resources
 */
export function mskResourceArns(
  clusterArn: string,
  topic: string,
  consumerGroup: string,
): { topicArn: string; groupArn: string } {
  const match = /^(arn:[^:]+:kafka:[^:]+:[^:]+:)cluster\/(.+)$/.exec(clusterArn);
  if (!match) throw new Error(`Not an MSK cluster ARN: ${clusterArn}`);
  return {
    topicArn: `${match[1]}topic/${match[2]}/${topic}`,
    groupArn: `${match[1]}group/${match[2]}/${consumerGroup}`,
  };
}

/**
 * CostExplorerCosts (`cost-explorer.ts`): GetCostAndUsage, GetCostForecast and GetAnomalies. Cost
 * Explorer's actions name no resource type (GetAnomalies' monitor is a request parameter), so
 * they are granted on `*`.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscostexplorerservice.html
 */
export const costExplorerIam = {
  actions: ['ce:GetCostAndUsage', 'ce:GetCostForecast', 'ce:GetAnomalies'],
  reads: (): IamCall[] => [
    { action: 'ce:GetCostAndUsage', resource: '*', why: 'reads daily cost by service and tag' },
    { action: 'ce:GetCostForecast', resource: '*', why: 'forecasts the rest of the month' },
    { action: 'ce:GetAnomalies', resource: '*', why: "reads the anomaly monitor's anomalies" },
  ],
};

/**
 * LogsInsightsLambdaUsage (`logs-insights.ts`): StartQuery on each platform function's log group;
 * GetQueryResults names no resource type (the query id is a request parameter), so it is on `*`.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 */
export const logsInsightsIam = {
  actions: ['logs:StartQuery', 'logs:GetQueryResults'],
  queries: (s: AwsScope, logGroups: readonly string[]): IamCall[] => [
    ...logGroups.map((name) => ({
      action: 'logs:StartQuery',
      resource: `arn:${s.partition}:logs:${s.region}:${s.account}:log-group:${name}:*`,
      why: `reads the REPORT lines of ${name}`,
    })),
    { action: 'logs:GetQueryResults', resource: '*', why: "reads the query's results" },
  ],
};

/**
 * CostOptimizationHubRecommendations (`cost-optimization-hub.ts`): ListRecommendations, which
 * names no resource type, so it is granted on `*`.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscostoptimizationhub.html
 */
export const costOptimizationHubIam = {
  actions: ['cost-optimization-hub:ListRecommendations'],
  reads: (): IamCall[] => [
    {
      action: 'cost-optimization-hub:ListRecommendations',
      resource: '*',
      why: "reads Cost Optimization Hub's recommendations",
    },
  ],
};

/**
 * GluePublishTimes (`glue-publish-times.ts`): GetTables over the databases it reads publish times
 * from, authorized like GlueTableInventory's.
 */
export const gluePublishTimesIam = {
  actions: ['glue:GetTables'],
  reads: (s: AwsScope, database: string): IamCall[] => glueInventoryIam.lists(s, database),
};

/**
 * CloudWatchMetricSink (`cloudwatch-metric-sink.ts`): PutMetricData names no resource type, so it
 * is granted on `*`, narrowed to one namespace by the `cloudwatch:namespace` condition key.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
 */
export const cloudWatchMetricSinkIam = {
  actions: ['cloudwatch:PutMetricData'],
  puts: (namespace: string): IamCall[] => [
    {
      action: 'cloudwatch:PutMetricData',
      resource: '*',
      context: { 'cloudwatch:namespace': namespace },
      why: `publishes metrics in ${namespace}`,
    },
  ],
};

/**
 * CloudWatchMetricData (`cloudwatch-metrics.ts`): GetMetricData, which names no resource type, so
 * it is granted on `*`.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
 */
export const cloudWatchMetricsIam = {
  actions: ['cloudwatch:GetMetricData'],
  reads: (): IamCall[] => [
    {
      action: 'cloudwatch:GetMetricData',
      resource: '*',
      why: 'reads S3 storage, Lambda invocation and Step Functions execution metrics',
    },
  ],
};

/**
 * S3LifecycleRules (`s3-lifecycle.ts`): GetBucketLifecycleConfiguration is authorized as
 * s3:GetLifecycleConfiguration on the bucket.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 */
export const s3LifecycleIam = {
  actions: ['s3:GetLifecycleConfiguration'],
  reads: (s: AwsScope, buckets: readonly string[]): IamCall[] =>
    buckets.map((bucket) => ({
      action: 's3:GetLifecycleConfiguration',
      resource: arn.bucket(s, bucket),
      why: `reads the lifecycle rules of ${bucket}`,
    })),
};
