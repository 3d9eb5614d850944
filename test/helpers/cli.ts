import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../lambdas/definitions/project-root';

/**
 * Output larger than this is a failure, not a silent cut: spawnSync's default `maxBuffer` (1 MiB)
 * truncates long JSON and reports nothing unless `error` is read.
 */
const maxOutputBytes = 256 * 1024 * 1024;

/**
 * The `medallion` CLI run as a user runs it, in a child process from the project root (or `root`,
 * a copy of the project), without colours; output is collected whole, and a run whose output
 * overflowed the buffer or could not start throws instead of returning partial output.
 */
export function medallionIn(
  root: string,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/medallion.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: maxOutputBytes,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOBUFS'
        ? `its output passed ${maxOutputBytes} bytes and was cut`
        : result.error.message;
    throw new Error(`medallion ${args.join(' ')}: ${reason}`, { cause: result.error });
  }
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** {@link medallionIn} the repository's own project. */
export function medallion(...args: string[]): {
  code: number | null;
  stdout: string;
  stderr: string;
} {
  return medallionIn(projectRoot, ...args);
}
