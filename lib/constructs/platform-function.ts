import path from 'node:path';
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Folder holding package.json, `lambdas/`, `config/` and `models/`. */
export const repositoryRoot = path.resolve(import.meta.dirname, '../..');

export interface PlatformFunctionProps {
  /** The function's entry file under `lambdas/functions/`, without extension. */
  readonly entry: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  /** @default Duration.minutes(15), the Lambda maximum: ingestion and transforms are long. */
  readonly timeout?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /** Copy config, contracts, models and seeds into the bundle for the handler to load. @default true */
  readonly bundleDefinitions?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A Lambda function of the platform: Node.js 24 on arm64, bundled locally by esbuild (no Docker)
 * as minified ESM, X-Ray tracing on, its own log group.
 *
 * The AWS SDK is bundled rather than taken from the runtime: measured with this project's
 * handlers, bundling only the clients a function uses adds little to a minified bundle while
 * pinning the SDK version the tests ran against; see the figures in README.md (Deploying).
 */
export class PlatformFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    // Its own role rather than AWSLambdaBasicExecutionRole: it may write to its log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.entry}: ${props.description}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(repositoryRoot, 'lambdas', 'functions', `${props.entry}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(15),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role: this.role,
      environment: { ...props.environment, POWERTOOLS_SERVICE_NAME: props.entry },
      projectRoot: repositoryRoot,
      depsLockFilePath: path.join(repositoryRoot, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        mainFields: ['module', 'main'],
        bundleAwsSDK: true,
        forceDockerBundling: false,
        banner:
          "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) =>
            (props.bundleDefinitions ?? true) ? definitionCopyCommands(inputDir, outputDir) : [],
        },
      },
    });
  }
}

/** Shell commands copying the declarative definitions a handler loads at cold start. */
function definitionCopyCommands(inputDir: string, outputDir: string): string[] {
  return [
    `mkdir -p "${outputDir}/config/contracts" "${outputDir}/models"`,
    `cp "${inputDir}"/config/*.yaml "${outputDir}/config/"`,
    `cp "${inputDir}"/config/contracts/*.yaml "${outputDir}/config/contracts/"`,
    `cp -r "${inputDir}/models/silver" "${inputDir}/models/gold" "${inputDir}/models/seeds" "${outputDir}/models/"`,
  ];
}
