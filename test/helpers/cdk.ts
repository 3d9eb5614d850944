import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll } from 'vitest';
import type { AccessPolicy } from '../../lambdas/core/access/policy';
import { loadProject, type Project } from '../../lambdas/definitions/project-files';
import { loadAccessPolicy } from '../../lambdas/definitions/source-files';
import type { AccessStack } from '../../lib/stacks/access-stack';
import type { BackupStack } from '../../lib/stacks/backup-stack';
import { createApp, type MedallionStacks } from '../../lib/app';

export const repositoryRoot = path.resolve(import.meta.dirname, '../..');

/** Cloud assemblies of the importing test file, removed after its tests. */
const assemblies = mkdtempSync(path.join(os.tmpdir(), 'medallion-cdk-'));
afterAll(() => rmSync(assemblies, { recursive: true, force: true }));

/** The project as the CDK app gets it: with the access policy. */
export type ProjectWithAccess = Project & { readonly access: AccessPolicy };

export interface Synthesized {
  readonly project: ProjectWithAccess;
  readonly app: App;
  readonly stacks: Required<MedallionStacks>;
  readonly templates: Record<keyof MedallionStacks, Template>;
}

/**
 * A new app for `env` with cdk.json's context, as `cdk synth` builds it, except that functions
 * are not bundled (esbuild's output is tested by the bundle test, not by every template test).
 */
export async function newApp(env: string): Promise<{ app: App; project: ProjectWithAccess }> {
  const cdkJson = JSON.parse(readFileSync(path.join(repositoryRoot, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({
    outdir: mkdtempSync(path.join(assemblies, `${env}-`)),
    context: { ...cdkJson.context, env, 'aws:cdk:bundling-stacks': [] },
  });
  const project = await loadProject({ root: repositoryRoot, env });
  return { app, project: { ...project, access: (await loadAccessPolicy(repositoryRoot, env))! } };
}

const synthesized = new Map<string, Promise<Synthesized>>();

/** The synthesized app for `env`, cdk-nag included (a finding makes the synth throw). Cached per env. */
export function synthesize(env: string): Promise<Synthesized> {
  let result = synthesized.get(env);
  if (!result) {
    result = (async () => {
      const { app, project } = await newApp(env);
      const stacks = createApp(app, project) as Required<MedallionStacks>;
      const assembly = app.synth();
      const template = (stack: Required<MedallionStacks>[keyof MedallionStacks]) =>
        Template.fromJSON(assembly.getStackByName(stack.stackName).template as object);
      return {
        project,
        app,
        stacks,
        templates: {
          storage: template(stacks.storage),
          catalog: template(stacks.catalog),
          pipeline: template(stacks.pipeline),
          access: template(stacks.access as AccessStack),
          backup: template(stacks.backup as BackupStack),
        },
      };
    })();
    synthesized.set(env, result);
  }
  return result;
}
