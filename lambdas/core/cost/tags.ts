/**
 * Cost allocation tags: `project` and `environment` on every resource of the app, and these on
 * the resources they describe, so Cost Explorer can split the bill the way the platform is built.
 * Each must be activated in the Billing console before Cost Explorer groups by it (docs/cost.md).
 */
import type { BucketRole } from '../aws-names';

/** The tags the weekly report groups by, besides SERVICE. */
export const costAllocationTags = ['pipeline', 'layer', 'component'] as const;
export type CostAllocationTag = (typeof costAllocationTags)[number];

/** The buckets that hold a layer of the lake: their storage is that layer's cost. */
const layerBuckets: Partial<Record<BucketRole, string>> = {
  bronze: 'bronze',
  silver: 'silver',
  gold: 'gold',
  quarantine: 'quarantine',
};

/** A bucket's cost allocation tags: its layer, or the part of the platform it serves. */
export function bucketCostTags(
  role: BucketRole | 'accessLogs',
): Partial<Record<CostAllocationTag, string>> {
  const layer = role === 'accessLogs' ? undefined : layerBuckets[role];
  return layer ? { layer } : { component: role };
}
