import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PlatformConfig } from '../../config/schema';
import { parseConfig } from '../../lambdas/core/config';
import type { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { createLineage, type LineageEmitter } from '../../lambdas/core/lineage/events';
import type { ProjectColumnLineage } from '../../lambdas/core/lineage/graph';
import { LineageLog } from '../../lambdas/core/lineage/log';
import type { Clock } from '../../lambdas/core/ports';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { silentLogger } from './clock';
import { MemoryObjectStore } from './memory-store';

/** The local config as the repository defines it. */
export function localConfig(): PlatformConfig {
  const file = path.join(projectRoot, 'config', 'local.yaml');
  return parseConfig(readFileSync(file, 'utf8'), file);
}

/** A lineage emitter keeping its events in memory: `log.list()` reads them back. */
export function memoryLineage(
  contracts: ContractRegistry,
  options: {
    clock?: Pick<Clock, 'now'>;
    config?: PlatformConfig;
    columnLineage?: ProjectColumnLineage;
  } = {},
): { lineage: LineageEmitter; log: LineageLog; store: MemoryObjectStore } {
  const store = new MemoryObjectStore();
  const lineage = createLineage({
    config: options.config ?? localConfig(),
    contracts,
    store,
    storage: (role) => ({ namespace: 'file', root: `/lake/${role}/` }),
    region: 'us-east-1',
    account: '000000000000',
    columnLineage: options.columnLineage ?? {},
    http: {
      get: () => Promise.reject(new Error('no HTTP in this test')),
      post: () => Promise.reject(new Error('no HTTP in this test')),
    },
    clock: options.clock ?? { now: () => new Date() },
    logger: silentLogger,
  });
  return { lineage, log: new LineageLog(store), store };
}
