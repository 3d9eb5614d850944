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
import { stateMachineAlias, stateMachineName } from '../../lambdas/core/aws-names';
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
 *
 * Each state machine publishes a version of every definition deployed, and its alias
 * (`stateMachineAlias`) routes every start to the latest: a run started through the alias keeps
 * its version's definition to the end while a deploy changes the state machine under it. The
 * schedules and the landing starter start the alias, and may start nothing else.
 */
export class Orchestration extends Construct {
  /** Every job's, and the on-demand ones' (`dsr_erase`, started by the privacy officer). */
  readonly stateMachines: ByStateMachine<sfn.StateMachine>;
  /** The ARN of each state machine's alias, the one to start it by. */
  readonly aliasArns: ByStateMachine<string>;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const definitions = stateMachineDefinitions(repositoryRoot, props.config);
    this.stateMachines = Object.fromEntries(
      stateMachineJobsOf(props.config.sources).map((job) => [
        job,
        this.stateMachine(job, definitions.get(job)!, props),
      ]),
    ) as ByStateMachine<sfn.StateMachine>;
    this.aliasArns = Object.fromEntries(
      stateMachineJobsOf(props.config.sources).map((job) => [
        job,
        this.publish(job, this.stateMachines[job]!),
      ]),
    ) as ByStateMachine<string>;
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

  /**
   * A version of the state machine's current definition, and the alias routing all starts to it.
   * The version names the revision CloudFormation just deployed (`StateMachineRevisionId`), a
   * property whose change replaces it: each deploy that changes the definition publishes a new
   * version and moves the alias, and the replaced version goes (its runs in flight go on).
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachineversion.html
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DeleteStateMachineVersion.html
   */
  private publish(job: StateMachineJob, machine: sfn.StateMachine): string {
    const name = pascal(job);
    const version = new sfn.CfnStateMachineVersion(this, `${name}Version`, {
      stateMachineArn: machine.stateMachineArn,
      stateMachineRevisionId: (machine.node.defaultChild as sfn.CfnStateMachine)
        .attrStateMachineRevisionId,
      description: `${job} as last deployed.`,
    });
    const alias = new sfn.CfnStateMachineAlias(this, `${name}Alias`, {
      name: stateMachineAlias,
      description: `Starts ${job} on its latest version.`,
      routingConfiguration: [{ stateMachineVersionArn: version.attrArn, weight: 100 }],
    });
    return alias.attrArn;
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
        target: new AliasStartExecution(
          machine,
          (this.aliasArns as Readonly<Record<string, string>>)[job]!,
          {
            role,
            input: scheduler.ScheduleTargetInput.fromObject({}),
            deadLetterQueue: deadLetters,
            retryAttempts: pipeline.retry.maximumRetryAttempts,
            maxEventAge: Duration.seconds(pipeline.retry.maximumEventAgeSeconds),
          },
        ),
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
    landingStarter.addEnvironment(
      'MEDALLION_LANDING_STATE_MACHINE_ARN',
      this.aliasArns.landing_to_bronze,
    );
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
    grantStartThroughAlias(landingStarter, machine);
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

/**
 * `states:StartExecution` of a state machine through its alias only. IAM authorizes a start by
 * alias or version on the state machine's own ARN, the qualifier being the
 * `states:StateMachineQualifier` condition key (StartExecution's only resource type is the
 * state machine). The key is multivalued (ArrayOfString), hence `ForAnyValue:`, which an
 * unqualified start, without the key, does not satisfy.
 * https://docs.aws.amazon.com/step-functions/latest/dg/auth-version-alias.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
 */
export function grantStartThroughAlias(grantee: iam.IGrantable, machine: sfn.IStateMachine): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['states:StartExecution'],
      resources: [machine.stateMachineArn],
      conditions: {
        'ForAnyValue:StringEquals': { 'states:StateMachineQualifier': stateMachineAlias },
      },
    }),
  );
}

/**
 * A schedule starting a state machine's alias: Scheduler's StartExecution target, whose ARN may
 * be qualified, granted with {@link grantStartThroughAlias} (CDK's own target grants the
 * unqualified state machine, which would allow starts that bypass the alias).
 */
class AliasStartExecution extends schedulerTargets.ScheduleTargetBase {
  constructor(
    private readonly machine: sfn.IStateMachine,
    aliasArn: string,
    props: schedulerTargets.ScheduleTargetBaseProps,
  ) {
    super(props, aliasArn);
  }

  protected addTargetActionToRole(role: iam.IRole): void {
    grantStartThroughAlias(role, this.machine);
  }
}
