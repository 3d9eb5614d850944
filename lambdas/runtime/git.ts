/** Reads committed files with git, for comparing working definitions with an earlier revision. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PipelineError } from '../core/errors';

const run = promisify(execFile);

async function git(root: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new PipelineError(`git ${args.join(' ')}: ${stderr || (error as Error).message}`, {
      cause: error,
    });
  }
}

/** The commit `ref` names; fails saying so when it names none. */
export async function resolveRef(root: string, ref: string): Promise<string> {
  try {
    return (await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
  } catch (error) {
    throw new PipelineError(`${ref} is not a git revision of ${root}`, { cause: error });
  }
}

/** The file's text at `ref`, or undefined when it did not exist there. */
export async function showFile(
  root: string,
  ref: string,
  file: string,
): Promise<string | undefined> {
  const listed = await git(root, ['ls-tree', '--name-only', ref, '--', file]);
  if (listed.trim() === '') return undefined;
  return git(root, ['show', `${ref}:${file}`]);
}

/** Files directly under `folder` at `ref`. */
export async function listFiles(root: string, ref: string, folder: string): Promise<string[]> {
  const listed = await git(root, ['ls-tree', '--name-only', ref, '--', `${folder}/`]);
  return listed.split('\n').filter(Boolean);
}

/** Every commit reachable from `ref` that changed `file`, newest first. */
export async function fileCommits(root: string, ref: string, file: string): Promise<string[]> {
  return (await git(root, ['log', '--format=%H', ref, '--', file])).split('\n').filter(Boolean);
}
