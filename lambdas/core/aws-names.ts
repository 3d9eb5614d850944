/**
 * Names of AWS resources that code and infrastructure must agree on, derived from config in one
 * place: the CDK stacks create them, the Lambda adapters address them.
 */

/** Logical schemas of the lake, each a Glue database on AWS. */
export const lakeSchemas = [
  'bronze',
  'silver',
  'gold',
  'quarantine',
  'audit',
  'changelog',
  'seeds',
  'scratch',
] as const;
export type LakeSchema = (typeof lakeSchemas)[number];

/** `medallion_dev_silver`: Glue database names allow lower case, digits and underscores only. */
export function glueDatabaseName(project: string, env: string, schema: LakeSchema): string {
  return `${project}_${env}_${schema}`;
}

/** The lake's buckets by role; `bucketName` spells each one's physical name, which functions get in MEDALLION_BUCKETS. */
export const bucketRoles = [
  'landing',
  'bronze',
  'silver',
  'gold',
  'quarantine',
  'audit',
  'athenaResults',
  'reports',
] as const;
export type BucketRole = (typeof bucketRoles)[number];

/** Where each logical schema's tables live: bucket role and key prefix. */
export const schemaLocations: Record<LakeSchema, { bucket: BucketRole; prefix: string }> = {
  bronze: { bucket: 'bronze', prefix: '' },
  silver: { bucket: 'silver', prefix: '' },
  gold: { bucket: 'gold', prefix: '' },
  quarantine: { bucket: 'quarantine', prefix: '' },
  audit: { bucket: 'audit', prefix: 'tables/' },
  changelog: { bucket: 'audit', prefix: 'changelog/' },
  seeds: { bucket: 'silver', prefix: '_seeds/' },
  scratch: { bucket: 'athenaResults', prefix: 'scratch/' },
};

/** Athena workgroup names for the two personas. */
export function workgroupName(
  project: string,
  env: string,
  persona: 'engineering' | 'auditors',
): string {
  return `${project}-${env}-${persona}`;
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
