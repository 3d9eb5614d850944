/**
 * Data subject requests on the local lake: find, export and erase one person's rows in every
 * layer, then prove nothing is left. The planning (which tables, which identifiers, which SQL) is
 * `core/privacy/subjects.ts`; this module runs it against the lakehouse file and the Parquet,
 * landing and audit files under the lake folder.
 *
 * Where a person's data lives locally:
 * - bronze: Parquet files `bronze/<source>/<dataset>/ingest_date=…/*.parquet` (REST `_extra` and
 *   Kafka `value` payloads searched as text);
 * - silver, gold (every `__v` version behind a published view), quarantine (its raw columns),
 *   change feeds (`changelog.*`), and the audit tables: all in `lakehouse.duckdb`;
 * - landing files `landing/<source>/<dataset>/…` (also `processed/` and `rejected/`): read and
 *   rewritten as the landing step reads them, or line by line when they cannot be read;
 * - lineage events `audit/lineage/…`, catalog and ingest state files: searched as bytes.
 *
 * `_sim/` holds the simulated source systems (Snowflake, Redshift, CRM, Kafka): systems the
 * platform reads from, not part of the lake, so neither erased nor searched.
 */
import { existsSync } from 'node:fs';
import {
  appendFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DuckDbLakehouse, openDuckDb } from '../adapters/duckdb/engine';
import { duckdbDialect } from '../adapters/duckdb/dialect';
import { PipelineError } from '../core/errors';
import { buildLineageGraph } from '../core/lineage/graph';
import { keyedHash } from '../core/privacy/keyed-hash';
import { landingFilePattern, withoutSubjectLines } from '../core/privacy/landing-erasure';
import {
  identifiersFromJson,
  identifiersJson,
  isDistinctive,
  jsonKeysByKind,
  mentions,
  mergeIdentifiers,
  resolveIdentifiers,
  scrubProfile,
  scrubSample,
  searchTables,
  subjectCondition,
  subjectKindsByColumn,
  type Identifiers,
  type ProfileValues,
  type SearchTable,
  type SubjectIdentifier,
  type TypedTable,
} from '../core/privacy/subjects';
import {
  defaultRequestId,
  hashedIdentifiers,
  parseRequestLog,
  recallIdentifiers,
  rememberedErasures,
  type RememberedErasure,
  type RequestKind,
  type RequestLogEntry,
  type Regime,
} from '../core/privacy/requests';
import type { Project } from '../definitions/project-files';

const d = duckdbDialect;

/** The request log (also the erasure log): append-only JSON lines, subjects as keyed hashes. */
export const requestLogKey = 'audit/privacy/requests.jsonl';
/** An erase in progress: its resolved identifiers, so a crashed erase resumes with all of them. */
const pendingFolder = 'audit/privacy/pending';
/** Suffix of files an erase writes before swapping them in; left over only by a crash. */
const temporarySuffix = '.dsr-tmp';

export interface DsrLake {
  readonly project: Project;
  readonly lakeRoot: string;
  readonly key: Uint8Array;
  readonly log?: (line: string) => void;
}

/** Rows about the subject in one table or file, with where they came from. */
export interface FoundRows {
  readonly layer: string;
  readonly table: string;
  /** The Parquet file (lake-relative) for bronze. */
  readonly file?: string;
  /** The datasets this one is computed from (its direct upstream in the lineage). */
  readonly upstream?: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
}

/** A place the verification scan searched, and what it found there. */
export interface ScanResult {
  readonly place: string;
  /** A lakehouse table, a data file read row by row, or any file searched as bytes. */
  readonly kind: 'table' | 'data file' | 'file';
  readonly matches: number;
}

/**
 * A data file of the lake searched and rewritten row by row: a bronze Parquet object, or a landing
 * file (csv, json, jsonl or parquet, text ones possibly gzipped) waiting, processed or rejected.
 */
interface DataFile {
  readonly layer: 'bronze' | 'landing';
  /** The relation whose contract names its subject columns (the dataset's bronze relation). */
  readonly relation: string;
  readonly key: string;
  readonly path: string;
  /** How DuckDB reads it, and the COPY options that write it back in the same format. */
  readonly reader: string;
  readonly writeOptions: string;
}

/** The lake opened for a request: its tables and bronze files, what to search in each. */
class SubjectLake {
  private constructor(
    readonly lakehouse: DuckDbLakehouse,
    readonly tables: readonly SearchTable[],
    readonly files: readonly DataFile[],
    readonly jsonKeys: ReadonlyMap<string, readonly string[]>,
    readonly kindOfKey: ReadonlyMap<string, string>,
    private readonly lake: DsrLake,
  ) {}

  static async open(lake: DsrLake, readOnly: boolean): Promise<SubjectLake> {
    const { project, lakeRoot } = lake;
    const lakehouse = await DuckDbLakehouse.open({
      lakeRoot,
      threads: project.config.engine.threads,
      memoryLimit: project.config.engine.memoryLimit,
      bronze: project.contracts.all().filter((c) => c.layer === 'bronze'),
      readOnly,
    });
    try {
      const listed = await lakehouse.query<{ relation: string; columns: TypedTable['columns'] }>(
        `select c.table_schema || '.' || c.table_name as relation,
            list({'name': c.column_name, 'type': c.data_type} order by c.ordinal_position) as columns
          from information_schema.columns c join information_schema.tables t
            using (table_catalog, table_schema, table_name)
          where c.table_catalog = 'lake' and t.table_type = 'BASE TABLE'
          group by all order by 1`,
      );
      const files = [...(await listBronzeFiles(lake)), ...(await listLandingFiles(lake))];
      return new SubjectLake(
        lakehouse,
        searchTables(listed, project.contracts),
        files,
        jsonKeysByKind(project.contracts),
        subjectKindsByColumn(project.contracts),
        lake,
      );
    } catch (error) {
      lakehouse.close();
      throw error;
    }
  }

  /**
   * The search plan of one data file: its contract's subject columns, its own text columns.
   * Undefined for a file DuckDB cannot read (a rejected landing file): the file scan searches it
   * as text, and the erase then filters its lines.
   */
  async fileTable(file: DataFile): Promise<SearchTable | undefined> {
    const columns = await this.lakehouse
      .query<{ name: string; type: string }>(
        `select column_name as name, column_type as type from (describe select * from ${file.reader})`,
      )
      .catch(() => undefined);
    return (
      columns &&
      searchTables([{ relation: file.relation, columns }], this.lake.project.contracts)[0]
    );
  }

  private async fileCondition(file: DataFile, ids: Identifiers): Promise<string | undefined> {
    const table = await this.fileTable(file);
    return table && this.condition(table, ids);
  }

  /** Every identifier linked to the request's, through silver, gold, quarantine and bronze. */
  async resolve(start: readonly SubjectIdentifier[]): Promise<Identifiers> {
    const bronze = await this.bronzeRelations();
    return resolveIdentifiers(start, [...bronze, ...this.tables], d, (table, condition) =>
      this.lakehouse.query(
        `select distinct ${table.subjectColumns.map((c) => d.quote(c.name)).join(', ')} from ${table.relation} where ${condition}`,
      ),
    );
  }

  /**
   * The identifiers whose keyed hashes an earlier erase logged, found by hashing every value of
   * the subject columns of their kinds: a person recognised without their name in clear.
   */
  async recall(hashes: ReadonlyMap<string, ReadonlySet<string>>): Promise<SubjectIdentifier[]> {
    const relations = [...(await this.bronzeRelations()), ...this.tables];
    const found = await recallIdentifiers(relations, hashes, this.lake.key, d, (sql) =>
      this.lakehouse.query<{ v: string }>(sql),
    );
    return [...found.values()];
  }

  private async bronzeRelations(): Promise<SearchTable[]> {
    return Promise.all(
      this.lake.project.contracts
        .all()
        .filter((c) => c.layer === 'bronze')
        .map(async (c) => {
          const columns = await this.lakehouse.query<{ name: string; type: string }>(
            `select column_name as name, column_type as type from (describe select * from ${c.relation})`,
          );
          return searchTables([{ relation: c.relation, columns }], this.lake.project.contracts)[0]!;
        }),
    );
  }

  condition(table: SearchTable, ids: Identifiers): string | undefined {
    return subjectCondition(table, ids, d, this.jsonKeys);
  }

  /** The subject's rows in every table and bronze file (samples: the subject's sample rows). */
  async find(ids: Identifiers): Promise<FoundRows[]> {
    const found: FoundRows[] = [];
    const graph = upstreamOf(this.lake.project);
    for (const file of this.files) {
      const condition = await this.fileCondition(file, ids);
      if (!condition) continue;
      const rows = await this.lakehouse.query(`select * from ${file.reader} where ${condition}`);
      if (rows.length > 0)
        found.push({
          layer: file.layer,
          table: file.relation,
          file: file.key,
          ...(file.layer === 'bronze' ? { upstream: graph(file.relation) } : {}),
          rows,
        });
    }
    for (const table of this.tables) {
      const condition = this.condition(table, ids);
      if (!condition || table.role === 'profiles' || table.role === 'verify') continue;
      const rows = await this.lakehouse.query(`select * from ${table.relation} where ${condition}`);
      const layer = table.relation.split('.')[0]!;
      if (table.role === 'samples') {
        const sampleRows = rows.flatMap((r) => {
          const parsed = parseJson(r.sample);
          const entries = Array.isArray(parsed) ? parsed : [parsed];
          return entries
            .filter((e) => mentions(e, ids, this.kindOfKey))
            .map((e) => ({
              run_id: r.run_id,
              dataset: r.dataset,
              check_name: r.check_name,
              row: e,
            }));
        });
        if (sampleRows.length > 0)
          found.push({ layer, table: `${table.relation}.sample`, rows: sampleRows });
      } else if (rows.length > 0)
        found.push({ layer, table: table.relation, upstream: graph(table.relation), rows });
    }
    return found;
  }

  /**
   * Deletes the subject's rows from every lakehouse table, and their values from samples and
   * profiles, in one transaction: silver, gold and the rest change together or not at all.
   */
  async eraseTables(ids: Identifiers): Promise<Record<string, number>> {
    const erased: Record<string, number> = {};
    await this.lakehouse.transaction(async () => {
      for (const table of this.tables) {
        const condition = this.condition(table, ids);
        if (!condition) continue;
        let n = 0;
        if (table.role === 'rows')
          n = await this.lakehouse.execute(`delete from ${table.relation} where ${condition}`);
        else if (table.role === 'samples') {
          const rows = await this.lakehouse.query<{ id: number; sample: string }>(
            `select rowid as id, sample from ${table.relation} where ${condition}`,
          );
          for (const row of rows) {
            const scrubbed = scrubSample(row.sample, ids, this.kindOfKey);
            if (!scrubbed) continue;
            n += scrubbed.removed;
            await this.lakehouse.execute(
              `update ${table.relation} set sample = ${scrubbed.sample === null ? 'null' : d.string(scrubbed.sample)} where rowid = ${row.id}`,
            );
          }
        } else if (table.role === 'profiles') {
          const subjectNames = [...this.kindOfKey.keys()].map((k) => d.string(k)).join(', ');
          const rows = await this.lakehouse.query<ProfileValues & { id: number }>(
            `select rowid as id, column_name, min_value, max_value, top_values from ${table.relation}
              where ${subjectNames ? `column_name in (${subjectNames}) or ` : ''}${condition}`,
          );
          for (const row of rows) {
            const scrubbed = scrubProfile(row, ids, this.kindOfKey);
            if (!scrubbed) continue;
            n += 1;
            const text = (v: string | null) => (v === null ? 'null' : d.string(v));
            await this.lakehouse.execute(
              `update ${table.relation} set min_value = ${text(scrubbed.min_value)}, max_value = ${text(scrubbed.max_value)}, top_values = ${text(scrubbed.top_values)} where rowid = ${row.id}`,
            );
          }
        }
        if (n > 0) erased[table.relation] = n;
      }
    });
    return erased;
  }

  /**
   * Rewrites each data file holding the subject without their rows, in its own format: the new
   * file is written beside the old one, then renamed over it, so a reader sees the old file or the
   * new, whole. A file DuckDB cannot read (a rejected landing file) loses its lines that mention
   * the subject instead.
   */
  async eraseFiles(ids: Identifiers): Promise<Record<string, number>> {
    const erased: Record<string, number> = {};
    for (const file of this.files) {
      const table = await this.fileTable(file);
      const n = table
        ? await this.rewriteWithout(file, this.condition(table, ids))
        : await filterLines(file.path, ids, this.jsonKeys);
      if (n === 0) continue;
      erased[file.key] = n;
      this.lake.log?.(`  ${file.key}: ${n} row(s) removed`);
    }
    return erased;
  }

  private async rewriteWithout(file: DataFile, condition: string | undefined): Promise<number> {
    if (!condition) return 0;
    const [row] = await this.lakehouse.query<{ n: number }>(
      `select count(*)::bigint as n from ${file.reader} where ${condition}`,
    );
    if (!row || row.n === 0) return 0;
    const temporary = `${file.path}${temporarySuffix}`;
    await this.lakehouse.execute(
      `copy (select * from ${file.reader} where not coalesce(${condition}, false)) to ${d.string(temporary)} (${file.writeOptions})`,
    );
    await rename(temporary, file.path);
    return row.n;
  }

  /** The verification scan over tables and data files: matches of the subject in each. */
  async scan(ids: Identifiers): Promise<ScanResult[]> {
    const results: ScanResult[] = [];
    for (const file of this.files) {
      const condition = await this.fileCondition(file, ids);
      if (!condition) continue;
      const [row] = await this.lakehouse.query<{ n: number }>(
        `select count(*)::bigint as n from ${file.reader} where ${condition}`,
      );
      results.push({ place: file.key, kind: 'data file', matches: row!.n });
    }
    for (const table of this.tables) {
      const condition = this.condition(table, ids);
      let matches = 0;
      if (condition) {
        if (table.role === 'profiles') {
          const rows = await this.lakehouse.query<ProfileValues>(
            `select column_name, min_value, max_value, top_values from ${table.relation}`,
          );
          matches = rows.filter((r) => scrubProfile(r, ids, this.kindOfKey)).length;
        } else {
          const [row] = await this.lakehouse.query<{ n: number }>(
            `select count(*)::bigint as n from ${table.relation} where ${condition}`,
          );
          matches = row!.n;
        }
      }
      results.push({ place: table.relation, kind: 'table', matches });
    }
    return results;
  }

  close(): void {
    this.lakehouse.close();
  }
}

function parseJson(text: unknown): unknown {
  try {
    return JSON.parse(String(text));
  } catch {
    return text;
  }
}

/** Direct upstream datasets of a relation (by dataset id), from the lineage the definitions imply. */
function upstreamOf(project: Project): (relation: string) => string[] | undefined {
  const graph = buildLineageGraph(project);
  return (relation) => {
    const contract = project.contracts.forRelation(relation.replace(/__v\d.*$/, ''));
    if (!contract) return undefined;
    return graph
      .upstream(contract.id, 1)
      .nodes.filter((n) => n.depth === 1)
      .map((n) => n.dataset);
  };
}

async function listBronzeFiles(lake: DsrLake): Promise<DataFile[]> {
  const files: DataFile[] = [];
  for (const contract of lake.project.contracts.all().filter((c) => c.layer === 'bronze')) {
    const [source, ...dataset] = contract.id.split('.');
    const folder = path.join(lake.lakeRoot, 'bronze', source!, dataset.join('.'));
    for (const file of await listFiles(folder))
      if (file.endsWith('.parquet'))
        files.push({
          layer: 'bronze',
          relation: contract.relation,
          key: lakeKey(lake.lakeRoot, file),
          path: file,
          reader: `read_parquet(${d.string(file)}, hive_partitioning = false)`,
          writeOptions: 'format parquet',
        });
  }
  return files;
}

/**
 * Landing files in `landing/<source>/<dataset>/` (waiting, `processed/` or `rejected/`), read as
 * the landing step reads them; the dataset's bronze contract names their subject columns.
 */
async function listLandingFiles(lake: DsrLake): Promise<DataFile[]> {
  const files: DataFile[] = [];
  for (const file of await listFiles(path.join(lake.lakeRoot, 'landing'))) {
    const key = lakeKey(lake.lakeRoot, file);
    const [, source, dataset] = key.split('/');
    const format = landingFilePattern.exec(key);
    if (!format || !source || !dataset) continue;
    const gzip = format[2] ? ", compression 'gzip'" : '';
    const at = d.string(file);
    const formats: Record<string, readonly [reader: string, writeOptions: string]> = {
      csv: [
        `read_csv(${at}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"', strict_mode = true)`,
        `format csv, header true${gzip}`,
      ],
      json: [`read_json(${at}, format = 'auto', records = true)`, `format json, array true${gzip}`],
      jsonl: [
        `read_json(${at}, format = 'newline_delimited', records = true)`,
        `format json${gzip}`,
      ],
      ndjson: [
        `read_json(${at}, format = 'newline_delimited', records = true)`,
        `format json${gzip}`,
      ],
      parquet: [`read_parquet(${at}, hive_partitioning = false)`, 'format parquet'],
    };
    const [reader, writeOptions] = formats[format[1]!]!;
    const contract = lake.project.contracts.all().find((c) => c.id === `${source}.${dataset}`);
    files.push({
      layer: 'landing',
      relation: contract?.relation ?? `landing.${source}_${dataset}`,
      key,
      path: file,
      reader,
      writeOptions,
    });
  }
  return files;
}

/** Removes the lines of a text file (gzip decoded) that mention the subject; the count removed. */
async function filterLines(
  file: string,
  ids: Identifiers,
  jsonKeys: ReadonlyMap<string, readonly string[]>,
): Promise<number> {
  if (!/\.(csv|json|jsonl|ndjson)(\.gz)?$/.test(file)) return 0;
  const gzip = file.endsWith('.gz');
  const bytes = await readFile(file);
  const { text, removed } = withoutSubjectLines(
    (gzip ? gunzipSync(bytes) : bytes).toString('utf8'),
    ids,
    jsonKeys,
  );
  if (removed === 0) return 0;
  const body = Buffer.from(text, 'utf8');
  await writeFile(`${file}${temporarySuffix}`, gzip ? gzipSync(body) : body);
  await rename(`${file}${temporarySuffix}`, file);
  return removed;
}

const lakeKey = (lakeRoot: string, file: string) =>
  path.relative(lakeRoot, file).split(path.sep).join('/');

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    },
  );
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * Searches the bytes of every file of the lake (gzip decoded) for the subject's distinctive
 * identifiers: lineage events, catalog and state files, landing files, Parquet footers
 * (statistics), and the lakehouse file, whose raw bytes would show rows a DELETE left in free
 * blocks. Rows inside compressed Parquet pages are the SQL scan's part.
 */
export async function scanFiles(lakeRoot: string, ids: Identifiers): Promise<ScanResult[]> {
  const needles = [...ids.values()].flatMap((v) => [...v].filter(isDistinctive));
  const results: ScanResult[] = [];
  for (const file of await listFiles(lakeRoot)) {
    const key = path.relative(lakeRoot, file).split(path.sep).join('/');
    if (key.startsWith('_sim/') || key.startsWith(`${pendingFolder}/`)) continue;
    const bytes = await readFile(file);
    const texts = [bytes];
    if (key.endsWith('.gz')) texts.push(gunzipSync(bytes));
    const matches = texts.reduce(
      (n, b) =>
        n +
        needles.filter(
          (needle) => b.includes(needle) || b.toString('utf8').toLowerCase().includes(needle),
        ).length,
      0,
    );
    results.push({ place: key, kind: 'file', matches });
  }
  return results;
}

/** Rewrites the lakehouse file from its live data, so no deleted row survives in a free block. */
async function compactLakehouse(lake: DsrLake): Promise<void> {
  const file = path.join(lake.lakeRoot, 'lakehouse.duckdb');
  const fresh = `${file}${temporarySuffix}`;
  await rm(fresh, { force: true });
  const instance = await openDuckDb(lake.project.config.engine, path.join(lake.lakeRoot, '_tmp'));
  const connection = await instance.connect();
  try {
    await connection.run(
      `attach ${d.string(file)} as old (read_only); attach ${d.string(fresh)} as fresh;
       copy from database old to fresh; detach old; detach fresh;`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  await rename(fresh, file);
  await rm(`${file}.wal`, { force: true });
}

export interface RequestOptions {
  readonly subject: SubjectIdentifier;
  readonly requestId?: string;
  readonly received: string;
  readonly regime: Regime;
  readonly now: () => Date;
}

async function appendLog(lakeRoot: string, entry: RequestLogEntry): Promise<void> {
  const file = path.join(lakeRoot, ...requestLogKey.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(entry)}\n`, 'utf8');
}

/** Every entry of the request log; none when no request was made yet. */
export async function readRequestLog(lakeRoot: string): Promise<RequestLogEntry[]> {
  const file = path.join(lakeRoot, ...requestLogKey.split('/'));
  if (!existsSync(file)) return [];
  return parseRequestLog(await readFile(file, 'utf8'), file);
}

/**
 * The request log from a file of JSON lines (the local log, or a copy kept aside) or from a folder
 * holding a copy of the AWS log (`aws s3 sync s3://<audit>/privacy/requests/ <folder>`: one object
 * per entry, `<request>/<time>-<n>-<event>.json`, whose names sort in the order they were made).
 */
export async function readRequestLogAt(where: string): Promise<RequestLogEntry[]> {
  const info = await stat(where).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new PipelineError(`--log ${where}: no such file or folder`);
    throw error;
  });
  if (!info.isDirectory()) return parseRequestLog(await readFile(where, 'utf8'), where);
  const files = (await listFiles(where)).filter((f) => f.endsWith('.json'));
  if (files.length === 0)
    throw new PipelineError(
      `--log ${where}: no log entries (*.json) in the folder; copy the AWS log with aws s3 sync s3://<audit bucket>/privacy/requests/ ${where}`,
    );
  const entries: RequestLogEntry[] = [];
  for (const file of files) entries.push(...parseRequestLog(await readFile(file, 'utf8'), file));
  return entries;
}

/** What every log entry of a request repeats. */
interface RequestHeader {
  readonly requestId: string;
  readonly kind: RequestKind;
  readonly regime: Regime;
  readonly received: string;
  /** Keyed hash of the identifier the request named. */
  readonly subject: string;
}

function entry(
  header: RequestHeader,
  now: () => Date,
  fields: Partial<RequestLogEntry> & Pick<RequestLogEntry, 'event'>,
): RequestLogEntry {
  return { ...header, identifiers: {}, at: now().toISOString(), rows: {}, ...fields };
}

function header(lake: DsrLake, kind: RequestKind, options: RequestOptions): RequestHeader {
  return {
    requestId:
      options.requestId ?? defaultRequestId(lake.key, kind, options.subject, options.received),
    kind,
    regime: options.regime,
    received: options.received,
    subject: keyedHash(lake.key, `${options.subject.kind}=${options.subject.value}`),
  };
}

export interface ExportResult {
  readonly requestId: string;
  readonly identifiers: Identifiers;
  readonly found: readonly FoundRows[];
}

/** Every row about the subject, with where it came from; logged as an export request. */
export async function exportSubject(lake: DsrLake, options: RequestOptions): Promise<ExportResult> {
  const request = header(lake, 'export', options);
  const { requestId } = request;
  const opened = await SubjectLake.open(lake, true);
  try {
    await appendLog(lake.lakeRoot, entry(request, options.now, { event: 'started' }));
    const identifiers = await opened.resolve([options.subject]);
    const found = await opened.find(identifiers);
    await appendLog(
      lake.lakeRoot,
      entry(request, options.now, {
        event: 'completed',
        identifiers: hashedIdentifiers(lake.key, identifiers),
        rows: Object.fromEntries(found.map((f) => [f.file ?? f.table, f.rows.length] as const)),
      }),
    );
    return { requestId, identifiers, found };
  } finally {
    opened.close();
  }
}

export interface EraseResult {
  readonly requestId: string;
  readonly identifiers: Identifiers;
  readonly erased: Readonly<Record<string, number>>;
  readonly scan: readonly ScanResult[];
  readonly residue: number;
  readonly dryRun: boolean;
}

/**
 * Erases the subject everywhere. The order makes a crash safe to resume by running the same
 * command again:
 * 1. the resolved identifiers go to `audit/privacy/pending/<request>.json` (merged with a crashed
 *    run's), since erasing a linking table (customers) first would hide the rest (orders) from a
 *    second resolution;
 * 2. bronze files are rewritten first, so that no rebuild from bronze brings back what a later
 *    step already deleted;
 * 3. the lakehouse tables change in one transaction: readers see all of silver and gold before
 *    the erase or all of it after;
 * 4. the lakehouse file is rewritten from its live data (no deleted bytes in free blocks);
 * 5. a verification scan of every table and file; zero matches completes the request, its log
 *    entry records what was erased, and the pending file goes.
 */
export async function eraseSubject(
  lake: DsrLake,
  options: RequestOptions & { readonly dryRun: boolean },
): Promise<EraseResult> {
  const request = header(lake, 'erase', options);
  // What earlier runs of an erase of this person resolved: links since gone still count.
  const remembered = rememberedErasures(await readRequestLog(lake.lakeRoot)).filter(
    (r) => r.subject === request.subject,
  );
  return eraseRequest(lake, request, [options.subject], remembered, options.now, options.dryRun);
}

/**
 * Erases again every person the given log (by default the lake's) says was erased, found by the
 * keyed hashes of their identifiers: after a restore from a backup older than the erasures, with
 * the log kept aside, run against the restored lake.
 */
export async function replayErasures(
  lake: DsrLake,
  log: readonly RequestLogEntry[],
  now: () => Date,
): Promise<EraseResult[]> {
  const results: EraseResult[] = [];
  for (const remembered of rememberedErasures(log)) {
    lake.log?.(`replaying ${remembered.requestId}`);
    const request: RequestHeader = {
      requestId: remembered.requestId,
      kind: 'erase',
      regime: remembered.regime,
      received: remembered.received,
      subject: remembered.subject,
    };
    results.push(await eraseRequest(lake, request, [], [remembered], now, false));
  }
  return results;
}

async function eraseRequest(
  lake: DsrLake,
  request: RequestHeader,
  start: readonly SubjectIdentifier[],
  remembered: readonly RememberedErasure[],
  now: () => Date,
  dryRun: boolean,
): Promise<EraseResult> {
  const { requestId } = request;
  const pending = path.join(lake.lakeRoot, pendingFolder, `${requestId}.json`);
  const log = lake.log ?? (() => undefined);
  for (const file of await listFiles(lake.lakeRoot))
    if (file.endsWith(temporarySuffix)) await rm(file, { force: true });
  let opened = await SubjectLake.open(lake, dryRun);
  let identifiers: Identifiers;
  let erased: Record<string, number> = {};
  try {
    const recalled = (
      await Promise.all(remembered.map((r) => opened.recall(r.identifiers)))
    ).flat();
    identifiers = await opened.resolve([...start, ...recalled]);
    if (existsSync(pending)) {
      log(`resuming ${requestId}: an earlier erase did not complete`);
      identifiers = mergeIdentifiers(
        identifiers,
        identifiersFromJson(
          JSON.parse(await readFile(pending, 'utf8')) as Record<string, string[]>,
        ),
      );
    }
    log(
      `identifiers: ${Object.entries(identifiersJson(identifiers))
        .map(([k, v]) => `${v.length} ${k}`)
        .join(', ')}`,
    );
    if (dryRun) {
      const found = await opened.find(identifiers);
      for (const f of found) erased[f.file ?? f.table] = f.rows.length;
      return { requestId, identifiers, erased, scan: [], residue: 0, dryRun: true };
    }
    await mkdir(path.dirname(pending), { recursive: true });
    await writeFile(`${pending}${temporarySuffix}`, JSON.stringify(identifiersJson(identifiers)));
    await rename(`${pending}${temporarySuffix}`, pending);
    await appendLog(lake.lakeRoot, entry(request, now, { event: 'started' }));
    log('bronze and landing: rewriting files without the subject');
    erased = { ...(await opened.eraseFiles(identifiers)) };
    log('lakehouse: deleting rows (one transaction)');
    erased = { ...erased, ...(await opened.eraseTables(identifiers)) };
    await opened.lakehouse.execute('checkpoint');
  } finally {
    opened.close();
  }
  log('lakehouse: rewriting the file from its live data');
  await compactLakehouse(lake);
  log('verifying: searching every table and file');
  opened = await SubjectLake.open(lake, true);
  let scan: ScanResult[];
  try {
    scan = [...(await opened.scan(identifiers)), ...(await scanFiles(lake.lakeRoot, identifiers))];
  } finally {
    opened.close();
  }
  const residue = scan.reduce((n, s) => n + s.matches, 0);
  await appendLog(
    lake.lakeRoot,
    entry(request, now, {
      event: residue === 0 ? 'completed' : 'failed',
      identifiers: hashedIdentifiers(lake.key, identifiers),
      rows: erased,
      residue,
      ...(residue === 0
        ? {}
        : {
            error: `residue in ${scan
              .filter((s) => s.matches > 0)
              .map((s) => s.place)
              .join(', ')}`,
          }),
    }),
  );
  if (residue === 0) await rm(pending, { force: true });
  return { requestId, identifiers, erased, scan, residue, dryRun: false };
}
