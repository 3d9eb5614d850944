import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../../config/schema';
import { runLockTableName, workgroupName } from '../../lambdas/core/aws-names';
import type { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { functionEnvironment } from '../../lambdas/core/function-environment';
import type { ProjectColumnLineage } from '../../lambdas/core/lineage/graph';
import { jobsOf, type ByStateMachine } from '../../lambdas/core/orchestration';
import { taskNames, type TaskName } from '../../lambdas/core/tasks';
import { CostAlerts } from '../constructs/cost-alerts';
import { grantMskConsumer, grantQueueSend } from '../constructs/grants';
import { lakeBuckets } from '../constructs/lake-bucket';
import { pascal } from '../names';
import { Monitoring } from '../constructs/monitoring';
import { Orchestration } from '../constructs/orchestration';
import { RunLockTable } from '../constructs/run-lock-table';
import { RunRecording } from '../constructs/run-recording';
import { TaskFunctions } from '../constructs/task-functions';
import { grantTask } from '../constructs/task-grants';

export interface PipelineStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly key: kms.IKey;
  /** The models' column lineage, derived from their SQL here so the transform bundle needs no SQL parser. */
  readonly columnLineage: ProjectColumnLineage;
  /** The access policy's persona databases, whose views the catalog sync defines (none without a policy). */
  readonly personaDatabases: readonly string[];
  /** The contracts: the silver and gold datasets the alarms and dashboard watch. */
  readonly contracts: ContractRegistry;
}

/**
 * Compute: one Lambda function per task of the catalogue (`lambdas/core/tasks.ts`), each granted
 * what its entry in `task-grants.ts` says; the state machines with their schedules and starting
 * events; the recording of every run; the failure topic; MSK delivery.
 */
export class PipelineStack extends Stack {
  readonly functions: Record<TaskName, lambda.IFunction>;
  readonly stateMachines: ByStateMachine<sfn.StateMachine>;
  readonly failureTopic: sns.Topic;
  /**
   * Schedules and landing batches that could not start a run, run events that could not be
   * recorded, MSK batches the Kafka function kept failing on.
   */
  readonly deadLetters: sqs.Queue;
  /** One run at a time per lake, on AWS as locally. */
  readonly runLock: RunLockTable;
  /** The cost topic, anomaly monitor and budget, and the weekly report's and optimizer's schedules. */
  readonly costAlerts: CostAlerts;
  /** Alarms to the failure topic and the platform team's dashboard. */
  readonly monitoring: Monitoring;

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
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.runLock = new RunLockTable(this, 'RunLock', {
      tableName: runLockTableName(config.project, config.env),
      key,
      removalPolicy,
    });
    const { functions } = new TaskFunctions(this, 'Functions', {
      environment: functionEnvironment({
        MEDALLION_ENV: config.env,
        MEDALLION_ACCOUNT: this.account,
        MEDALLION_BUCKETS: Object.fromEntries(
          Object.entries(buckets).map(([role, bucket]) => [role, bucket.bucketName]),
        ) as Record<keyof typeof buckets, string>,
        MEDALLION_WORKGROUP: workgroupName(config.project, config.env, 'engineering'),
        MEDALLION_FAILURE_TOPIC_ARN: this.failureTopic.topicArn,
        MEDALLION_RUN_LOCK_TABLE: runLockTableName(config.project, config.env),
        POWERTOOLS_METRICS_NAMESPACE: `${config.project}-${config.env}`,
      }),
      columnLineage: props.columnLineage,
      removalPolicy,
      logRetention,
      logEncryptionKey: key,
    });
    this.functions = functions;
    this.costAlerts = new CostAlerts(this, 'Cost', { config, key });
    this.costAlerts.schedule(functions.CostReport, config, Object.values(functions));
    const grantContext = {
      stack: this,
      config,
      key,
      buckets,
      failureTopic: this.failureTopic,
      costTopic: this.costAlerts.topic,
      runLock: this.runLock,
      personaDatabases: props.personaDatabases,
    };
    for (const task of taskNames) grantTask(task, functions[task], grantContext);

    const { stateMachines } = new Orchestration(this, 'Orchestration', {
      config,
      functions,
      landingStarter: functions.StartLanding,
      key,
      landing: buckets.landing,
      failureTopic: this.failureTopic,
      deadLetters: this.deadLetters,
      removalPolicy,
      logRetention,
    });
    this.stateMachines = stateMachines;
    this.costAlerts.scheduleOptimizer(
      functions.CostOptimizer,
      config,
      Object.values(functions),
      Object.values(stateMachines),
    );
    new RunRecording(this, 'RunRecording', {
      // Pipeline runs only: an erase keeps its own record, the request log (`handlers/dsr-erase.ts`).
      stateMachines: jobsOf(config.sources).map((job) => stateMachines[job]!),
      recorder: functions.RecordRun,
      deadLetters: this.deadLetters,
      key,
    });
    this.kafkaDelivery(config, functions.KafkaEvents, key);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      config,
      contracts: props.contracts,
      functions,
      stateMachines,
      deadLetters: this.deadLetters,
      topic: this.failureTopic,
    });
  }

  /**
   * With `eventSourceMapping: true`, MSK delivers each topic's batches to the Kafka handler, in a
   * consumer group of its own named after the environment and topic (Lambda requires one group
   * per mapping; a name given here lets the grant name its ARN), with batches that keep failing
   * sent to the dead-letter queue. Network prerequisites: docs/aws-prerequisites.md.
   * https://docs.aws.amazon.com/lambda/latest/dg/with-msk-process.html#services-msk-consumer-group-id
   */
  private kafkaDelivery(config: PlatformConfig, target: lambda.IFunction, key: kms.IKey): void {
    for (const [name, source] of Object.entries(config.sources)) {
      if (source.kind !== 'kafka' || !source.eventSourceMapping) continue;
      const consumers = Object.values(source.datasets).map((d) => ({
        topic: d.topic,
        group: `${config.project}-${config.env}-${name}-${d.topic}`,
      }));
      for (const { topic, group } of consumers) {
        target.addEventSourceMapping(`${pascal(name)}${pascal(topic)}Mapping`, {
          eventSourceArn: source.mskClusterArn!,
          kafkaTopic: topic,
          kafkaConsumerGroupId: group,
          batchSize: source.batchSize,
          // TRIM_HORIZON: a new mapping reads what the topic still retains; offsets dedupe the rest.
          startingPosition: lambda.StartingPosition.TRIM_HORIZON,
          // Granted below with exact actions (SqsDlq would grant kms:GenerateDataKey* and ReEncrypt*).
          onFailure: { bind: () => ({ destination: this.deadLetters.queueArn }) },
        });
      }
      grantMskConsumer(target, { clusterArn: source.mskClusterArn!, consumers });
      grantQueueSend(target, this.deadLetters, key);
    }
  }
}
