import { AsyncLocalStorage } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { loadProject } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { runJob } from '../../lambdas/runtime/runner';
import { progressLogger } from '../../lambdas/runtime/cli/output';
import type { SqlEngine } from '../../lambdas/core/ports';

const lakeRoot = process.argv[2]!;
const dates = process.argv.slice(3);
const loaded = await loadProject({ root: projectRoot });
const project = { ...loaded, config: { ...loaded.config, simulators: { ...loaded.config.simulators, retryAfterSeconds: 0, serverErrorRate: 0 } } };
const step = new AsyncLocalStorage<string>();
const log: { date: string; step: string; kind: string; ms: number; sql: string }[] = [];
let day = '';
const wrap = (e: SqlEngine): SqlEngine => {
  const timed = async <T>(kind: string, sql: string, f: () => Promise<T>) => {
    const s = performance.now();
    try { return await f(); } finally { log.push({ date: day, step: step.getStore() ?? '?', kind, ms: performance.now() - s, sql: sql.replace(/\s+/g, ' ').slice(0, 260) }); }
  };
  return {
    get dialect() { return e.dialect; },
    execute: (sql) => timed('exec', sql, () => e.execute(sql)),
    query: (sql) => timed('query', sql, () => e.query(sql)) as never,
    refreshSources: () => timed('refresh', '', () => e.refreshSources()),
    transaction: (w) => timed('tx', 'TRANSACTION', () => e.transaction(w)),
    relationExists: (r) => timed('exists', r, () => e.relationExists(r)),
    describe: (sql) => timed('describe', sql, () => e.describe(sql)),
  };
};
for (const date of dates) {
  day = date;
  const platform = await LocalPlatform.open(project, { lakeRoot, logger: { ...progressLogger, info: () => {} }, decorateEngine: wrap });
  const t = performance.now();
  const out = await runJob(platform, 'daily', { runDate: date, onTask: (ev) => { if (ev.phase === 'start') step.enterWith(`${ev.state}`); } });
  process.stderr.write(`${date} ${out.status} ${((performance.now() - t) / 1000).toFixed(2)}s\n`);
  await platform.close();
}
writeFileSync('/tmp/prof.json', JSON.stringify(log));
