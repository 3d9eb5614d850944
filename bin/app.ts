/**
 * CDK entry: `npx cdk synth -c env=dev`. Loads config/<env>.yaml with its contracts and models,
 * exactly as the local runner does, and builds the stacks from them.
 */
import { App } from 'aws-cdk-lib';
import { loadProject } from '../lambdas/definitions/project-files';
import { loadAccessPolicy } from '../lambdas/definitions/source-files';
import { projectRoot } from '../lambdas/definitions/project-root';
import { createApp } from '../lib/app';

const app = new App();
const env = String(app.node.tryGetContext('env') ?? 'dev');
const project = await loadProject({ root: projectRoot, env });
createApp(app, { ...project, access: await loadAccessPolicy(project.root, env) });
app.synth();
