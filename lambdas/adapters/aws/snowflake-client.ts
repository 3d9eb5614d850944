import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import * as z from 'zod';
import { PipelineError, TransientError } from '../../core/errors';
import type {
  Clock,
  HttpPostClient,
  HttpResponse,
  WarehouseClient,
  WarehouseExport,
  WarehouseExportResult,
} from '../../core/ports';
import type { SnowflakeConnection } from '../../core/connections';
import type { S3ObjectStore } from './s3-object-store';
import { readBackExport } from './parquet-footer';
import type { SecretsReader } from './secrets';

const keyPairSecretSchema = z.object({
  user: z.string().min(1),
  privateKey: z.string().includes('PRIVATE KEY'),
  privateKeyPassphrase: z.string().optional(),
});

export interface SnowflakeClientOptions {
  /** First wait between status polls; doubles up to {@link maxPollIntervalMs}. @default 250 */
  readonly pollIntervalMs?: number;
  /** @default 5000 */
  readonly maxPollIntervalMs?: number;
  /** Statement timeout, enforced by Snowflake (the request's `timeout`). @default 13 minutes */
  readonly timeoutMs?: number;
  /** Per HTTP request. @default 30 seconds */
  readonly requestTimeoutMs?: number;
  /** Lake prefix the stage's URL points at. @default 'bronze/_staging/' */
  readonly stageRoot?: string;
}

/** Largest object COPY INTO writes (bytes): moves stay under the CopyObject limit. */
const maxFileSizeBytes = 256 * 1024 * 1024;
/** Snowflake accepts a JWT for at most an hour. */
const jwtLifetimeSeconds = 59 * 60;
/** A token this close to expiry is replaced before use. */
const jwtRenewBeforeMs = 5 * 60_000;

/** A finished statement's result: `data` rows of text cells, in `rowType` column order. */
interface ResultSet {
  readonly statementHandle?: string;
  readonly resultSetMetaData?: { readonly rowType?: readonly { readonly name: string }[] };
  readonly data?: readonly (readonly (string | null)[])[];
}

/**
 * Snowflake through the SQL API v2 (plain HTTPS, key-pair JWT; no driver in the Lambda):
 * `COPY INTO @stage` writes the extraction as Parquet into the bronze staging prefix, as DuckDB's
 * `COPY ... TO` does locally; the objects are listed and their rows counted from the footers.
 */
export class SnowflakeWarehouseClient implements WarehouseClient {
  readonly rowNumberExpression = 'seq8()';
  private readonly pollIntervalMs: number;
  private readonly maxPollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly stageRoot: string;
  private readonly baseUrl: string;
  private jwt: { token: string; expiresAt: number } | undefined;

  constructor(
    private readonly deps: {
      readonly http: HttpPostClient;
      readonly secrets: SecretsReader;
      readonly store: S3ObjectStore;
      readonly clock: Clock;
    },
    private readonly connection: SnowflakeConnection,
    options: SnowflakeClientOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.maxPollIntervalMs = options.maxPollIntervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 13 * 60_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.stageRoot = options.stageRoot ?? 'bronze/_staging/';
    this.baseUrl = `https://${connection.account.toLowerCase()}.snowflakecomputing.com`;
  }

  /** Snowflake's TIMESTAMP follows a session setting; bronze wants wall-clock UTC (NTZ). */
  columnType(portableType: string): string {
    return portableType.toUpperCase() === 'TIMESTAMP' ? 'TIMESTAMP_NTZ' : portableType;
  }

  /**
   * The watermark is read before the COPY: a row committed in between is then exported again
   * next run (silver deduplicates it) rather than skipped for good.
   */
  async exportQuery(request: WarehouseExport): Promise<WarehouseExportResult> {
    if (!request.keyPrefix.startsWith(this.stageRoot)) {
      throw new PipelineError(
        `Snowflake export to ${request.keyPrefix}: the stage ${this.connection.stage} only reaches ${this.stageRoot}`,
      );
    }
    const watermark = await this.run(
      `select to_varchar(max(${request.watermarkColumn}), 'YYYY-MM-DD HH24:MI:SS.FF6') from (${request.sql}) as extraction`,
      'max-watermark',
    );
    const maxWatermark = watermark.data?.[0]?.[0] ?? null;
    const location = `@${this.connection.stage}/${request.keyPrefix.slice(this.stageRoot.length)}-`;
    const copy = await this.run(
      [
        `copy into ${sqlString(location)}`,
        `from (${request.sql})`,
        `file_format = (type = parquet) header = true max_file_size = ${maxFileSizeBytes}`,
      ].join('\n'),
      'copy-into',
    );
    const selected = rowsUnloaded(copy);
    const { keys, rows } = await readBackExport(this.deps.store, request.keyPrefix, selected);
    return { keys, selected, rows, maxWatermark: selected === 0 ? null : maxWatermark };
  }

  /**
   * Submits a statement asynchronously (HTTP 202 + handle) and polls its status with exponential
   * backoff until Snowflake answers with the result (200) or the failure (422).
   */
  private async run(statement: string, purpose: string): Promise<ResultSet> {
    const { connection } = this;
    let answer = await this.request(purpose, (headers) =>
      this.deps.http.post(`${this.baseUrl}/api/v2/statements?async=true`, {
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          statement,
          timeout: Math.ceil(this.timeoutMs / 1000),
          database: connection.database,
          schema: connection.schema,
          warehouse: connection.warehouse,
          ...(connection.role ? { role: connection.role } : {}),
        }),
        timeoutMs: this.requestTimeoutMs,
      }),
    );
    let waited = 0;
    for (let attempt = 0; 'pending' in answer; attempt++) {
      // Snowflake cancels the statement at its `timeout`; this only guards against a status that never settles.
      if (waited > this.timeoutMs + 60_000) {
        throw new PipelineError(
          `Snowflake ${purpose} statement ${answer.pending} did not settle within ${this.timeoutMs / 1000} s`,
        );
      }
      const delay = Math.min(this.pollIntervalMs * 2 ** attempt, this.maxPollIntervalMs);
      await this.deps.clock.sleep(delay);
      waited += delay;
      const handle = answer.pending;
      answer = await this.request(purpose, (headers) =>
        this.deps.http.get(`${this.baseUrl}/api/v2/statements/${encodeURIComponent(handle)}`, {
          headers,
          timeoutMs: this.requestTimeoutMs,
        }),
      );
    }
    return answer.done;
  }

  /** One SQL API call with fresh auth headers, its answer sorted into done, pending or an error. */
  private async request(
    purpose: string,
    send: (headers: Record<string, string>) => Promise<HttpResponse>,
  ): Promise<{ done: ResultSet } | { pending: string }> {
    const headers = {
      Authorization: `Bearer ${await this.token()}`,
      'X-Snowflake-Authorization-Token-Type': 'KEYPAIR_JWT',
      Accept: 'application/json',
      'User-Agent': 'medallion-platform',
    };
    let response: HttpResponse;
    try {
      response = await send(headers);
    } catch (error) {
      throw new TransientError(
        `Snowflake SQL API (${purpose}) at ${this.baseUrl} could not be reached: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const body = parseBody(response.body);
    if (response.status === 200) return { done: body };
    if (response.status === 202 && typeof body.statementHandle === 'string') {
      return { pending: body.statementHandle };
    }
    const detail = body.message ?? response.body.slice(0, 300);
    if (response.status === 422) {
      throw new PipelineError(
        `Snowflake ${purpose} statement ${body.statementHandle ?? ''} failed: ${detail} (code ${body.code}, SQL state ${body.sqlState})`,
      );
    }
    const message = `Snowflake SQL API (${purpose}) answered ${response.status}: ${detail}`;
    if (response.status === 429 || response.status >= 500) throw new TransientError(message);
    throw new PipelineError(message);
  }

  /** A key-pair JWT, reused until it is close to expiry. */
  private async token(): Promise<string> {
    const now = this.deps.clock.now();
    if (this.jwt && this.jwt.expiresAt - jwtRenewBeforeMs > now.getTime()) return this.jwt.token;
    const secret = await this.deps.secrets.json(this.connection.secret, keyPairSecretSchema);
    const token = snowflakeJwt({
      account: this.connection.account,
      user: secret.user,
      privateKeyPem: secret.privateKey,
      passphrase: secret.privateKeyPassphrase,
      now,
    });
    this.jwt = { token, expiresAt: now.getTime() + jwtLifetimeSeconds * 1000 };
    return token;
  }
}

/**
 * Key-pair JWT for the SQL API, signed RS256: `iss` = `<ACCOUNT>.<USER>.SHA256:<fingerprint>`,
 * `sub` = `<ACCOUNT>.<USER>`, the fingerprint being the base64 SHA-256 of the public key (DER
 * SubjectPublicKeyInfo), the same value `DESCRIBE USER` shows as RSA_PUBLIC_KEY_FP.
 */
export function snowflakeJwt(input: {
  account: string;
  user: string;
  privateKeyPem: string;
  passphrase?: string;
  now: Date;
}): string {
  const privateKey = createPrivateKey({
    key: input.privateKeyPem,
    format: 'pem',
    passphrase: input.passphrase,
  });
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const fingerprint = `SHA256:${createHash('sha256').update(publicKey).digest('base64')}`;
  const qualifiedUser = `${jwtAccount(input.account)}.${input.user.toUpperCase()}`;
  const issuedAt = Math.floor(input.now.getTime() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
    iss: `${qualifiedUser}.${fingerprint}`,
    sub: qualifiedUser,
    iat: issuedAt,
    exp: issuedAt + jwtLifetimeSeconds,
  })}`;
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), privateKey).toString('base64url')}`;
}

/**
 * The account part of the JWT claims, upper case: a locator loses its region (`xy12345.eu-west-1`
 * → `XY12345`), a global URL its suffix after the first hyphen, as Snowflake's own drivers do.
 */
export function jwtAccount(account: string): string {
  const separator = account.includes('.global') ? '-' : '.';
  const end = account.indexOf(separator);
  return (end > 0 ? account.slice(0, end) : account).toUpperCase();
}

function parseBody(text: string): ResultSet & {
  message?: string;
  code?: string;
  sqlState?: string;
} {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

/** Rows a COPY INTO unloaded, from its one-row result (`rows_unloaded`, `input_bytes`...). */
function rowsUnloaded(result: ResultSet): number {
  const index = result.resultSetMetaData?.rowType?.findIndex(
    (c) => c.name.toLowerCase() === 'rows_unloaded',
  );
  if (index === undefined || index < 0) {
    throw new PipelineError(
      `Snowflake COPY INTO ${result.statementHandle ?? ''} returned no rows_unloaded column`,
    );
  }
  return Number(result.data?.[0]?.[index] ?? 0);
}

function sqlString(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
