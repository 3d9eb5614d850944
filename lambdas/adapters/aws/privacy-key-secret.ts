import { PipelineError } from '../../core/errors';
import type { PrivacyKeyStore } from '../../core/ports';
import { minimumKeyBytes, privacyKeyFromHex } from '../../core/privacy/keyed-hash';
import type { SecretsReader } from './secrets';

/**
 * The privacy key on AWS: a Secrets Manager secret holding the key as hex text (create it once,
 * e.g. `aws secretsmanager create-secret --name medallion/prod/privacy-key --secret-string
 * "$(openssl rand -hex 32)"`, and never rotate it silently: old pseudonyms would stop matching).
 * Read through the {@link SecretsReader}, so warm containers reuse it; errors name the secret,
 * never its content.
 */
export class SecretsManagerPrivacyKey implements PrivacyKeyStore {
  constructor(
    private readonly secrets: SecretsReader,
    private readonly secretId: string,
  ) {}

  async key(): Promise<Uint8Array> {
    const key = privacyKeyFromHex(await this.secrets.text(this.secretId));
    if (!key)
      throw new PipelineError(
        `Secret ${this.secretId}: a privacy key is at least ${minimumKeyBytes} bytes of hex text; the secret holds something else`,
      );
    return key;
  }
}
