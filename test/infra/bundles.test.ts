import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { taskNames, tasks } from '../../lambdas/core/tasks';
import { functionBundling } from '../../lib/constructs/platform-function';
import { repositoryRoot } from '../helpers/cdk';

/**
 * Every task's function, the Lake Formation settings custom resource's (Access stack) and the
 * restore validation and catalog export and restore functions (Backup stack).
 */
const entries = [
  ...taskNames.map((task) => tasks[task].entry),
  'lake-formation-settings',
  'restore-validation',
  'catalog-export',
  'catalog-restore',
];

/** One function bundled as `cdk synth` bundles it, in memory. */
async function bundle(entry: string) {
  const result = await build({
    entryPoints: [path.join(repositoryRoot, 'lambdas', 'functions', `${entry}.ts`)],
    bundle: true,
    platform: 'node',
    format: functionBundling.format,
    target: functionBundling.target,
    minify: functionBundling.minify,
    mainFields: [...functionBundling.mainFields],
    banner: { js: functionBundling.banner },
    alias: functionBundling.alias,
    write: false,
    metafile: true,
    outfile: 'index.mjs',
    logLevel: 'silent',
  });
  const packages = new Set(
    Object.keys(result.metafile.inputs).flatMap(
      (file) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? [],
    ),
  );
  return { bytes: result.outputFiles[0]!.contents.byteLength, packages };
}

describe('Lambda bundles', () => {
  it.each(entries)('%s is at most 1 MiB minified, AWS SDK included', async (entry) => {
    const { bytes, packages } = await bundle(entry);
    expect(bytes).toBeLessThanOrEqual(1024 * 1024);
    // Nothing meant for the local runtime or the CDK app finds its way into a function.
    for (const local of ['@duckdb/node-api', 'aws-cdk-lib', 'aws-local-stepfunctions', 'commander'])
      expect(packages.has(local), local).toBe(false);
    // Lambda's credentials are in its environment: the SDK's other providers stay out.
    expect(packages.has('@aws-sdk/credential-provider-sso')).toBe(false);
    expect(packages.has('@aws-sdk/credential-provider-env')).toBe(true);
    // Only the transform renders SQL templates.
    expect(packages.has('nunjucks')).toBe(entry === 'transform');
  });
});
