import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FetchHttpClient } from '../../adapters/http/fetch-client';
import { systemClock } from '../../adapters/system-clock';
import type { ContractRegistry } from '../../core/contracts/contract';
import { createLineage, type LineageEmitter } from '../../core/lineage/events';
import type { ProjectColumnLineage } from '../../core/lineage/graph';
import type { PlatformConfig } from '../../../config/schema';
import { logger } from '../lambda-handler';
import { lake } from './lake';
import { definitionsRoot, settings } from './settings';

/**
 * The function's OpenLineage emitter: events in the audit bucket under `lineage/`, datasets named
 * `s3://<bucket>` + key with their Glue tables (this account and region) as symlinks.
 * `columnLineage` is the models' (the transform's, from its bundle); other tasks have none.
 */
export function lineage(
  config: PlatformConfig,
  contracts: ContractRegistry,
  columnLineage: ProjectColumnLineage = {},
): LineageEmitter {
  const { MEDALLION_BUCKETS: buckets, MEDALLION_ACCOUNT: account, AWS_REGION: region } = settings();
  return createLineage({
    config,
    contracts,
    store: lake().store,
    storage: (role) => ({ namespace: `s3://${buckets[role]}`, root: '' }),
    region,
    account,
    columnLineage,
    http: new FetchHttpClient(),
    clock: systemClock,
    logger,
  });
}

/** The models' column lineage, derived from their SQL at synth time and bundled as `lineage.json`. */
export async function bundledColumnLineage(): Promise<ProjectColumnLineage> {
  const text = await readFile(path.join(definitionsRoot, 'lineage.json'), 'utf8');
  return JSON.parse(text) as ProjectColumnLineage;
}
