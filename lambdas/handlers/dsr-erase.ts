/**
 * Task handler of the data subject erase on AWS (`stepfunctions/dsr_erase.asl.json`, started by the
 * privacy officer), in three steps, each run again safely. The officer puts the request in the
 * audit bucket (`privacy/inbox/<request>.json`) and starts the machine with its id alone, so no
 * step's input or output, which the execution history keeps, holds the subject:
 * - `plan` reads the request, resolves the subject's identifiers with Athena (transitively, with
 *   those an earlier erase of them logged, as the local erase does; for a replay, of everyone a
 *   completed request names), keeps request and identifiers in the audit bucket
 *   (`privacy/pending/<request>.json`: a crash after the linking row is gone still erases the
 *   rest), logs the request as started and lists what to erase;
 * - `erase`, once per table (a Map iteration): bronze objects are rewritten without the rows and
 *   their old versions deleted; Iceberg tables get DELETE (or the audit scrub), then OPTIMIZE and
 *   VACUUM so no file or snapshot keeps the rows; each dataset's landing folder (`landing/crm/
 *   contacts/`) has its files rewritten without the rows, every version of them;
 * - `finish` counts what is left in every table, logs the outcome with keyed hashes only, and
 *   fails the execution when anything is left; otherwise it deletes the pending file and the
 *   request from the inbox.
 */
import * as z from 'zod';
import type { ContractRegistry } from '../core/contracts/contract';
import { PipelineError } from '../core/errors';
import type { Clock, Logger, ObjectStore, PrivacyKeyStore, SqlEngine } from '../core/ports';
import { residueQuery, rowMatcher, tableErasure } from '../core/privacy/erasure';
import { keyedHash } from '../core/privacy/keyed-hash';
import { landingSubject, type LandingSubject } from '../core/privacy/landing-erasure';
import {
  hashedIdentifiers,
  parseRequestLog,
  recallIdentifiers,
  regimes,
  rememberedErasures,
  type RequestLogEntry,
} from '../core/privacy/requests';
import {
  identifiersFromJson,
  identifiersJson,
  jsonKeysByKind,
  mergeIdentifiers,
  parseSubject,
  resolveIdentifiers,
  searchTables,
  subjectCondition,
  subjectKindsByColumn,
  type Identifiers,
  type LinkFetcher,
  type SearchTable,
  type SubjectIdentifier,
  type TypedTable,
} from '../core/privacy/subjects';
import { parseTaskInput } from './task-input';

export interface DsrEraseDeps {
  readonly engine: SqlEngine;
  /** The lake's tables with their columns (bronze included). */
  readonly tables: () => Promise<TypedTable[]>;
  readonly contracts: ContractRegistry;
  readonly privacyKey: PrivacyKeyStore;
  /** The audit bucket: the request log and pending identifiers. */
  readonly audit: ObjectStore;
  /** Rewrites one bronze object (`s3://…`, as Athena's `"$path"` names it) without the subject. */
  readonly bronze: {
    erase(
      uri: string,
      isSubject: (row: Readonly<Record<string, unknown>>) => boolean,
    ): Promise<{ rowsRemoved: number; deleted: boolean; versionsRemoved: number }>;
  };
  /**
   * Takes the subject out of a landing dataset's files (`crm/contacts/` of the landing bucket:
   * waiting, processed and rejected), every version of them.
   */
  readonly landing: {
    erase(
      prefix: string,
      subject: LandingSubject,
    ): Promise<{
      rowsRemoved: number;
      rewritten: number;
      deleted: number;
      versionsRemoved: number;
      unreadable: readonly string[];
    }>;
  };
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Where each request log entry goes: one object per entry, so the log is only ever added to. */
export const requestLogPrefix = 'privacy/requests/';
/** A landing dataset's folder as the Map erases it: `landing/crm/contacts/`, as the local lake names it. */
const landingRelationPrefix = 'landing/';
const landingRelation = (contractId: string) =>
  `${landingRelationPrefix}${contractId.split('.').join('/')}/`;
/** Where the privacy officer puts a request; the execution input names it only by id. */
export const inboxKey = (requestId: string) => `privacy/inbox/${requestId}.json`;
const pendingKey = (requestId: string) => `privacy/pending/${requestId}.json`;

const requestIdSchema = z.string().regex(/^[A-Za-z0-9._-]+$/);

/** A request as the officer puts it in the inbox. */
const requestSchema = z.object({
  /** `ann@example.com`, `21` or `order_id=42`, as `medallion dsr erase --subject` reads it. */
  subject: z.string().min(1),
  /** The object's name says it; when the request says it too, the two agree. */
  requestId: requestIdSchema.optional(),
  received: z.iso.date(),
  regime: z.enum(regimes).default('gdpr'),
});
type Request = z.output<typeof requestSchema> & { readonly requestId: string };

const identifiersSchema = z.record(z.string(), z.array(z.string()));

/** The id a replay's pending file and steps go by: one replay at a time, resumed by the next. */
export const replayId = 'replay';

/**
 * An erase under way, in clear until it completes: the request and every identifier it resolved,
 * or for a replay each completed request it erases again (the log's header, the identifiers
 * recalled for it) and all of them together.
 */
const pendingSchema = z.union([
  z.object({
    request: requestSchema.extend({ requestId: requestIdSchema }),
    identifiers: identifiersSchema,
  }),
  z.object({
    replay: z.array(
      z.object({
        requestId: requestIdSchema,
        regime: z.enum(regimes),
        received: z.iso.date(),
        /** The keyed hash the log names the person by. */
        subject: z.string(),
        identifiers: identifiersSchema,
      }),
    ),
    identifiers: identifiersSchema,
  }),
]);
type Pending = z.output<typeof pendingSchema>;

/**
 * The steps' input: a request id only, so the subject never enters the execution's history (kept
 * for 90 days); every step reads what it needs from the audit bucket. The execution's own input
 * is `{"requestId": ...}`, or `{"replay": true}` to erase again everyone the log says was erased
 * (after a restore from backup).
 */
const inputSchema = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('plan'),
    execution: z.union([
      z.object({ requestId: requestIdSchema }),
      z.object({ replay: z.literal(true) }),
    ]),
  }),
  z.object({ step: z.literal('erase'), requestId: requestIdSchema, relation: z.string().min(1) }),
  z.object({
    step: z.literal('finish'),
    requestId: requestIdSchema,
    erased: z.array(z.object({ relation: z.string(), rows: z.number().int().nonnegative() })),
  }),
]);

/** What one `erase` step removed from one table: rows (or samples, profiles), or bronze rows. */
export interface ErasedTable {
  readonly relation: string;
  readonly rows: number;
}

export function createDsrEraseHandler(deps: DsrEraseDeps) {
  const { engine, contracts, logger } = deps;
  const d = engine.dialect;
  const jsonKeys = jsonKeysByKind(contracts);
  const subjectColumnNames = [...subjectKindsByColumn(contracts).keys()];
  const searched = async () => searchTables(await deps.tables(), contracts);

  const header = async (request: Request) => {
    const key = await deps.privacyKey.key();
    let subject: SubjectIdentifier;
    try {
      subject = parseSubject(request.subject, new Set(jsonKeys.keys()));
    } catch (error) {
      // The message would quote the subject, and failures reach the execution's history.
      throw new PipelineError(
        `Request ${request.requestId}: the subject in ${inboxKey(request.requestId)}: ${(error as Error).message.replaceAll(request.subject, '<subject>')}`,
      );
    }
    return {
      key,
      subject,
      header: {
        requestId: request.requestId,
        kind: 'erase' as const,
        regime: request.regime,
        received: request.received,
        subject: keyedHash(key, `${subject.kind}=${subject.value}`),
      },
    };
  };
  /** The officer's request; its problems are named without quoting it. */
  const inbox = async (requestId: string): Promise<Request> => {
    if (requestId === replayId)
      throw new PipelineError(
        `Request ${replayId}: the name is the replay's (start it with {"replay": true}); give the request another id`,
      );
    const where = `${inboxKey(requestId)} in the audit bucket`;
    const text = await deps.audit.getText(inboxKey(requestId));
    if (text === undefined)
      throw new PipelineError(
        `Request ${requestId}: no request at ${where}; put it there first ({"subject": ..., "received": "YYYY-MM-DD", "regime": "gdpr"}), then start the erase with {"requestId": "${requestId}"}`,
      );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PipelineError(`Request ${requestId}: ${where} is not JSON`);
    }
    const parsed = requestSchema.safeParse(json);
    if (!parsed.success)
      throw new PipelineError(
        `Request ${requestId}: ${where} is not a request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    if (parsed.data.requestId !== undefined && parsed.data.requestId !== requestId)
      throw new PipelineError(
        `Request ${requestId}: ${where} says it is request ${parsed.data.requestId}; the object's name and its requestId must agree`,
      );
    return { ...parsed.data, requestId };
  };
  const log = async (entry: RequestLogEntry) => {
    const at = entry.at.replace(/[:.]/g, '-');
    await deps.audit.putText(
      // Listed in key order, the entries read in the order they were made: by time, a start
      // before the outcome of the same instant.
      `${requestLogPrefix}${entry.requestId}/${at}-${entry.event === 'started' ? 0 : 1}-${entry.event}.json`,
      `${JSON.stringify(entry)}\n`,
    );
  };
  const readPending = async (requestId: string): Promise<Pending | undefined> => {
    const text = await deps.audit.getText(pendingKey(requestId));
    return text === undefined ? undefined : pendingSchema.parse(JSON.parse(text));
  };
  /** Whom an erase logs, each with their own identifiers: the request's subject, or a replay's. */
  const logged = async (p: Pending) => {
    if ('request' in p) {
      const { key, header: request } = await header(p.request);
      return { key, subjects: [{ request, ids: identifiersFromJson(p.identifiers) }] };
    }
    return {
      key: await deps.privacyKey.key(),
      subjects: p.replay.map(({ identifiers, ...r }) => ({
        request: { ...r, kind: 'erase' as const },
        ids: identifiersFromJson(identifiers),
      })),
    };
  };
  const fetchLinks: LinkFetcher = (table, condition) =>
    engine.query(
      `select distinct ${table.subjectColumns.map((c) => d.quote(c.name)).join(', ')} from ${d.relation(table.relation)} where ${condition}`,
    );
  /** The request log on AWS, every entry of it. */
  const requestLog = async () =>
    (
      await Promise.all(
        (await deps.audit.list(requestLogPrefix)).map(async (k) =>
          parseRequestLog((await deps.audit.getText(k)) ?? '', k),
        ),
      )
    ).flat();
  /** The erase requests the log on AWS says completed, with every identifier hash they logged. */
  const completedErasures = async () => {
    const entries = await requestLog();
    const completed = new Set(
      entries.filter((e) => e.event === 'completed').map((e) => e.requestId),
    );
    return rememberedErasures(entries).filter((r) => completed.has(r.requestId));
  };
  /**
   * A replay's plan: every completed erase recalled by the keyed hashes of its identifiers (one
   * listing of each subject column for all of them), then resolved again, as the request was.
   */
  const planReplay = async (key: Uint8Array, tables: readonly SearchTable[]) => {
    const remembered = await completedErasures();
    const wanted = new Map<string, Set<string>>();
    for (const r of remembered)
      for (const [kind, hashes] of r.identifiers)
        wanted.set(kind, new Set([...(wanted.get(kind) ?? []), ...hashes]));
    const found = await recallIdentifiers(tables, wanted, key, d, (sql) => engine.query(sql));
    const earlier = await readPending(replayId);
    const before = new Map(
      earlier && 'replay' in earlier ? earlier.replay.map((r) => [r.requestId, r]) : [],
    );
    const replay = [];
    for (const r of remembered) {
      const start = [...r.identifiers.values()].flatMap((hashes) =>
        [...hashes].flatMap((h) => found.get(h) ?? []),
      );
      let ids =
        start.length > 0 ? await resolveIdentifiers(start, tables, d, fetchLinks) : new Map();
      const resumed = before.get(r.requestId);
      if (resumed) ids = mergeIdentifiers(ids, identifiersFromJson(resumed.identifiers));
      replay.push({
        requestId: r.requestId,
        regime: r.regime,
        received: r.received,
        subject: r.subject,
        identifiers: identifiersJson(ids),
      });
    }
    const all = replay.reduce<Identifiers>(
      (ids, r) => mergeIdentifiers(ids, identifiersFromJson(r.identifiers)),
      new Map(),
    );
    logger.info(`dsr replay: ${remembered.length} completed erase(s) in the log`, {
      recalled: replay.filter((r) => Object.keys(r.identifiers).length > 0).length,
    });
    return { replay, identifiers: identifiersJson(all) } satisfies Pending;
  };
  const pending = async (requestId: string) => {
    const found = await readPending(requestId);
    if (!found)
      throw new PipelineError(
        `Request ${requestId}: no resolved identifiers at ${pendingKey(requestId)} in the audit bucket; run the plan step first`,
      );
    return found;
  };

  return async (event: unknown) => {
    const input = parseTaskInput(inputSchema, event, 'dsr-erase');
    switch (input.step) {
      case 'plan': {
        const tables = await searched();
        let plan: Pending;
        let requestId: string;
        if ('replay' in input.execution) {
          requestId = replayId;
          plan = await planReplay(await deps.privacyKey.key(), tables);
        } else {
          requestId = input.execution.requestId;
          const asked = await inbox(requestId);
          const { key, subject, header: request } = await header(asked);
          // What earlier erases of this person resolved: links since gone still count.
          const remembered = rememberedErasures(await requestLog()).filter(
            (r) => r.subject === request.subject,
          );
          const recalled = new Map<string, SubjectIdentifier>();
          for (const r of remembered)
            for (const [hash, id] of await recallIdentifiers(tables, r.identifiers, key, d, (sql) =>
              engine.query(sql),
            ))
              recalled.set(hash, id);
          let ids = await resolveIdentifiers(
            [subject, ...recalled.values()],
            tables,
            d,
            fetchLinks,
          );
          // A run resumed after a crash keeps what the first one resolved.
          const earlier = await readPending(requestId);
          if (earlier) ids = mergeIdentifiers(ids, identifiersFromJson(earlier.identifiers));
          plan = { request: asked, identifiers: identifiersJson(ids) };
        }
        await deps.audit.putText(pendingKey(requestId), JSON.stringify(plan));
        const { key, subjects } = await logged(plan);
        for (const { request, ids } of subjects)
          await log({
            ...request,
            event: 'started',
            identifiers: hashedIdentifiers(key, ids),
            at: deps.clock.now().toISOString(),
            rows: {},
          });
        const ids = identifiersFromJson(plan.identifiers);
        const relations =
          ids.size === 0
            ? []
            : [
                ...tables
                  .filter((t) => subjectCondition(t, ids, d, jsonKeys) !== undefined)
                  .filter((t) => t.role !== 'verify')
                  .map((t) => t.relation),
                // Every dataset's landing folder: the files ingested stay there, in clear.
                ...contracts
                  .all()
                  .filter((c) => c.layer === 'bronze')
                  .map((c) => landingRelation(c.id)),
              ];
        logger.info(`dsr ${requestId}: ${relations.length} table(s) to erase from`, {
          identifiers: Object.fromEntries(
            Object.entries(plan.identifiers).map(([k, v]) => [k, v.length]),
          ),
        });
        return { requestId, relations };
      }
      case 'erase': {
        const { requestId } = input;
        const ids = identifiersFromJson((await pending(requestId)).identifiers);
        if (input.relation.startsWith(landingRelationPrefix)) {
          const rows = await eraseLanding(input.relation, ids);
          return { relation: input.relation, rows } satisfies ErasedTable;
        }
        const table = (await searched()).find((t) => t.relation === input.relation);
        if (!table)
          throw new PipelineError(`Request ${requestId}: no table ${input.relation} in the lake`);
        const rows = table.relation.startsWith('bronze.')
          ? await eraseBronze(table, ids)
          : await eraseTable(table, ids);
        logger.info(`dsr ${requestId}: ${table.relation}: ${rows} row(s) erased`);
        return { relation: table.relation, rows } satisfies ErasedTable;
      }
      case 'finish': {
        const { requestId } = input;
        const plan = await pending(requestId);
        const ids = identifiersFromJson(plan.identifiers);
        const residue: Record<string, number> = {};
        for (const table of await searched()) {
          const sql = residueQuery(table, ids, d, jsonKeys, subjectColumnNames);
          if (!sql) continue;
          const [row] = await engine.query<{ n: number | string }>(sql);
          const n = Number(row?.n ?? 0);
          if (n > 0) residue[table.relation] = n;
        }
        const left = Object.values(residue).reduce((n, r) => n + r, 0);
        const rows = Object.fromEntries(
          input.erased.filter((e) => e.rows > 0).map((e) => [e.relation, e.rows]),
        );
        const { key, subjects } = await logged(plan);
        for (const { request, ids: own } of subjects)
          await log({
            ...request,
            event: left === 0 ? 'completed' : 'failed',
            identifiers: hashedIdentifiers(key, own),
            at: deps.clock.now().toISOString(),
            // A replay erases everyone at once: its rows are no one request's.
            rows: 'request' in plan ? rows : {},
            residue: left,
            ...(left === 0 ? {} : { error: `residue in ${Object.keys(residue).join(', ')}` }),
          });
        if (left > 0)
          throw new PipelineError(
            `Request ${requestId}: the verification found the subject still in ${Object.entries(
              residue,
            )
              .map(([t, n]) => `${t} (${n})`)
              .join(', ')}; the resolved identifiers stay pending, start the erase again`,
          );
        // Done: nothing of the subject in clear is kept, the request only as the log's hashes.
        await deps.audit.delete(pendingKey(requestId));
        if ('request' in plan) await deps.audit.delete(inboxKey(requestId));
        return { requestId, rows, residue: 0, requests: subjects.length };
      }
    }
  };

  async function eraseTable(table: SearchTable, ids: Identifiers): Promise<number> {
    const { statements } = tableErasure(table, ids, d, jsonKeys, subjectColumnNames, (r) =>
      d.maintenance.compact(r, 0),
    );
    let rows = 0;
    for (const [i, sql] of statements.entries()) {
      const n = await engine.execute(sql);
      if (i === 0) rows = n;
    }
    return rows;
  }

  async function eraseLanding(relation: string, ids: Identifiers): Promise<number> {
    const contract = contracts
      .all()
      .find((c) => c.layer === 'bronze' && landingRelation(c.id) === relation);
    if (!contract)
      throw new PipelineError(
        `${relation}: no bronze contract has this landing folder (landing/<source>/<dataset>/)`,
      );
    const prefix = relation.slice(landingRelationPrefix.length);
    const done = await deps.landing.erase(
      prefix,
      landingSubject(contract.relation, ids, contracts),
    );
    logger.info(
      `${relation}: ${done.rowsRemoved} row(s) removed, ${done.rewritten} file(s) rewritten, ${done.deleted} deleted, ${done.versionsRemoved} version(s) deleted`,
    );
    for (const file of done.unreadable)
      logger.warn(`${relation}: a Parquet file that cannot be read was left as it is: ${file}`);
    return done.rowsRemoved;
  }

  async function eraseBronze(table: SearchTable, ids: Identifiers): Promise<number> {
    const condition = subjectCondition(table, ids, d, jsonKeys);
    if (!condition) return 0;
    const paths = await engine.query<{ path: string }>(
      `select distinct "$path" as path from ${d.relation(table.relation)} where ${condition}`,
    );
    const isSubject = rowMatcher(table, ids, jsonKeys);
    let rows = 0;
    for (const { path } of paths) {
      const done = await deps.bronze.erase(path, isSubject);
      logger.info(
        `${path}: ${done.rowsRemoved} row(s) removed${done.deleted ? ', object deleted' : ''}, ${done.versionsRemoved} old version(s) deleted`,
      );
      rows += done.rowsRemoved;
    }
    return rows;
  }
}
