import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantQueueSend } from './grants';

export interface RunRecordingProps {
  readonly stateMachines: readonly sfn.IStateMachine[];
  /** The RecordRun task's function. */
  readonly recorder: lambda.IFunction;
  /** Where events that could not be recorded end up. */
  readonly deadLetters: sqs.IQueue;
  /** The dead-letter queue's key. */
  readonly key: kms.IKey;
}

/**
 * Every status change of every run, delivered to the RecordRun function, which writes
 * `audit.runs` and `audit.run_datasets` (see `lambdas/core/run-recorder.ts`). Delivery retries,
 * and what still fails lands in the dead-letter queue.
 */
export class RunRecording extends Construct {
  constructor(scope: Construct, id: string, props: RunRecordingProps) {
    super(scope, id);
    const { recorder, deadLetters, key } = props;
    const rule = new events.Rule(this, 'RunStatusRule', {
      description:
        'Every status change of every run, recorded in audit.runs and audit.run_datasets.',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: props.stateMachines.map((m) => m.stateMachineArn) },
      },
    });
    rule.addTarget(
      new eventTargets.LambdaFunction(recorder, {
        deadLetterQueue: deadLetters,
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      }),
    );
    // Delivered asynchronously: an invocation that keeps failing lands in the dead-letter queue.
    // Granted here with exact actions (SqsDestination would grant kms:GenerateDataKey* and ReEncrypt*).
    recorder.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: { bind: () => ({ destination: deadLetters.queueArn }) },
    });
    grantQueueSend(recorder, deadLetters, key);
  }
}
