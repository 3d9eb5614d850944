import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ManagedKafkaEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../../config/schema';
import type { ProjectColumnLineage } from '../../lambdas/core/lineage/graph';
import {
  glueDatabaseName,
  lakeSchemas,
  schemaLocations,
  stateMachineName,
  workgroupName,
  type BucketRole,
  type LakeSchema,
} from '../../lambdas/core/aws-names';
import { jobs, placeholders, type Job } from '../../lambdas/core/orchestration';
import { parseRedshiftConnection, parseSnowflakeConnection } from '../../config/connections';
import { acknowledgeWildcard } from '../constructs/acknowledge';
import { grantObjects } from '../constructs/grants';
import { lakeBuckets } from '../constructs/lake-bucket';
import { PlatformFunction, repositoryRoot } from '../constructs/platform-function';
import { pascal } from '../names';

/** How a task's function is built; sized by what its handler does, the Lambda maximum by default. */
interface TaskHandlerSpec {
  readonly entry: string;
  readonly description: string;
  readonly definitions: 'none' | 'sources' | 'project';
  /** @default 900 */
  readonly timeoutSeconds?: number;
  /** @default 1024 */
  readonly memorySize?: number;
}

/** The handlers the state machines call, by the placeholder their Task states use. */
export const taskHandlers = {
  RunLockFunctionArn: {
    entry: 'run-lock',
    description: "Takes and gives back the lake's run lock: one run at a time.",
    definitions: 'none',
    // Two DynamoDB calls: the ASL's Task TimeoutSeconds is this plus 60.
    timeoutSeconds: 30,
    memorySize: 256,
  },
  IngestWarehouseFunctionArn: {
    entry: 'ingest-warehouse',
    description: 'Incremental extraction from Snowflake and Redshift into bronze.',
    definitions: 'sources',
  },
  IngestRestFunctionArn: {
    entry: 'ingest-rest',
    description: 'Paginated extraction from the CRM and FX APIs into bronze.',
    definitions: 'sources',
  },
  KafkaDrainFunctionArn: {
    entry: 'kafka-drain',
    description: 'Drains Kafka topics from committed offsets into bronze in MSK-shaped batches.',
    definitions: 'sources',
  },
  IngestLandingFunctionArn: {
    entry: 'ingest-landing',
    description: 'Ingests files dropped into the landing bucket, once each.',
    definitions: 'sources',
  },
  TransformFunctionArn: {
    entry: 'transform',
    description: 'Builds silver or gold with Athena: validate, quarantine, deduplicate, merge.',
    definitions: 'project',
  },
  DataQualityFunctionArn: {
    entry: 'data-quality',
    description: 'Profiles and checks silver or gold against the contracts: the quality gate.',
    definitions: 'sources',
  },
  CatalogSyncFunctionArn: {
    entry: 'catalog-sync',
    description: "Writes each dataset's latest run figures into its Glue table's Parameters.",
    definitions: 'sources',
  },
  NotifyFailureFunctionArn: {
    entry: 'notify-failure',
    description: 'Publishes a failed run to the failure topic.',
    definitions: 'none',
  },
} as const satisfies Record<string, TaskHandlerSpec>;
export type TaskHandler = keyof typeof taskHandlers;

export interface PipelineStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly key: kms.IKey;
  /** The models' column lineage, derived from their SQL here so the transform bundle needs no SQL parser. */
  readonly columnLineage: ProjectColumnLineage;
}

/**
 * Compute: one Lambda function per handler, the state machines from `stepfunctions/*.asl.json`
 * with their Task resources substituted by those functions, the schedules, the failure topic, the
 * events that start ingestion (landing files, MSK) and the recording of every run. Each function
 * is granted only what its handler touches.
 */
export class PipelineStack extends Stack {
  readonly functions: Record<
    TaskHandler | 'KafkaEvents' | 'RecordRun' | 'StartLanding',
    lambda.IFunction
  >;
  readonly stateMachines: Record<Job, sfn.StateMachine>;
  readonly failureTopic: sns.Topic;
  /** Schedules and landing batches that could not start a run, run events that could not be recorded. */
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config, key } = props;
    const buckets = lakeBuckets(this, config.project, config.env);
    const removalPolicy =
      config.storage.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention =
      config.env === 'prod' ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH;

    this.failureTopic = new sns.Topic(this, 'FailureTopic', {
      displayName: `${config.project} ${config.env} pipeline failures`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of config.notifications.emails)
      this.failureTopic.addSubscription(new subscriptions.EmailSubscription(email));

    const environment = {
      MEDALLION_ENV: config.env,
      MEDALLION_ACCOUNT: this.account,
      MEDALLION_BUCKETS: JSON.stringify(
        Object.fromEntries(
          Object.entries(buckets).map(([role, bucket]) => [role, bucket.bucketName]),
        ),
      ),
      MEDALLION_WORKGROUP: workgroupName(config.project, config.env, 'engineering'),
      MEDALLION_FAILURE_TOPIC_ARN: this.failureTopic.topicArn,
      MEDALLION_RUN_LOCK_TABLE: runLockTableName(config),
      POWERTOOLS_METRICS_NAMESPACE: `${config.project}-${config.env}`,
    };
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const fn = (
      name: string,
      entry: string,
      description: string,
      definitions: 'none' | 'sources' | 'project',
      sizing: {
        reservedConcurrency?: number;
        timeoutSeconds?: number;
        memorySize?: number;
        environment?: Record<string, string>;
      } = {},
    ) =>
      new PlatformFunction(this, name, {
        entry,
        description,
        definitions,
        ...(definitions === 'project'
          ? { files: { 'lineage.json': JSON.stringify(props.columnLineage) } }
          : {}),
        environment: { ...environment, ...sizing.environment },
        removalPolicy,
        logRetention,
        reservedConcurrency: sizing.reservedConcurrency,
        ...(sizing.timeoutSeconds ? { timeout: Duration.seconds(sizing.timeoutSeconds) } : {}),
        ...(sizing.memorySize ? { memorySize: sizing.memorySize } : {}),
      }).function;
    const handlers = {} as Record<TaskHandler, lambda.IFunction>;
    for (const placeholder of Object.keys(taskHandlers) as TaskHandler[]) {
      const spec: TaskHandlerSpec = taskHandlers[placeholder];
      handlers[placeholder] = fn(
        placeholder.replace(/FunctionArn$/, ''),
        spec.entry,
        spec.description,
        spec.definitions,
        spec,
      );
    }
    const functions = {
      ...handlers,
      KafkaEvents: fn(
        'KafkaEvents',
        'kafka-events',
        'Target of the MSK event source mapping: writes each batch to bronze.',
        'sources',
      ),
      // One at a time: concurrent MERGEs into the same Iceberg table would conflict on commit.
      RecordRun: fn(
        'RecordRun',
        'record-run',
        "Records each run's start, end and dataset steps in the audit tables.",
        'sources',
        { reservedConcurrency: 1 },
      ),
    };

    // Grants, handler by handler: only the buckets, prefixes, actions and APIs each one uses.
    const ingesting = [
      functions.IngestWarehouseFunctionArn,
      functions.IngestRestFunctionArn,
      functions.KafkaDrainFunctionArn,
      functions.KafkaEvents,
      functions.IngestLandingFunctionArn,
    ];
    for (const f of ingesting) {
      grantObjects(f, buckets.bronze, key, { read: true, write: true, delete: true });
      grantObjects(f, buckets.audit, key, { read: true, write: true, prefix: 'state/' });
    }
    // Every task writes its OpenLineage events; the run recorder also reads them, to close with
    // ABORT the task runs a pipeline run left open.
    for (const f of [
      ...ingesting,
      functions.TransformFunctionArn,
      functions.DataQualityFunctionArn,
    ])
      grantObjects(f, buckets.audit, key, { write: true, prefix: 'lineage/' });
    grantObjects(functions.RecordRun, buckets.audit, key, {
      read: true,
      write: true,
      prefix: 'lineage/',
    });
    grantObjects(functions.IngestLandingFunctionArn, buckets.landing, key, {
      read: true,
      write: true,
      delete: true,
    });
    this.grantSecrets(config, functions);
    this.grantRedshift(config, functions.IngestWarehouseFunctionArn, buckets.bronze, key);
    this.grantTransform(config, functions.TransformFunctionArn, buckets, key);
    this.grantRecordRun(config, functions.RecordRun, buckets, key);
    this.grantDataQuality(config, functions.DataQualityFunctionArn, buckets, key);
    this.grantCatalogSync(config, functions.CatalogSyncFunctionArn, buckets, key);
    functions.NotifyFailureFunctionArn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        resources: [this.failureTopic.topicArn],
      }),
    );
    functions.NotifyFailureFunctionArn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
      }),
    );

    this.stateMachines = Object.fromEntries(
      jobs.map((job) => [
        job,
        this.stateMachine(config, job, functions, key, removalPolicy, logRetention),
      ]),
    ) as Record<Job, sfn.StateMachine>;

    this.runLock(config, functions.RunLockFunctionArn, key, removalPolicy);
    const startLanding = this.landingBatches(config, buckets.landing, key, (environment) =>
      fn(
        'StartLanding',
        'start-landing',
        'Starts one landing_to_bronze run per batch of landing-file events.',
        'none',
        { timeoutSeconds: 30, memorySize: 256, environment },
      ),
    );
    this.functions = { ...functions, StartLanding: startLanding };
    this.schedules(config, key);
    this.events(config, functions.RecordRun, key);
    this.kafkaDelivery(config, functions.KafkaEvents);
  }

  /** One state machine per ASL file, its `${...}` placeholders resolved to this stack's functions. */
  private stateMachine(
    config: PlatformConfig,
    job: Job,
    functions: Record<TaskHandler, lambda.IFunction>,
    key: kms.IKey,
    removalPolicy: RemovalPolicy,
    retention: logs.RetentionDays,
  ): sfn.StateMachine {
    const file = path.join(repositoryRoot, 'stepfunctions', `${job}.asl.json`);
    const used = placeholders(readFileSync(file, 'utf8')) as TaskHandler[];
    const missing = used.filter((p) => !(p in functions));
    if (missing.length > 0)
      throw new Error(
        `stepfunctions/${job}.asl.json uses ${missing.join(', ')}, which no function of the stack answers`,
      );
    const name = pascal(job);
    const machine = new sfn.StateMachine(this, `${name}StateMachine`, {
      stateMachineName: stateMachineName(config.project, config.env, job),
      definitionBody: sfn.DefinitionBody.fromFile(file),
      definitionSubstitutions: Object.fromEntries(used.map((p) => [p, functions[p].functionArn])),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, `${name}Logs`, {
          retention,
          removalPolicy,
          encryptionKey: key,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [...new Set(used)].map((p) => functions[p].functionArn),
      }),
    );
    return machine;
  }

  /** EventBridge Scheduler schedules from config, with retries and a dead-letter queue. */
  private schedules(config: PlatformConfig, key: kms.IKey): void {
    const scheduled = Object.entries(config.pipelines).filter(([, p]) => p.schedule);
    for (const [job, pipeline] of scheduled) {
      const machine = this.stateMachines[job as Job];
      if (!machine)
        throw new Error(
          `config pipelines.${job}: no state machine stepfunctions/${job}.asl.json to schedule`,
        );
      new scheduler.Schedule(this, `${machine.node.id.replace(/StateMachine$/, '')}Schedule`, {
        description: `Starts ${job} (${pipeline.schedule}, ${pipeline.timezone}).`,
        schedule: scheduler.ScheduleExpression.expression(
          pipeline.schedule!,
          TimeZone.of(pipeline.timezone),
        ),
        timeWindow:
          pipeline.flexibleWindowMinutes > 0
            ? scheduler.TimeWindow.flexible(Duration.minutes(pipeline.flexibleWindowMinutes))
            : scheduler.TimeWindow.off(),
        key,
        target: new schedulerTargets.StepFunctionsStartExecution(machine, {
          input: scheduler.ScheduleTargetInput.fromObject({}),
          deadLetterQueue: this.deadLetters,
          retryAttempts: pipeline.retry.maximumRetryAttempts,
          maxEventAge: Duration.seconds(pipeline.retry.maximumEventAgeSeconds),
        }),
      });
    }
  }

  /**
   * The lake's run lock (`lambdas/core/run-lock.ts`): one lease item per lock in a DynamoDB table,
   * written and deleted under conditions by the run-lock function only. `expires_at` is the TTL
   * attribute: it tidies up leases a run never gave back (the condition, not TTL, decides who may
   * take the lock). State machines ask for leases longer than their TimeoutSeconds.
   */
  private runLock(
    config: PlatformConfig,
    fn: lambda.IFunction,
    key: kms.IKey,
    removalPolicy: RemovalPolicy,
  ): void {
    const table = new dynamodb.Table(this, 'RunLockTable', {
      tableName: runLockTableName(config),
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      timeToLiveAttribute: 'expires_at',
      removalPolicy,
    });
    // The two calls DynamoDbRunLeaseStore makes, on this table only; condition expressions and
    // ReturnValuesOnConditionCheckFailure need no other action.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
      }),
    );
    // A table encrypted with a customer managed key: DynamoDB calls kms:Decrypt on the key as the
    // principal that accesses the table (then caches the table key for a while).
    // https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `dynamodb.${this.region}.amazonaws.com` },
        },
      }),
    );
  }

  /**
   * Landing files are batched, so a burst of N files starts one landing_to_bronze run, not N:
   * EventBridge puts each "Object Created" event on a queue (encrypted with the lake key, dead
   * letters after 5 receives), and the StartLanding function, fed batches gathered over up to a
   * minute, starts one run per batch. The run ingests every file pending in the landing zone;
   * runs that still meet take turns through the run lock. Returns the starter function.
   */
  private landingBatches(
    config: PlatformConfig,
    landing: s3.IBucket,
    key: kms.IKey,
    starter: (environment: Record<string, string>) => lambda.IFunction,
  ): lambda.IFunction {
    const machine = this.stateMachines.landing_to_bronze;
    const ruleName = `${config.project}-${config.env}-landing-files`;
    const queue = new sqs.Queue(this, 'LandingEvents', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      // Lambda's advice for an SQS event source: six times the function's timeout.
      visibilityTimeout: Duration.seconds(180),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 5 },
    });
    const rule = new events.Rule(this, 'LandingFileRule', {
      ruleName,
      description: 'A file dropped into the landing bucket queues a start of landing_to_bronze.',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [landing.bucketName] },
          object: { key: [{ 'anything-but': { wildcard: ['*/processed/*', '*/rejected/*'] } }] },
        },
      },
      // Not eventTargets.SqsQueue: for an encrypted queue it grants EventBridge kms:Encrypt,
      // ReEncrypt* and GenerateDataKey* on the lake key for any rule. The two statements below
      // allow this rule alone.
      targets: [{ bind: () => ({ arn: queue.queueArn, targetResource: queue }) }],
    });
    queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    // EventBridge sends to a queue under a customer managed key only if the key policy lets
    // events.amazonaws.com use it: the lake key allows it for this account and this rule.
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html#eb-sqs-encrypted
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnEquals: {
            'aws:SourceArn': this.formatArn({
              service: 'events',
              resource: 'rule',
              resourceName: ruleName,
            }),
          },
        },
      }),
    );
    const fn = starter({ MEDALLION_LANDING_STATE_MACHINE_ARN: machine.stateMachineArn });
    (fn as lambda.Function).addEventSource(
      new SqsEventSource(queue, {
        batchSize: 1000,
        maxBatchingWindow: Duration.minutes(1),
        // The fewest pollers Lambda allows; runs that still overlap wait on the run lock.
        maxConcurrency: 2,
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [machine.stateMachineArn],
      }),
    );
    return fn;
  }

  /**
   * Every run's status changes are recorded in the audit tables; runs ending badly outside a
   * Catch (timeouts, aborts) reach the failure topic.
   */
  private events(config: PlatformConfig, recordRun: lambda.IFunction, key: kms.IKey): void {
    const machineArns = Object.values(this.stateMachines).map((m) => m.stateMachineArn);
    const recording = new events.Rule(this, 'RunStatusRule', {
      description:
        'Every status change of every run, recorded in audit.runs and audit.run_datasets.',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: machineArns },
      },
    });
    recording.addTarget(
      new eventTargets.LambdaFunction(recordRun, {
        deadLetterQueue: this.deadLetters,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      }),
    );
    // Delivered asynchronously: an invocation that keeps failing lands in the dead-letter queue.
    // Granted here with exact actions (SqsDestination would grant kms:GenerateDataKey* and ReEncrypt*).
    recordRun.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: { bind: () => ({ destination: this.deadLetters.queueArn }) },
    });
    recordRun.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetters.queueArn],
      }),
    );
    recordRun.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
      }),
    );
    new events.Rule(this, 'RunEndedBadlyRule', {
      description:
        'A run that timed out or was aborted (failures inside a run notify by themselves).',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['TIMED_OUT', 'ABORTED'],
          stateMachineArn: machineArns,
        },
      },
      targets: [
        new eventTargets.SnsTopic(this.failureTopic, {
          message: events.RuleTargetInput.fromText(
            `${config.project} ${config.env}: run ${events.EventField.fromPath('$.detail.name')} of ${events.EventField.fromPath('$.detail.stateMachineArn')} ended ${events.EventField.fromPath('$.detail.status')}`,
          ),
        }),
      ],
    });
  }

  /** With `eventSourceMapping: true`, MSK delivers each topic's batches to the Kafka handler. */
  private kafkaDelivery(config: PlatformConfig, target: lambda.IFunction): void {
    for (const source of Object.values(config.sources)) {
      if (source.kind !== 'kafka' || !source.eventSourceMapping) continue;
      for (const dataset of Object.values(source.datasets)) {
        (target as lambda.Function).addEventSource(
          new ManagedKafkaEventSource({
            clusterArn: source.mskClusterArn!,
            topic: dataset.topic,
            batchSize: source.batchSize,
            // TRIM_HORIZON: a new mapping reads what the topic still retains; offsets dedupe the rest.
            startingPosition: lambda.StartingPosition.TRIM_HORIZON,
          }),
        );
      }
    }
  }

  /** Each secret named in config is readable by the functions of its source kind only. */
  private grantSecrets(
    config: PlatformConfig,
    functions: Record<TaskHandler, lambda.IFunction>,
  ): void {
    for (const [name, source] of Object.entries(config.sources)) {
      // A warehouse connection missing a key fails the synth here, naming it, not a run later.
      if (source.kind === 'warehouse' && source.engine === 'snowflake')
        parseSnowflakeConnection(name, source.connection);
      const secretName =
        source.kind === 'rest'
          ? source.secret
          : source.kind === 'warehouse'
            ? source.connection.secret
            : undefined;
      if (!secretName) continue;
      const secret = secretsmanager.Secret.fromSecretNameV2(
        this,
        `${pascal(name)}Secret`,
        secretName,
      );
      (source.kind === 'rest'
        ? functions.IngestRestFunctionArn
        : functions.IngestWarehouseFunctionArn
      ).addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secret.secretArn],
        }),
      );
    }
  }

  /** Redshift Data API calls, and the cluster's UNLOAD role writing bronze's staging prefix. */
  private grantRedshift(
    config: PlatformConfig,
    fn: lambda.IFunction,
    bronze: s3.IBucket,
    key: kms.IKey,
  ): void {
    for (const [name, source] of Object.entries(config.sources)) {
      if (source.kind !== 'warehouse' || source.engine !== 'redshift') continue;
      const { workgroup, clusterIdentifier, iamRole } = parseRedshiftConnection(
        name,
        source.connection,
      );
      const target = workgroup
        ? this.formatArn({
            service: 'redshift-serverless',
            resource: 'workgroup',
            resourceName: '*',
          })
        : this.formatArn({
            service: 'redshift',
            resource: 'cluster',
            resourceName: clusterIdentifier ?? '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          });
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['redshift-data:ExecuteStatement'],
          resources: [target],
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [
            'redshift-data:DescribeStatement',
            'redshift-data:GetStatementResult',
            'redshift-data:CancelStatement',
          ],
          resources: ['*'],
          conditions: {
            StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' },
          },
        }),
      );
      if (workgroup) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['redshift-serverless:GetCredentials'],
            resources: [target],
          }),
        );
        acknowledgeWildcard(
          fn,
          target,
          'A Redshift Serverless workgroup ARN carries the workgroup id, which config does not know (it names the workgroup).',
        );
      }
      // UNLOAD writes as the cluster's role: it may put objects under bronze's Redshift staging prefix.
      bronze.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ArnPrincipal(iamRole)],
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [bronze.arnForObjects('_staging/redshift/*')],
        }),
      );
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ArnPrincipal(iamRole)],
          actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
          resources: ['*'],
        }),
      );
    }
  }

  /** Athena queries in the engineering workgroup over the lake's Glue databases and buckets. */
  private grantTransform(
    config: PlatformConfig,
    fn: lambda.IFunction,
    buckets: Record<BucketRole, s3.IBucket>,
    key: kms.IKey,
  ): void {
    const databases = lakeSchemas.map((s) => glueDatabaseName(config.project, config.env, s));
    const tables = lakeSchemas.flatMap((schema) => this.glueTables(config, schema));
    this.grantAthena(config, fn, {
      actions: [
        'glue:GetDatabase',
        'glue:GetTable',
        'glue:GetTables',
        'glue:GetPartitions',
        'glue:CreateTable',
        'glue:UpdateTable',
        'glue:DeleteTable',
      ],
      databases,
      tables,
    });
    for (const table of tables) {
      acknowledgeWildcard(
        fn,
        table,
        'Materializations create versioned and scratch tables with run-time names, only inside the project’s own Glue databases.',
      );
    }
    grantObjects(fn, buckets.bronze, key, { read: true });
    for (const role of ['silver', 'gold', 'quarantine', 'audit', 'athenaResults'] as const) {
      grantObjects(fn, buckets[role], key, { read: true, write: true, delete: true });
    }
  }

  /**
   * Run recording: Athena writes to the run and contract-version tables of the audit database (an
   * Iceberg commit updates the Glue table), and the history of this stack's executions.
   */
  private grantRecordRun(
    config: PlatformConfig,
    fn: lambda.IFunction,
    buckets: Record<BucketRole, s3.IBucket>,
    key: kms.IKey,
  ): void {
    this.grantAthena(config, fn, {
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:UpdateTable'],
      databases: [glueDatabaseName(config.project, config.env, 'audit')],
      tables: this.glueTables(config, 'audit', ['runs', 'run_datasets', 'contract_versions']),
    });
    const where = schemaLocations.audit;
    grantObjects(fn, buckets[where.bucket], key, {
      read: true,
      write: true,
      delete: true,
      prefix: where.prefix,
    });
    grantQueryResults(fn, buckets, key);
    const executions = jobs.map((job) =>
      this.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${stateMachineName(config.project, config.env, job)}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:GetExecutionHistory'], resources: executions }),
    );
    for (const execution of executions) {
      acknowledgeWildcard(
        fn,
        execution,
        'Execution names are run ids chosen at start time; access is limited to the executions of this stack’s state machines.',
      );
    }
  }

  /**
   * The quality gate reads silver and gold (and what they reference) and writes its evidence to
   * the three data-quality tables of the audit database.
   */
  private grantDataQuality(
    config: PlatformConfig,
    fn: lambda.IFunction,
    buckets: Record<BucketRole, s3.IBucket>,
    key: kms.IKey,
  ): void {
    const read = ['silver', 'gold', 'seeds'] as const;
    const readTables = read.flatMap((schema) => this.glueTables(config, schema));
    const evidence = this.glueTables(config, 'audit', ['dq_results', 'dq_scores', 'dq_profiles']);
    this.grantAthena(config, fn, {
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
      databases: [...read, 'audit' as const].map((schema) =>
        glueDatabaseName(config.project, config.env, schema),
      ),
      tables: [...readTables, ...evidence],
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['glue:UpdateTable'], resources: evidence }),
    );
    for (const table of readTables) {
      acknowledgeWildcard(
        fn,
        table,
        'Checks read every silver and gold table, including versions published under run-time names; read actions only.',
      );
    }
    grantObjects(fn, buckets.silver, key, { read: true });
    grantObjects(fn, buckets.gold, key, { read: true });
    grantObjects(fn, buckets[schemaLocations.audit.bucket], key, {
      read: true,
      write: true,
      delete: true,
      prefix: schemaLocations.audit.prefix,
    });
    grantQueryResults(fn, buckets, key);
  }

  /**
   * Reads run history and scores from the audit tables with Athena, and updates the Glue
   * definition of every lake table (bronze, silver, gold): Parameters and column comments.
   */
  private grantCatalogSync(
    config: PlatformConfig,
    fn: lambda.IFunction,
    buckets: Record<BucketRole, s3.IBucket>,
    key: kms.IKey,
  ): void {
    const lake = ['bronze', 'silver', 'gold'] as const;
    const lakeTables = lake.flatMap((schema) => this.glueTables(config, schema));
    this.grantAthena(config, fn, {
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables'],
      databases: [...lake, 'audit' as const].map((schema) =>
        glueDatabaseName(config.project, config.env, schema),
      ),
      tables: [
        ...lakeTables,
        ...this.glueTables(config, 'audit', ['runs', 'run_datasets', 'dq_scores']),
      ],
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['glue:UpdateTable'], resources: lakeTables }),
    );
    for (const table of lakeTables) {
      acknowledgeWildcard(
        fn,
        table,
        'The catalog sync updates the Parameters and column comments of every lake table, whose names come from the contracts.',
      );
    }
    grantObjects(fn, buckets[schemaLocations.audit.bucket], key, {
      read: true,
      prefix: schemaLocations.audit.prefix,
    });
    grantQueryResults(fn, buckets, key);
  }

  /** ARNs of the named tables of a schema's Glue database, or of all of them. */
  private glueTables(
    config: PlatformConfig,
    schema: LakeSchema,
    tables: readonly string[] = ['*'],
  ): string[] {
    const database = glueDatabaseName(config.project, config.env, schema);
    return tables.map((table) =>
      this.formatArn({ service: 'glue', resource: 'table', resourceName: `${database}/${table}` }),
    );
  }

  /** Queries in the engineering workgroup, with the given Glue access. */
  private grantAthena(
    config: PlatformConfig,
    fn: lambda.IFunction,
    glue: { actions: string[]; databases: string[]; tables: string[] },
  ): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
          'athena:GetWorkGroup',
        ],
        resources: [
          this.formatArn({
            service: 'athena',
            resource: 'workgroup',
            resourceName: workgroupName(config.project, config.env, 'engineering'),
          }),
        ],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: glue.actions,
        resources: [
          this.formatArn({ service: 'glue', resource: 'catalog' }),
          ...glue.databases.map((d) =>
            this.formatArn({ service: 'glue', resource: 'database', resourceName: d }),
          ),
          ...glue.tables,
        ],
      }),
    );
  }
}

/** Where queries in the engineering workgroup write their results. */
function grantQueryResults(
  fn: lambda.IFunction,
  buckets: Record<BucketRole, s3.IBucket>,
  key: kms.IKey,
): void {
  grantObjects(fn, buckets.athenaResults, key, { read: true, write: true, prefix: 'engineering/' });
}

/** Named, so functions learn it from their environment without depending on the table. */
function runLockTableName(config: PlatformConfig): string {
  return `${config.project}-${config.env}-run-lock`;
}
