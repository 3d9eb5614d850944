import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../helpers/cdk';

/**
 * CloudFormation's quotas a first `cdk deploy` would otherwise meet: at most 500 resources in a
 * stack, and a template of at most 1 MB (uploaded to S3, as CDK does).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 * The Access stack grows with tables × personas and the Pipeline stack with datasets (alarms).
 */
const maxResources = 500;
const maxTemplateBytes = 1_000_000;

describe.each(['dev', 'prod'])('CloudFormation quotas (%s)', (env) => {
  it('every stack stays within the resource and template-size quotas', async () => {
    const { app, stacks, templates } = await synthesize(env);
    const used = Object.entries(stacks).map(([name, stack]) => ({
      name,
      resources: Object.keys(templates[name as keyof typeof templates].toJSON().Resources ?? {})
        .length,
      bytes: statSync(path.join(app.outdir, stack.templateFile)).size,
    }));
    for (const { name, resources, bytes } of used) {
      expect(resources, `${name}: resources`).toBeLessThanOrEqual(maxResources);
      expect(bytes, `${name}: template bytes`).toBeLessThanOrEqual(maxTemplateBytes);
    }
  });
});
