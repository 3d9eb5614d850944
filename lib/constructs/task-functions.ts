import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ProjectColumnLineage } from '../../lambdas/core/lineage/graph';
import { taskNames, tasks, type TaskName } from '../../lambdas/core/tasks';
import { tagCost } from './cost-alerts';
import { PlatformFunction } from './platform-function';

export interface TaskFunctionsProps {
  /** Every function's environment, spelled by `functionEnvironment` from core. */
  readonly environment: Readonly<Record<string, string>>;
  /** The models' column lineage, derived from their SQL at synth so no bundle needs a SQL parser. */
  readonly columnLineage: ProjectColumnLineage;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  /** Encrypts the functions' log groups. */
  readonly logEncryptionKey: kms.IKey;
}

/** One Lambda function per task of the catalogue (`lambdas/core/tasks.ts`), sized as it says. */
export class TaskFunctions extends Construct {
  readonly functions: Record<TaskName, lambda.Function>;

  constructor(scope: Construct, id: string, props: TaskFunctionsProps) {
    super(scope, id);
    this.functions = Object.fromEntries(
      taskNames.map((task) => {
        const spec = tasks[task];
        const fn = new PlatformFunction(this, task, {
          entry: spec.entry,
          description: spec.description,
          definitions: spec.definitions,
          ...(spec.definitions === 'project'
            ? { files: { 'lineage.json': JSON.stringify(props.columnLineage) } }
            : {}),
          environment: props.environment,
          memorySize: spec.memoryMb,
          timeout: Duration.seconds(spec.timeoutSeconds),
          reservedConcurrency: 'reservedConcurrency' in spec ? spec.reservedConcurrency : undefined,
          removalPolicy: props.removalPolicy,
          logRetention: props.logRetention,
          logEncryptionKey: props.logEncryptionKey,
        });
        tagCost(fn, { component: spec.entry });
        return [task, fn.function];
      }),
    ) as Record<TaskName, lambda.Function>;
  }
}
