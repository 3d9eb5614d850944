/**
 * Sample data belongs to the lake it was generated into: generating other data over a lake that
 * holds some, or ran on some, would mix two datasets in bronze, silver and gold without a trace.
 * Regenerating with the same settings is harmless (the generator is deterministic).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../core/errors';
import { count } from './output';

/** What decides the content of generated data; more days only extend it. */
export interface SampleSettings {
  readonly seed: number;
  readonly scale: number;
  readonly startDate: string;
}

/** What `generate --replace` removes: the sample sources and everything the runs made of them. */
const lakeEntries = [
  '_sim',
  'bronze',
  'lakehouse.duckdb',
  'lakehouse.duckdb.wal',
  'audit',
  'state',
  'catalog',
  'notifications.jsonl',
  '_tmp',
  '_runs',
];

/** What runs write first (bronze) and record in (the lakehouse): the lake has been used. */
const runEntries = ['bronze', 'lakehouse.duckdb'];

const describe = (s: SampleSettings) =>
  `seed ${s.seed}, scale ${count(s.scale)}, start date ${s.startDate}`;

/**
 * Refuses to generate `asked` into a lake whose sample data was generated with other settings, or
 * that holds data from runs but no record of what they ran on. Names what is there, what was
 * asked, and the two ways on: another lake, or `--replace`.
 */
export function refuseOtherSample(
  lakeRoot: string,
  existing: SampleSettings | undefined,
  asked: SampleSettings,
): void {
  const used = runEntries.filter((e) => existsSync(path.join(lakeRoot, e)));
  const same =
    existing !== undefined &&
    existing.seed === asked.seed &&
    existing.scale === asked.scale &&
    existing.startDate === asked.startDate;
  if (same || (existing === undefined && used.length === 0)) return;
  const there = existing
    ? `sample data generated with ${describe(existing)}`
    : 'no record of the sample data it was built from';
  throw new PipelineError(
    `The lake ${lakeRoot} holds ${there}${used.length > 0 ? ` and data from runs (${used.join(', ')})` : ''}; asked for ${describe(asked)}. ` +
      `Generating over it would mix two datasets. Use another lake (\`--lake <dir>\`), or add \`--replace\` to delete its sample sources, bronze, silver, gold and run history first.`,
  );
}

/** Deletes the lake's sample sources and everything runs made of them (the lake lock stays). */
export async function clearLake(lakeRoot: string): Promise<void> {
  for (const entry of lakeEntries)
    await rm(path.join(lakeRoot, entry), { recursive: true, force: true });
}
