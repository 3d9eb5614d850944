import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { DeliveryConfig } from '../config/schema';
import type { AppDefinitions } from './app';
import { pascal } from './names';
import { acknowledgeDeliveryFindings } from './nag';
import { DeliveryStack } from './stacks/delivery-stack';

/**
 * The delivery pipeline's app (`npx cdk synth -c env=delivery`): the Delivery stack, holding a
 * stage per environment of `delivery.stages` (each checked by cdk-nag as `createApp` checks it).
 * `environments` are the stages' definitions, in order.
 */
export function createDeliveryApp(
  app: App,
  delivery: DeliveryConfig,
  environments: readonly AppDefinitions[],
): DeliveryStack {
  const stack = new DeliveryStack(app, `${pascal(delivery.project)}-Delivery`, {
    env: delivery.aws,
    description: `${delivery.project}: the delivery pipeline (${delivery.repository}@${delivery.branch} → ${delivery.stages.map((s) => s.env).join(' → ')}).`,
    terminationProtection: true,
    delivery,
    environments,
  });
  acknowledgeDeliveryFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
  return stack;
}
