/**
 * CDK entry: `npx cdk synth -c env=dev`. Loads config/<env>.yaml with its contracts and models,
 * exactly as the local runner does, and builds the stacks from them. `-c env=delivery` builds
 * the delivery pipeline from config/delivery.yaml instead, with a stage per environment it names.
 * `-c commit=<sha>` makes every stack output the commit it was synthesized from.
 */
import { App } from 'aws-cdk-lib';
import { loadProject } from '../lambdas/definitions/project-files';
import { loadAccessPolicy, loadDeliveryConfig } from '../lambdas/definitions/source-files';
import { projectRoot } from '../lambdas/definitions/project-root';
import { createApp } from '../lib/app';
import { createDeliveryApp } from '../lib/delivery';

const app = new App();
const env = String(app.node.tryGetContext('env') ?? 'dev');
const definitions = async (env: string) => {
  const project = await loadProject({ root: projectRoot, env });
  return { ...project, access: await loadAccessPolicy(project.root, env) };
};
if (env === 'delivery') {
  const delivery = await loadDeliveryConfig(projectRoot);
  if (!delivery) throw new Error('No config/delivery.yaml: see docs/delivery.md');
  createDeliveryApp(
    app,
    delivery,
    await Promise.all(delivery.stages.map((s) => definitions(s.env))),
  );
} else {
  createApp(app, await definitions(env));
}
app.synth();
