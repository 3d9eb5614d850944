import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../lambdas/definitions/project-root';

/**
 * The `medallion` CLI run as a user runs it, in a child process from the project root, without
 * colours; output is collected whole (up to 64 MiB, past spawnSync's 1 MiB default).
 */
export function medallion(...args: string[]): {
  code: number | null;
  stdout: string;
  stderr: string;
} {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/medallion.ts', ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
