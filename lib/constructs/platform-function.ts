import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Folder holding package.json, `lambdas/`, `config/` and `models/`. */
export const repositoryRoot = path.resolve(import.meta.dirname, '../..');

/**
 * How esbuild bundles every function: minified ESM for Node.js 24, preferring ES modules so
 * unused exports shake out, with `require` provided for the CommonJS dependencies that call it.
 * The AWS SDK is bundled (see PlatformFunction), its credential chain reduced to the environment
 * variables Lambda sets (see `lambdas/functions/platform/env-credentials.ts`).
 */
export const functionBundling = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  mainFields: ['module', 'main'],
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  alias: {
    '@aws-sdk/credential-provider-node': path.join(
      repositoryRoot,
      'lambdas/functions/platform/env-credentials.ts',
    ),
  },
} as const;

export interface PlatformFunctionProps {
  /** The function's entry file under `lambdas/functions/`, without extension. */
  readonly entry: string;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Sized per function in the task catalogue (`lambdas/core/tasks.ts`). */
  readonly timeout: Duration;
  readonly memorySize: number;
  /**
   * The declarative definitions the handler loads at cold start, copied into the bundle: `sources`
   * is config and contracts, `project` adds the SQL models and seeds.
   */
  readonly definitions: 'none' | 'sources' | 'project';
  /** Files derived at synth time to put in the bundle, by name: `{ 'lineage.json': '...' }`. */
  readonly files?: Readonly<Record<string, string>>;
  /** At most this many concurrent invocations. @default unreserved */
  readonly reservedConcurrency?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Encrypts the function's log group, whose error messages may quote the data being processed.
   * The key's policy must let CloudWatch Logs use it for this log group
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
   */
  readonly logEncryptionKey: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A Lambda function of the platform: Node.js 24 on arm64, bundled locally by esbuild (no Docker)
 * as minified ESM, X-Ray tracing on, its own KMS-encrypted log group.
 *
 * The AWS SDK is bundled rather than taken from the runtime. Measured on this project's functions
 * (docs/deploying.md): bundled, every function is at most 988 KiB and imports in 72–141 ms;
 * with the runtime's SDK they are 244–551 KiB but import in 82–171 ms, because the runtime's
 * SDK loads as many unminified CommonJS files. Bundling also pins the SDK version the tests ran
 * against.
 */
export class PlatformFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logEncryptionKey,
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
      memorySize: props.memorySize,
      timeout: props.timeout,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logGroup,
      role: this.role,
      environment: { ...props.environment, POWERTOOLS_SERVICE_NAME: props.entry },
      projectRoot: repositoryRoot,
      depsLockFilePath: path.join(repositoryRoot, 'package-lock.json'),
      bundling: {
        ...functionBundling,
        mainFields: [...functionBundling.mainFields],
        esbuildArgs: Object.fromEntries(
          Object.entries(functionBundling.alias).map(([from, to]) => [`--alias:${from}`, to]),
        ),
        bundleAwsSDK: true,
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            ...definitionCopyCommands(props.definitions, inputDir, outputDir),
            ...fileCopyCommands(props.files ?? {}, outputDir),
          ],
        },
      },
    });
  }
}

/** Shell commands copying synth-time files into the bundle, written first to a folder of their own. */
function fileCopyCommands(files: Readonly<Record<string, string>>, outputDir: string): string[] {
  const names = Object.keys(files);
  if (names.length === 0) return [];
  const folder = mkdtempSync(path.join(os.tmpdir(), 'medallion-bundle-'));
  return names.map((name) => {
    writeFileSync(path.join(folder, name), files[name]!);
    return `cp "${path.join(folder, name)}" "${outputDir}/${name}"`;
  });
}

/** Shell commands copying the declarative definitions a handler loads at cold start. */
function definitionCopyCommands(
  definitions: PlatformFunctionProps['definitions'],
  inputDir: string,
  outputDir: string,
): string[] {
  if (definitions === 'none') return [];
  const sources = [
    `mkdir -p "${outputDir}/config/contracts"`,
    `cp "${inputDir}"/config/*.yaml "${outputDir}/config/"`,
    `cp "${inputDir}"/config/contracts/*.yaml "${outputDir}/config/contracts/"`,
  ];
  if (definitions === 'sources') return sources;
  return [
    ...sources,
    `mkdir -p "${outputDir}/models"`,
    `cp -r "${inputDir}/models/silver" "${inputDir}/models/gold" "${inputDir}/models/seeds" "${outputDir}/models/"`,
    // Model unit tests (`medallion test`) run before a deploy, never in a function.
    `rm -f "${outputDir}"/models/*/*.test.yml`,
  ];
}
