import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { secretsReaderIam } from '../../../lambdas/adapters/aws/iam-calls';
import { SecretsManagerPrivacyKey } from '../../../lambdas/adapters/aws/privacy-key-secret';
import { SecretsReader } from '../../../lambdas/adapters/aws/secrets';
import { ManualClock } from '../../helpers/clock';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const secretsManager = mockClient(SecretsManagerClient);
expectDeclaredCommands('SecretsReader', secretsManager, secretsReaderIam.actions);

beforeEach(() => secretsManager.reset());

const store = (secretId = 'medallion/prod/privacy-key') =>
  new SecretsManagerPrivacyKey(
    new SecretsReader(new SecretsManagerClient({ region: 'eu-west-1' }), new ManualClock()),
    secretId,
  );
const hex = 'ab'.repeat(32);

describe('the privacy key from Secrets Manager', () => {
  it('is the hex text of the secret, read once for every pseudonym a container makes', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'medallion/prod/privacy-key' })
      .resolves({ SecretString: `${hex}\n` });
    const keys = store();
    const [first, second] = await Promise.all([keys.key(), keys.key()]);
    expect(Buffer.from(first).toString('hex')).toBe(hex);
    expect(second).toEqual(first);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('refuses a key too short or not hex, naming the secret and never its content', async () => {
    for (const value of ['ab'.repeat(31), 'zz'.repeat(32), `${hex}0`, '']) {
      secretsManager.reset();
      secretsManager.on(GetSecretValueCommand).resolves({ SecretString: value });
      const error = (await store()
        .key()
        .catch((e: unknown) => e)) as Error;
      expect(error.message).toBe(
        'Secret medallion/prod/privacy-key: a privacy key is at least 32 bytes of hex text; the secret holds something else',
      );
    }
  });

  it('names the secret when it cannot be read', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('no access'), { name: 'AccessDeniedException' }));
    await expect(store().key()).rejects.toThrow(
      'Reading secret medallion/prod/privacy-key failed: AccessDeniedException: no access',
    );
  });
});
