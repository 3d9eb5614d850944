/**
 * Checks that the commands an adapter's unit tests send map to IAM actions the adapter declares
 * (`lambdas/adapters/aws/iam-calls.ts`): a new SDK call without its declaration, and so without a
 * permission test, fails the adapter's own tests.
 */
import { afterAll, afterEach, expect } from 'vitest';

/**
 * The IAM actions AWS authorizes each SDK command with, where the name does not say it
 * (ListObjectsV2 is s3:ListBucket, HeadObject s3:GetObject, the multipart commands s3:PutObject).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */
const commandActions: Readonly<Record<string, readonly string[]>> = {
  ListObjectsV2Command: ['s3:ListBucket'],
  GetObjectCommand: ['s3:GetObject'],
  HeadObjectCommand: ['s3:GetObject'],
  PutObjectCommand: ['s3:PutObject'],
  CreateMultipartUploadCommand: ['s3:PutObject'],
  UploadPartCommand: ['s3:PutObject'],
  CompleteMultipartUploadCommand: ['s3:PutObject'],
  UploadPartCopyCommand: ['s3:GetObject', 's3:PutObject'],
  CopyObjectCommand: ['s3:GetObject', 's3:PutObject'],
  AbortMultipartUploadCommand: ['s3:AbortMultipartUpload'],
  DeleteObjectCommand: ['s3:DeleteObject'],
  DeleteObjectsCommand: ['s3:DeleteObject'],
  // Reading or deleting one version of an object is its own action.
  'GetObjectCommand(VersionId)': ['s3:GetObjectVersion'],
  'DeleteObjectCommand(VersionId)': ['s3:DeleteObjectVersion'],
  ListObjectVersionsCommand: ['s3:ListBucketVersions'],
  StartQueryExecutionCommand: ['athena:StartQueryExecution'],
  GetQueryExecutionCommand: ['athena:GetQueryExecution'],
  GetQueryResultsCommand: ['athena:GetQueryResults'],
  StopQueryExecutionCommand: ['athena:StopQueryExecution'],
  GetTableCommand: ['glue:GetTable'],
  GetDatabasesCommand: ['glue:GetDatabases'],
  GetDatabaseCommand: ['glue:GetDatabase'],
  CreateDatabaseCommand: ['glue:CreateDatabase'],
  UpdateDatabaseCommand: ['glue:UpdateDatabase'],
  CreateTableCommand: ['glue:CreateTable'],
  GetTablesCommand: ['glue:GetTables'],
  DeleteTableCommand: ['glue:DeleteTable'],
  UpdateTableCommand: ['glue:UpdateTable'],
  GetSecretValueCommand: ['secretsmanager:GetSecretValue'],
  PublishCommand: ['sns:Publish'],
  GetExecutionHistoryCommand: ['states:GetExecutionHistory'],
  StartExecutionCommand: ['states:StartExecution'],
  DescribeExecutionCommand: ['states:DescribeExecution'],
  PutItemCommand: ['dynamodb:PutItem'],
  DeleteItemCommand: ['dynamodb:DeleteItem'],
  ExecuteStatementCommand: ['redshift-data:ExecuteStatement'],
  DescribeStatementCommand: ['redshift-data:DescribeStatement'],
  GetStatementResultCommand: ['redshift-data:GetStatementResult'],
  CancelStatementCommand: ['redshift-data:CancelStatement'],
  ListDataCellsFilterCommand: ['lakeformation:ListDataCellsFilter'],
  CreateDataCellsFilterCommand: ['lakeformation:CreateDataCellsFilter'],
  UpdateDataCellsFilterCommand: ['lakeformation:UpdateDataCellsFilter'],
  DeleteDataCellsFilterCommand: ['lakeformation:DeleteDataCellsFilter'],
  GrantPermissionsCommand: ['lakeformation:GrantPermissions'],
  AddLFTagsToResourceCommand: ['lakeformation:AddLFTagsToResource'],
  GetCostAndUsageCommand: ['ce:GetCostAndUsage'],
  GetCostForecastCommand: ['ce:GetCostForecast'],
  GetAnomaliesCommand: ['ce:GetAnomalies'],
  StartQueryCommand: ['logs:StartQuery'],
  // CloudWatch Logs' GetQueryResults has Athena's name, told apart by its queryId.
  'GetQueryResultsCommand(queryId)': ['logs:GetQueryResults'],
  ListRecommendationsCommand: ['cost-optimization-hub:ListRecommendations'],
  PutMetricDataCommand: ['cloudwatch:PutMetricData'],
  GetMetricDataCommand: ['cloudwatch:GetMetricData'],
  // The API's name is not the action's. https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html
  GetBucketLifecycleConfigurationCommand: ['s3:GetLifecycleConfiguration'],
};

/** What the check needs of an `aws-sdk-client-mock` stub: the calls it received. */
interface RecordingMock {
  calls(): readonly { readonly args: readonly unknown[] }[];
}

/**
 * Records every command `mock` receives in this test file (after each test, before the next one
 * resets it) and fails the file if one needs an action `declared` lacks. `mock` may be a function
 * for mocks recreated per test.
 */
export function expectDeclaredCommands(
  adapter: string,
  mock: RecordingMock | (() => RecordingMock),
  declared: readonly string[],
): void {
  const sent = new Set<string>();
  afterEach(() => {
    const current = typeof mock === 'function' ? mock() : mock;
    for (const call of current.calls()) {
      const command = call.args[0] as { input?: { VersionId?: string; queryId?: string } };
      const name = command.constructor.name;
      sent.add(
        (name === 'DeleteObjectCommand' || name === 'GetObjectCommand') && command.input?.VersionId
          ? `${name}(VersionId)`
          : name === 'GetQueryResultsCommand' && command.input?.queryId
            ? `${name}(queryId)`
            : name,
      );
    }
  });
  afterAll(() => {
    const undeclared = [...sent].flatMap((command) => {
      const actions = commandActions[command];
      if (!actions) return [`${command}: add its IAM actions to test/helpers/declared-calls.ts`];
      return actions.filter((a) => !declared.includes(a)).map((a) => `${command} needs ${a}`);
    });
    expect(undeclared, `${adapter} sends commands its IAM declaration lacks`).toEqual([]);
  });
}
