import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { PipelineError, TransientError } from '../../core/errors';
import type { Clock } from '../../core/ports';

export interface SecretsReaderOptions {
  /**
   * How long a secret is reused before it is read again: long enough to spare Secrets Manager a
   * call per invocation, short enough that a rotation reaches warm containers.
   * @default 5 minutes
   */
  readonly ttlMs?: number;
}

const transientErrors = new Set(['ThrottlingException', 'InternalServiceError']);

const apiTokenSchema = z.object({ token: z.string().min(1) });

/**
 * Secrets Manager reads cached per Lambda container (create one reader at module scope).
 * Concurrent reads of one secret share a single call. Errors name the secret, never its content.
 */
export class SecretsReader {
  private readonly cache = new Map<string, { expiresAt: number; value: Promise<string> }>();
  private readonly ttlMs: number;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly clock: Pick<Clock, 'now'>,
    options: SecretsReaderOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
  }

  /** The secret's text (a binary secret decoded as UTF-8). */
  async text(secretId: string): Promise<string> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(secretId);
    if (cached && cached.expiresAt > now) return cached.value;
    const value = this.fetch(secretId);
    this.cache.set(secretId, { expiresAt: now + this.ttlMs, value });
    value.catch(() => {
      if (this.cache.get(secretId)?.value === value) this.cache.delete(secretId);
    });
    return value;
  }

  /** The secret as JSON of the given shape. */
  async json<T>(secretId: string, schema: z.ZodType<T>): Promise<T> {
    const text = await this.text(secretId);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new PipelineError(`Secret ${secretId} is not JSON`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (i) => `${i.path.join('.') || '(root)'}: ${i.message}`,
      );
      throw new PipelineError(
        `Secret ${secretId} does not have the expected keys: ${problems.join('; ')}`,
      );
    }
    return parsed.data;
  }

  /** A REST API's bearer token, from a secret `{ "token": "..." }`. */
  async apiToken(secretId: string): Promise<string> {
    return (await this.json(secretId, apiTokenSchema)).token;
  }

  private async fetch(secretId: string): Promise<string> {
    let secret;
    try {
      secret = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (error) {
      const name = (error as Error).name;
      const message = `Reading secret ${secretId} failed: ${name}: ${(error as Error).message}`;
      throw transientErrors.has(name)
        ? new TransientError(message, { cause: error })
        : new PipelineError(message, { cause: error });
    }
    if (secret.SecretString !== undefined) return secret.SecretString;
    if (secret.SecretBinary !== undefined) return Buffer.from(secret.SecretBinary).toString('utf8');
    throw new PipelineError(`Secret ${secretId} has no value`);
  }
}
