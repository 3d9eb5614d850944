/**
 * Names of AWS resources that code and infrastructure must agree on, derived from config in one
 * place: the CDK stacks create them, the Lambda adapters address them.
 */
import type { BucketRole, LakeSchema } from '../../config/layout';

export {
  bucketRoles,
  lakeSchemas,
  schemaLocations,
  type BucketRole,
  type LakeSchema,
} from '../../config/layout';

/** `medallion_dev_silver`: Glue database names allow lower case, digits and underscores only. */
export function glueDatabaseName(project: string, env: string, schema: LakeSchema): string {
  return `${project}_${env}_${schema}`;
}

/**
 * A persona's own database for one layer, holding the views it queries on AWS:
 * `medallion_prod_auditor_gold.customer_360` serves what `medallion_prod_gold.customer_360` holds,
 * as the access policy lets the auditor read it (`core/access/persona-views.ts`).
 */
export function personaDatabaseName(
  project: string,
  env: string,
  persona: string,
  schema: LakeSchema,
): string {
  return `${project}_${env}_${persona}_${schema}`;
}

/**
 * An Athena workgroup's name: `engineering` (the pipeline's), `auditors` (the audit queries'), and
 * each workgroup the access policy gives a persona.
 */
export function workgroupName(project: string, env: string, workgroup: string): string {
  return `${project}-${env}-${workgroup}`;
}

/** The CloudTrail trail recording who read and changed the lake: `medallion-prod-lake-access`. */
export function trailName(project: string, env: string): string {
  return `${project}-${env}-lake-access`;
}

/**
 * A lake bucket's name, fixed by convention so every stack (and every auditor) can address it
 * without cross-stack references: `medallion-prod-bronze-123456789012-eu-west-1`. Account and
 * region may be CloudFormation tokens when config leaves them out.
 */
export function bucketName(
  project: string,
  env: string,
  role: BucketRole | 'accessLogs',
  account: string,
  region: string,
): string {
  const kebab = role.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return `${project}-${env}-${kebab}-${account}-${region}`;
}

/** A job's state machine name: `medallion-prod-bronze-to-silver`. */
export function stateMachineName(project: string, env: string, job: string): string {
  return `${project}-${env}-${job.replaceAll('_', '-')}`;
}

/**
 * The alias every start of a state machine on AWS goes through (schedules, landing batches, people):
 * it routes to the version published from the definition last deployed, so a run keeps the
 * definition it started with while a deploy publishes the next.
 */
export const stateMachineAlias = 'live';

/**
 * The audit database's table over the weekly cost reports' CSV in the reports bucket: a
 * platform report, not a lake table, granted whole by the Access stack (`reports:` in the policy)
 * and left alone by the run-time access sync.
 */
export const costReportsTable = 'cost_reports';

/** The DynamoDB table holding the lake's run lock: named, so functions learn it from config. */
export function runLockTableName(project: string, env: string): string {
  return `${project}-${env}-run-lock`;
}

/**
 * A persona's IAM role name, fixed so the catalog sync (Pipeline stack) can grant to the role
 * the Access stack creates after it: `medallion-prod-persona-analyst`.
 */
export function personaRoleName(project: string, env: string, persona: string): string {
  return `${project}-${env}-persona-${persona}`;
}

/**
 * A standard workflow's execution ARN: the state machine's, with `execution` for `stateMachine`
 * and the execution name after it.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html#awsstepfunctions-resources-for-iam-policies
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
