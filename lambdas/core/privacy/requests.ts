/**
 * Data subject requests over time: the append-only request log (which is also the erasure log),
 * deadlines by regime, and each request's status folded from its log entries. The log never holds
 * the subject in clear: only keyed hashes (`keyedHash`) of the identifiers, enough to recognise the
 * same person again (a restore from backup replays erasures by them) and useless to anyone
 * without the privacy key.
 */
import * as z from 'zod';
import { addDays } from '../time';
import { keyedHash } from './keyed-hash';
import type { SqlDialect } from '../ports';
import {
  identifiersJson,
  type Identifiers,
  type SearchTable,
  type SubjectIdentifier,
} from './subjects';

/** The regimes and how long each gives to answer: GDPR one month (Art. 12(3)), CCPA 45 days. */
export const regimes = ['gdpr', 'ccpa'] as const;
export type Regime = (typeof regimes)[number];

export const requestKinds = ['export', 'erase'] as const;
export type RequestKind = (typeof requestKinds)[number];

/** The day a request is due: GDPR the same day next month (the month's last day if it has none), CCPA 45 days. */
export function requestDeadline(received: string, regime: Regime): string {
  if (regime === 'ccpa') return addDays(received, 45);
  const [year, month, day] = received.split('-').map(Number) as [number, number, number];
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(day, lastDay))).toISOString().slice(0, 10);
}

/** One line of the log: a request started, completed (with what it erased) or failed. */
export const requestLogEntrySchema = z.object({
  requestId: z.string().min(1),
  kind: z.enum(requestKinds),
  event: z.enum(['started', 'completed', 'failed']),
  regime: z.enum(regimes),
  /** When the request was received (YYYY-MM-DD): the deadline runs from it. */
  received: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** Keyed hash of the identifier the request named. */
  subject: z.string().regex(/^[0-9a-f]{64}$/),
  /** Keyed hashes of every identifier it resolved to, by kind. */
  identifiers: z.record(z.string(), z.array(z.string().regex(/^[0-9a-f]{64}$/))).default({}),
  at: z.string(),
  /** Rows erased (or exported) per table or file. */
  rows: z.record(z.string(), z.number().int().nonnegative()).default({}),
  /** Matches the verification scan found after an erase: 0 when nothing is left. */
  residue: z.number().int().nonnegative().optional(),
  error: z.string().optional(),
});
export type RequestLogEntry = z.output<typeof requestLogEntrySchema>;

export type RequestStatus = 'in progress' | 'completed' | 'failed';

export interface RequestSummary {
  readonly requestId: string;
  readonly kind: RequestKind;
  readonly regime: Regime;
  readonly received: string;
  readonly deadline: string;
  readonly status: RequestStatus;
  /** When it last completed, if it did. */
  readonly completedAt?: string;
  /** Open past its deadline, or completed after it. */
  readonly overdue: boolean;
  /** Rows erased (every run of an erase) or exported (the last export). */
  readonly rows: number;
}

/**
 * Each request's latest state, oldest received first. A request re-run (an erase repeated to
 * resume after a crash, or to check) keeps its first received date; its last event decides.
 */
export function summarizeRequests(
  entries: readonly RequestLogEntry[],
  today: string,
): RequestSummary[] {
  const byId = new Map<string, RequestLogEntry[]>();
  for (const e of entries) byId.set(e.requestId, [...(byId.get(e.requestId) ?? []), e]);
  return [...byId.values()]
    .map((log): RequestSummary => {
      const first = log[0]!;
      const last = log.at(-1)!;
      const deadline = requestDeadline(first.received, first.regime);
      const status: RequestStatus =
        last.event === 'started'
          ? 'in progress'
          : last.event === 'completed'
            ? 'completed'
            : 'failed';
      const completedAt = status === 'completed' ? last.at : undefined;
      const doneBy = completedAt?.slice(0, 10) ?? today;
      return {
        requestId: first.requestId,
        kind: first.kind,
        regime: first.regime,
        received: first.received,
        deadline,
        status,
        ...(completedAt ? { completedAt } : {}),
        overdue: doneBy > deadline,
        // An erase run again removes only what arrived since: its rows add up. An export repeated
        // gives everything again: its last one counts.
        rows: (first.kind === 'erase' ? log : [last])
          .flatMap((e) => Object.values(e.rows))
          .reduce((n, r) => n + r, 0),
      };
    })
    .sort((a, b) => a.received.localeCompare(b.received) || a.requestId.localeCompare(b.requestId));
}

/** Parses the log's lines; a line that is not an entry names its line number. */
export function parseRequestLog(text: string, file: string): RequestLogEntry[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, i }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, i }) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (error) {
        throw new Error(`${file}:${i + 1}: not JSON: ${(error as Error).message}`);
      }
      const parsed = requestLogEntrySchema.safeParse(json);
      if (!parsed.success)
        throw new Error(`${file}:${i + 1}: not a request log entry: ${parsed.error.message}`);
      return parsed.data;
    });
}

/** An erase request as the log remembers it: enough to erase the same person again. */
export interface RememberedErasure {
  readonly requestId: string;
  readonly regime: Regime;
  readonly received: string;
  readonly subject: string;
  /** Keyed hashes of every identifier any run of it resolved, by kind. */
  readonly identifiers: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * The erase requests of a log with every identifier hash their runs resolved: what a re-run
 * recognises a person by once the rows linking their identifiers are gone (a source sent only
 * their orders again), and what a replay after a restore from backup erases.
 */
export function rememberedErasures(entries: readonly RequestLogEntry[]): RememberedErasure[] {
  const byId = new Map<string, RememberedErasure & { identifiers: Map<string, Set<string>> }>();
  for (const e of entries) {
    if (e.kind !== 'erase') continue;
    const known = byId.get(e.requestId) ?? {
      requestId: e.requestId,
      regime: e.regime,
      received: e.received,
      subject: e.subject,
      identifiers: new Map<string, Set<string>>(),
    };
    byId.set(e.requestId, known);
    for (const [kind, hashes] of Object.entries(e.identifiers))
      known.identifiers.set(kind, new Set([...(known.identifiers.get(kind) ?? []), ...hashes]));
  }
  return [...byId.values()];
}

/** The default request id: the same subject, kind and received date make the same request. */
export function defaultRequestId(
  key: Uint8Array,
  kind: RequestKind,
  subject: SubjectIdentifier,
  received: string,
): string {
  return `${kind}-${received}-${keyedHash(key, `${subject.kind}=${subject.value}`).slice(0, 12)}`;
}

/** Identifiers as the log keeps them: keyed hashes of `kind=value`, by kind. */
export function hashedIdentifiers(key: Uint8Array, ids: Identifiers): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(identifiersJson(ids)).map(([kind, values]) => [
      kind,
      values.map((v) => keyedHash(key, `${kind}=${v}`)),
    ]),
  );
}

/**
 * The identifiers whose keyed hashes a log remembers, found by hashing every distinct value of the
 * subject columns of their kinds: a person recognised without their name in clear (a restore from
 * backup brought them back, or a source sent them again). The key stays here: the engine only
 * lists values, so it never appears in SQL text or query history. Found identifiers by their hash.
 */
export async function recallIdentifiers(
  tables: readonly SearchTable[],
  hashes: ReadonlyMap<string, ReadonlySet<string>>,
  key: Uint8Array,
  d: SqlDialect,
  distinct: (sql: string) => Promise<readonly { v: unknown }[]>,
): Promise<Map<string, SubjectIdentifier>> {
  const found = new Map<string, SubjectIdentifier>();
  for (const table of tables.filter((t) => t.role === 'rows'))
    for (const column of table.subjectColumns) {
      const wanted = hashes.get(column.kind);
      if (!wanted || wanted.size === 0) continue;
      const values = await distinct(
        `select distinct lower(trim(cast(${d.quote(column.name)} as varchar))) as v from ${d.relation(table.relation)} where ${d.quote(column.name)} is not null`,
      );
      for (const { v } of values) {
        const hash = keyedHash(key, `${column.kind}=${String(v)}`);
        if (wanted.has(hash)) found.set(hash, { kind: column.kind, value: String(v) });
      }
    }
  return found;
}
