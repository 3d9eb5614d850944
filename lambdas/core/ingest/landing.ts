/**
 * Landing-zone files: anything dropped into `landing/<source>/<dataset>/` (csv, json, jsonl,
 * parquet) is converted to bronze once, then moved to `processed/<run_id>/`. A file whose content
 * was ingested before (recognised by hash, even under another name or after a crash between
 * commit and move) is moved without being ingested twice. A file that cannot be read as its
 * format, or whose values do not fit the contract's types, goes to `rejected/` with a reason.
 */
import type { Contract } from '../contracts/contract';
import type { Clock, LandingConverter, LandingFormat, ObjectStore } from '../ports';
import type { DatasetStats } from '../stats';
import {
  bronzeKey,
  bronzeStats,
  metadataConstants,
  nextObjectNumber,
  stagedKey,
  type IngestLedger,
} from './bronze';

export interface LandingRequest {
  readonly source: string;
  readonly dataset: string;
  /** The bronze contract: a file's values are cast to its types, strictly. */
  readonly contract: Contract;
  readonly runId: string;
}

export interface LandingDeps {
  readonly store: ObjectStore;
  readonly converter: LandingConverter;
  readonly ledger: IngestLedger;
  readonly clock: Clock;
}

const formats: Record<string, LandingFormat> = {
  csv: 'csv',
  json: 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  parquet: 'parquet',
};

export function landingFolder(source: string, dataset: string): string {
  return `landing/${source}/${dataset}/`;
}

export async function ingestLandingDataset(
  deps: LandingDeps,
  request: LandingRequest,
): Promise<DatasetStats> {
  const { source, dataset, contract } = request;
  const startedAt = deps.clock.now();
  const folder = landingFolder(source, dataset);
  const files = (await deps.store.list(folder)).filter(
    (k) => !/\/(processed|rejected)\//.test(k.slice(folder.length - 1)),
  );
  await deps.ledger.recover(source, dataset);
  const state = await deps.ledger.read<null>(source, dataset);
  const known = new Set(state?.ingestedFiles ?? []);
  const meta = { ingestedAt: startedAt, runId: request.runId, source };
  const notes: string[] = [];
  const staged: string[] = [];
  const accepted: string[] = [];
  const hashes: string[] = [];
  let rowsIn = 0;
  let rowsOut = 0;
  const reject = async (key: string, reason: string) => {
    const target = `${folder}rejected/${request.runId}/${key.slice(folder.length)}`;
    await deps.store.move(key, target);
    await deps.store.putText(`${target}.reason.txt`, `${reason}\n`);
    notes.push(`rejected ${key}: ${reason}`);
  };

  for (const key of files) {
    const extension = key.split('.').pop()!.toLowerCase();
    const format = formats[extension];
    if (!format) {
      await reject(
        key,
        `unsupported extension .${extension} (expected csv, json, jsonl, ndjson or parquet)`,
      );
      continue;
    }
    const hash = await deps.store.hash(key);
    if (known.has(hash) || hashes.includes(hash)) {
      await deps.store.move(key, `${folder}processed/${request.runId}/${key.slice(folder.length)}`);
      notes.push(`skipped ${key}: the same content was ingested before`);
      continue;
    }
    const target = stagedKey(
      bronzeKey(source, dataset, meta, nextObjectNumber(state, request.runId) + staged.length),
    );
    const result = await deps.converter.convertFile({
      sourceKey: key,
      format,
      targetKey: target,
      columns: contract.columns,
      constants: [
        ...metadataConstants(meta),
        { name: '_source_ref', type: 'VARCHAR', value: `${key}@${request.runId}` },
      ],
    });
    if (!result.ok) {
      await reject(key, result.reason);
      continue;
    }
    if (result.extraColumns.length > 0)
      notes.push(
        `${key}: columns not in contract ${contract.id} were not ingested: ${result.extraColumns.join(', ')}`,
      );
    rowsIn += result.read;
    rowsOut += result.rows;
    staged.push(target);
    accepted.push(key);
    hashes.push(hash);
  }

  if (staged.length > 0) {
    await deps.ledger.commit(
      source,
      dataset,
      {
        watermark: null,
        runId: request.runId,
        committedAt: deps.clock.now().toISOString(),
        ingestedFiles: [...known, ...hashes],
      },
      staged,
    );
  }
  for (const key of accepted)
    await deps.store.move(key, `${folder}processed/${request.runId}/${key.slice(folder.length)}`);
  return bronzeStats(
    `${source}.${dataset}`,
    { rowsIn, rowsOut, notes },
    startedAt,
    deps.clock.now(),
  );
}
