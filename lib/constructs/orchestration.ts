import { Duration, Stack, TimeZone, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../../config/schema';
import { stateMachineName } from '../../lambdas/core/aws-names';
import {
  onDemandJobs,
  placeholders,
  stateMachineJobsOf,
  type ByStateMachine,
  type StateMachineJob,
} from '../../lambdas/core/orchestration';
import { stateMachineDefinitions } from '../../lambdas/definitions/state-machine-files';
import { taskOfPlaceholder, tasks, type TaskName } from '../../lambdas/core/tasks';
import { pascal } from '../names';
import { tagCost } from './cost-alerts';
import { grantQueueSend } from './grants';
import { repositoryRoot } from './platform-function';

export interface OrchestrationProps {
  readonly config: PlatformConfig;
  readonly functions: Readonly<Record<TaskName, lambda.IFunction>>;
  /** The StartLanding task's function, fed batches of landing-file events. */
  readonly landingStarter: lambda.Function;
  readonly key: kms.IKey;
  readonly landing: s3.IBucket;
  readonly failureTopic: sns.ITopic;
  /** Where schedules and landing batches put the starts they could not make. */
  readonly deadLetters: sqs.IQueue;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The state machines of the config's jobs (`lambdas/definitions/state-machine-files.ts`), each Task's placeholder resolved to the
 * catalogue task's function, with the schedules and events that start them and the alert for
 * runs that end badly outside a Catch.
 */
export class Orchestration extends Construct {
  /** Every job's, and the on-demand ones' (`dsr_erase`, started by the privacy officer). */
  readonly stateMachines: ByStateMachine<sfn.StateMachine>;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const definitions = stateMachineDefinitions(repositoryRoot, props.config);
    this.stateMachines = Object.fromEntries(
      stateMachineJobsOf(props.config.sources).map((job) => [
        job,
        this.stateMachine(job, definitions.get(job)!, props),
      ]),
    ) as ByStateMachine<sfn.StateMachine>;
    this.schedules(props);
    this.landingBatches(props);
    this.alerts(props);
  }

  /** One state machine per job, its `${...}` placeholders resolved to the tasks' functions. */
  private stateMachine(
    job: StateMachineJob,
    definition: string,
    props: OrchestrationProps,
  ): sfn.StateMachine {
    const { config, functions } = props;
    const used = placeholders(definition);
    const unknown = used.filter((p) => taskOfPlaceholder(p) === undefined);
    if (unknown.length > 0)
      throw new Error(
        `state machine ${job} uses ${unknown.join(', ')}, which no task of lambdas/core/tasks.ts answers`,
      );
    const invoked = used.map((p) => functions[taskOfPlaceholder(p)!]);
    const name = pascal(job);
    const machine = new sfn.StateMachine(this, `${name}StateMachine`, {
      stateMachineName: stateMachineName(config.project, config.env, job),
      // Inline, minified: built from config, there is no file to upload as an asset.
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(JSON.parse(definition))),
      definitionSubstitutions: Object.fromEntries(
        used.map((p) => [p, functions[taskOfPlaceholder(p)!].functionArn]),
      ),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, `${name}Logs`, {
          retention: props.logRetention,
          removalPolicy: props.removalPolicy,
          encryptionKey: props.key,
        }),
        level: sfn.LogLevel.ALL,
        // An erase's input names the person erased: its log keeps the events, not the data.
        includeExecutionData: !(onDemandJobs as readonly string[]).includes(job),
      },
    });
    tagCost(machine, { pipeline: job });
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: invoked.map((fn) => fn.functionArn),
      }),
    );
    return machine;
  }

  /** EventBridge Scheduler schedules from config, with retries and a dead-letter queue. */
  private schedules({ config, key, deadLetters }: OrchestrationProps): void {
    const scheduled = Object.entries(config.pipelines).filter(([, p]) => p.schedule);
    if (scheduled.length === 0) return;
    // One role for the schedules, so that it may also encrypt into the dead-letter queue (CDK's
    // own grants sqs:SendMessage only, and the queue is KMS-encrypted).
    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description:
        'EventBridge Scheduler: starts the scheduled pipelines, dead-letters what it cannot start.',
    });
    grantQueueSend(role, deadLetters, key);
    for (const [job, pipeline] of scheduled) {
      const machine = (this.stateMachines as Readonly<Record<string, sfn.StateMachine>>)[job];
      if (!machine)
        throw new Error(
          `config pipelines.${job}: no job ${job} to schedule (jobs: ${Object.keys(this.stateMachines).join(', ')})`,
        );
      new scheduler.Schedule(this, `${pascal(job)}Schedule`, {
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
          role,
          input: scheduler.ScheduleTargetInput.fromObject({}),
          deadLetterQueue: deadLetters,
          retryAttempts: pipeline.retry.maximumRetryAttempts,
          maxEventAge: Duration.seconds(pipeline.retry.maximumEventAgeSeconds),
        }),
      });
    }
  }

  /**
   * Landing files are batched, so a burst of N files starts one landing_to_bronze run, not N:
   * EventBridge puts each "Object Created" event on a queue (encrypted with the lake key, dead
   * letters after 5 receives), and the StartLanding function, fed batches gathered over up to a
   * minute, starts one run per batch. The run ingests every file pending in the landing zone;
   * runs that still meet take turns through the run lock.
   */
  private landingBatches({ landing, key, deadLetters, landingStarter }: OrchestrationProps): void {
    const machine = this.stateMachines.landing_to_bronze;
    const queue = new sqs.Queue(this, 'LandingEvents', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      // Lambda's advice for an SQS event source: six times the function's timeout.
      visibilityTimeout: Duration.seconds(6 * tasks.StartLanding.timeoutSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    const rule = new events.Rule(this, 'LandingFileRule', {
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
      // ReEncrypt* and GenerateDataKey* on the lake key for any rule. The queue policy below
      // allows this rule alone; the key policy this account's rules (allowEventBridgeToUseKey).
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
    // Only the starter knows the state machine: the task functions it runs cannot depend on it.
    landingStarter.addEnvironment('MEDALLION_LANDING_STATE_MACHINE_ARN', machine.stateMachineArn);
    landingStarter.addEventSourceMapping('LandingEventsMapping', {
      eventSourceArn: queue.queueArn,
      batchSize: 1000,
      maxBatchingWindow: Duration.minutes(1),
      // The fewest pollers Lambda allows; runs that still overlap wait on the run lock.
      maxConcurrency: 2,
    });
    // What the mapping does as the function's role, granted with AWS's documented actions
    // (SqsEventSource would also grant ChangeMessageVisibility and GetQueueUrl, which Lambda
    // does not call). https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    landingStarter.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        resources: [queue.queueArn],
      }),
    );
    landingStarter.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] }),
    );
    landingStarter.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [machine.stateMachineArn],
      }),
    );
  }

  /**
   * Runs ending badly outside a Catch (timeouts, aborts) reach the failure topic (failures inside
   * a run notify by themselves).
   */
  private alerts({ config, failureTopic }: OrchestrationProps): void {
    const endedBadly = new events.Rule(this, 'RunEndedBadlyRule', {
      description:
        'A run that timed out or was aborted (failures inside a run notify by themselves).',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['TIMED_OUT', 'ABORTED'],
          stateMachineArn: Object.values(this.stateMachines).map((m) => m.stateMachineArn),
        },
      },
    });
    // The topic as a target without CDK's SnsTopic, which grants events.amazonaws.com the key
    // with no condition: the topic policy names this rule, the key policy this account's rules
    // (StorageStack, allowEventBridgeToUseKey).
    endedBadly.addTarget({
      bind: () => ({
        arn: failureTopic.topicArn,
        input: events.RuleTargetInput.fromText(
          `${config.project} ${config.env}: run ${events.EventField.fromPath('$.detail.name')} of ${events.EventField.fromPath('$.detail.stateMachineArn')} ended ${events.EventField.fromPath('$.detail.status')}`,
        ),
      }),
    });
    failureTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [failureTopic.topicArn],
        conditions: { ArnEquals: { 'aws:SourceArn': endedBadly.ruleArn } },
      }),
    );
  }
}
