/**
 * Landing-zone files: anything dropped into `landing/<source>/<dataset>/` (csv, json, jsonl,
 * parquet; the text ones may be gzipped, `.csv.gz`) is converted to bronze once, then moved to
 * `processed/<run_id>/`. A file whose content was ingested before (recognised by hash, even under
 * another name or after a crash between commit and move) is moved without being ingested twice.
 * A file that cannot be read as its format, or whose values do not fit the contract's types, is
 * refused whole: it goes to `rejected/` with its reason beside it, and the step lists it in
 * `rejectedFiles` (so the run history, the run summary and the lineage show it). Its rows are in
 * no row count (a file refused as unreadable has no rows to count): rows in = rows written still
 * reconciles, over the files accepted.
 */
import type { Contract } from '../contracts/contract';
import type { Clock, LandingConverter, LandingFormat, ObjectStore } from '../ports';
import type { DatasetStats, RejectedFile } from '../stats';
import { listNames } from './landing-text';
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
  const rejectedFiles: RejectedFile[] = [];
  const reject = async (key: string, reason: string) => {
    const target = `${folder}rejected/${request.runId}/${key.slice(folder.length)}`;
    await deps.store.move(key, target);
    await deps.store.putText(`${target}.reason.txt`, `${reason}\n`);
    rejectedFiles.push({ file: key, reason });
  };
  const required = contract.properties.filter((p) => p.required).map((p) => p.name);

  for (const key of files) {
    const [extension, compression] = key.split('/').pop()!.toLowerCase().split('.').reverse();
    const gzip = extension === 'gz';
    const format = formats[(gzip ? compression : extension) ?? ''];
    if (!format || (gzip && format === 'parquet')) {
      await reject(
        key,
        `unsupported extension .${gzip ? `${compression}.gz` : extension} (expected csv, json, jsonl, ndjson or parquet; the text ones may be gzipped, .csv.gz)`,
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
      columns: contract.landingColumns,
      constants: [
        ...metadataConstants(meta),
        { name: '_source_ref', type: 'VARCHAR', value: `${key}@${request.runId}` },
      ],
      gzip,
      requiredColumns: required,
    });
    if (!result.ok) {
      await reject(key, result.reason);
      continue;
    }
    if (result.extraColumns.length > 0)
      notes.push(
        `${key}: columns not in contract ${contract.id} were not ingested: ${listNames(result.extraColumns)}`,
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
    { rowsIn, rowsOut, notes, rejectedFiles },
    startedAt,
    deps.clock.now(),
  );
}
