/**
 * The layout of `_sim/` the generator writes, kept in its manifest (`format`), so a stand-in can
 * refuse sample data it would misread instead of serving it wrong. 2: the Kafka log keeps keys and
 * values as bytes (base64), as a broker does.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const SAMPLE_FORMAT = 2;

/** Why the sample data in `simDir` cannot be read by this version; undefined when it can. */
export function sampleFormatProblem(simDir: string): string | undefined {
  const file = path.join(simDir, 'manifest.json');
  if (!existsSync(file)) return undefined;
  let format: unknown;
  try {
    ({ format } = JSON.parse(readFileSync(file, 'utf8')) as { format?: unknown });
  } catch (error) {
    return `${file} cannot be read (${(error as Error).message}): run \`medallion generate\` again.`;
  }
  return format === SAMPLE_FORMAT
    ? undefined
    : `The sample data in ${simDir} has layout ${String(format ?? 1)}, this version reads layout ${SAMPLE_FORMAT}: run \`medallion generate\` again.`;
}
