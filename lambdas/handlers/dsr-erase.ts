/**
 * Task handler of the data subject erase on AWS (`stepfunctions/dsr_erase.asl.json`, started by the
 * privacy officer), in three steps, each run again safely:
 * - `plan` resolves the subject's identifiers with Athena (transitively, as the local erase does),
 *   keeps them in the audit bucket (`privacy/pending/<request>.json`: a crash after the linking
 *   row is gone still erases the rest), logs the request as started and lists what to erase;
 * - `erase`, once per table (a Map iteration): bronze objects are rewritten without the rows and
 *   their old versions deleted; Iceberg tables get DELETE (or the audit scrub), then OPTIMIZE and
 *   VACUUM so no file or snapshot keeps the rows; each dataset's landing folder (`landing/crm/
 *   contacts/`) has its files rewritten without the rows, every version of them;
 * - `finish` counts what is left in every table, logs the outcome with keyed hashes only, and
 *   fails the execution when anything is left.
 */
import * as z from 'zod';
import type { ContractRegistry } from '../core/contracts/contract';
import { PipelineError } from '../core/errors';
import type { Clock, Logger, ObjectStore, PrivacyKeyStore, SqlEngine } from '../core/ports';
import { residueQuery, rowMatcher, tableErasure } from '../core/privacy/erasure';
import { keyedHash } from '../core/privacy/keyed-hash';
import { landingSubject, type LandingSubject } from '../core/privacy/landing-erasure';
import {
  defaultRequestId,
  hashedIdentifiers,
  regimes,
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
  type SearchTable,
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
const pendingKey = (requestId: string) => `privacy/pending/${requestId}.json`;

const requestSchema = z.object({
  /** `ann@example.com`, `21` or `order_id=42`, as `medallion dsr erase --subject` reads it. */
  subject: z.string().min(1),
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .optional(),
  received: z.iso.date(),
  regime: z.enum(regimes).default('gdpr'),
});

const inputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('plan'), request: requestSchema }),
  z.object({ step: z.literal('erase'), request: requestSchema, relation: z.string().min(1) }),
  z.object({
    step: z.literal('finish'),
    request: requestSchema,
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

  const header = async (request: z.output<typeof requestSchema>) => {
    const key = await deps.privacyKey.key();
    const subject = parseSubject(request.subject, new Set(jsonKeys.keys()));
    return {
      key,
      subject,
      header: {
        requestId: request.requestId ?? defaultRequestId(key, 'erase', subject, request.received),
        kind: 'erase' as const,
        regime: request.regime,
        received: request.received,
        subject: keyedHash(key, `${subject.kind}=${subject.value}`),
      },
    };
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
  const pending = async (requestId: string): Promise<Identifiers> => {
    const text = await deps.audit.getText(pendingKey(requestId));
    if (text === undefined)
      throw new PipelineError(
        `Request ${requestId}: no resolved identifiers at ${pendingKey(requestId)} in the audit bucket; run the plan step first`,
      );
    return identifiersFromJson(JSON.parse(text) as Record<string, string[]>);
  };

  return async (event: unknown) => {
    const input = parseTaskInput(inputSchema, event, 'dsr-erase');
    const { key, subject, header: request } = await header(input.request);
    const { requestId } = request;
    switch (input.step) {
      case 'plan': {
        const tables = await searched();
        let ids = await resolveIdentifiers([subject], tables, d, (table, condition) =>
          engine.query(
            `select distinct ${table.subjectColumns.map((c) => d.quote(c.name)).join(', ')} from ${d.relation(table.relation)} where ${condition}`,
          ),
        );
        // A run resumed after a crash keeps what the first one resolved.
        const earlier = await deps.audit.getText(pendingKey(requestId));
        if (earlier !== undefined)
          ids = mergeIdentifiers(
            ids,
            identifiersFromJson(JSON.parse(earlier) as Record<string, string[]>),
          );
        await deps.audit.putText(pendingKey(requestId), JSON.stringify(identifiersJson(ids)));
        await log({
          ...request,
          event: 'started',
          identifiers: hashedIdentifiers(key, ids),
          at: deps.clock.now().toISOString(),
          rows: {},
        });
        const relations = [
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
            Object.entries(identifiersJson(ids)).map(([k, v]) => [k, v.length]),
          ),
        });
        return { requestId, relations, request: { ...input.request, requestId } };
      }
      case 'erase': {
        const ids = await pending(requestId);
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
        const ids = await pending(requestId);
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
        await log({
          ...request,
          event: left === 0 ? 'completed' : 'failed',
          identifiers: hashedIdentifiers(key, ids),
          at: deps.clock.now().toISOString(),
          rows,
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
        await deps.audit.delete(pendingKey(requestId));
        return { requestId, rows, residue: 0 };
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
