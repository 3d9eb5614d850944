/**
 * The lake's layout: its logical schemas, its buckets, and where each schema's tables live. Plain
 * data that config validation (lifecycle rules must not expire live tables), the stacks and the
 * adapters share; the ground floor, like `schema.ts`.
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
