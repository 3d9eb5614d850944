import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import * as z from 'zod';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsReader } from '../../../lambdas/adapters/aws/secrets';
import { SnsNotifier, SnsPublisher } from '../../../lambdas/adapters/aws/sns-notifier';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import { ManualClock } from '../../helpers/clock';
import { secretsReaderIam, snsNotifierIam } from '../../../lambdas/adapters/aws/iam-calls';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const secretsManager = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
expectDeclaredCommands('SecretsReader', secretsManager, secretsReaderIam.actions);
expectDeclaredCommands('SnsNotifier', sns, snsNotifierIam.actions);

beforeEach(() => {
  secretsManager.reset();
  sns.reset();
});

const reader = (clock: ManualClock) =>
  new SecretsReader(new SecretsManagerClient({ region: 'eu-west-1' }), clock, { ttlMs: 60_000 });

describe('SecretsReader', () => {
  it('reads a secret once per TTL and again after it', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'medallion/dev/crm' })
      .resolvesOnce({ SecretString: '{"token":"t-1"}' })
      .resolvesOnce({ SecretString: '{"token":"t-2"}' });
    const clock = new ManualClock();
    const secrets = reader(clock);

    expect(await secrets.apiToken('medallion/dev/crm')).toBe('t-1');
    await clock.sleep(59_000);
    expect(await secrets.apiToken('medallion/dev/crm')).toBe('t-1');
    await clock.sleep(1_000);
    expect(await secrets.apiToken('medallion/dev/crm')).toBe('t-2');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({
      SecretId: 'medallion/dev/crm',
    });
  });

  it('shares one call between concurrent reads, and decodes a binary secret', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretBinary: new TextEncoder().encode('{"token":"bin"}') });
    const secrets = reader(new ManualClock());
    const tokens = await Promise.all([secrets.apiToken('s'), secrets.apiToken('s')]);
    expect(tokens).toEqual(['bin', 'bin']);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('checks the JSON shape without ever quoting the secret', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'not-json' })
      .resolves({ SecretString: 'hunter2' });
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'no-token' })
      .resolves({ SecretString: '{"password":"hunter2"}' });
    const secrets = reader(new ManualClock());
    await expect(secrets.apiToken('not-json')).rejects.toThrow(/^Secret not-json is not JSON$/);
    const error = (await secrets.apiToken('no-token').catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^Secret no-token does not have the expected keys: token: /);
    expect(error.message).not.toContain('hunter2');
    await expect(secrets.json('no-token', z.object({ password: z.string() }))).resolves.toEqual({
      password: 'hunter2',
    });
  });

  it('names a missing secret, retries throttling, and does not cache failures', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(
        new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret.",
          $metadata: {},
        }),
      )
      .rejectsOnce(
        new SecretsManagerServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      )
      .resolves({ SecretString: '{"token":"ok"}' });
    const secrets = reader(new ManualClock());
    const missing = await secrets.text('gone').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PipelineError);
    expect(missing).not.toBeInstanceOf(TransientError);
    expect((missing as Error).message).toBe(
      "Reading secret gone failed: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
    );
    await expect(secrets.text('gone')).rejects.toBeInstanceOf(TransientError);
    await expect(secrets.apiToken('gone')).resolves.toBe('ok');
  });
});

describe('SnsNotifier', () => {
  const topicArn = 'arn:aws:sns:eu-west-1:111122223333:medallion-dev-failures';

  it('publishes a readable notice with the job and error as message attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await new SnsNotifier(new SNSClient({ region: 'eu-west-1' }), topicArn).notify({
      runId: 'daily-2026-01-02-abc',
      job: 'daily',
      error: 'TransientError',
      cause: JSON.stringify({
        errorType: 'TransientError',
        errorMessage: 'GET https://crm.example.com/crm/v1/accounts failed after 6 attempts',
        trace: ['TransientError: GET ...', '    at getWithRetry (rest.ts:90)'],
      }),
    });
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({
      TopicArn: topicArn,
      Subject: 'Medallion daily failed: TransientError',
      Message: [
        'Job daily failed.',
        '',
        'Run:   daily-2026-01-02-abc',
        'Error: TransientError',
        'Cause: GET https://crm.example.com/crm/v1/accounts failed after 6 attempts',
        '',
        'TransientError: GET ...',
        '    at getWithRetry (rest.ts:90)',
      ].join('\n'),
      MessageAttributes: {
        job: { DataType: 'String', StringValue: 'daily' },
        error: { DataType: 'String', StringValue: 'TransientError' },
        runId: { DataType: 'String', StringValue: 'daily-2026-01-02-abc' },
      },
    });
  });

  it('keeps the subject within SNS limits and the cause as given when it is not JSON', async () => {
    sns.on(PublishCommand).resolves({});
    await new SnsNotifier(new SNSClient({ region: 'eu-west-1' }), topicArn).notify({
      runId: 'r',
      job: 'bronze_to_silver',
      error: `States.TaskFailed\n${'é'.repeat(120)}`,
      cause: '',
    });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.Subject).toHaveLength(100);
    expect(input.Subject).toMatch(
      /^Medallion bronze_to_silver failed: States\.TaskFailed \?+\.\.\.$/,
    );
    expect(input.Message).toContain('Cause: (none given)');
  });

  it('makes SNS throttling a TransientError', async () => {
    sns
      .on(PublishCommand)
      .rejects(new ThrottledException({ message: 'Rate exceeded', $metadata: {} }));
    const error = await new SnsNotifier(new SNSClient({ region: 'eu-west-1' }), topicArn)
      .notify({ runId: 'r', job: 'daily', error: 'E', cause: 'c' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      `Publishing the failure of run r to ${topicArn} failed: ThrottledException: Rate exceeded`,
    );
  });
});

describe('SnsPublisher', () => {
  const topicArn = 'arn:aws:sns:eu-west-1:111122223333:medallion-dev-cost';

  it('publishes a summary as plain text under its title', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await new SnsPublisher(new SNSClient({ region: 'eu-west-1' }), topicArn).publish(
      'Cost report dev 2026-03-16',
      'Month to date: 12.00 USD\n',
    );
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({
      TopicArn: topicArn,
      Subject: 'Cost report dev 2026-03-16',
      Message: 'Month to date: 12.00 USD\n',
    });
  });

  it('makes SNS throttling a TransientError naming what was published', async () => {
    sns
      .on(PublishCommand)
      .rejects(new ThrottledException({ message: 'Rate exceeded', $metadata: {} }));
    const error = await new SnsPublisher(new SNSClient({ region: 'eu-west-1' }), topicArn)
      .publish('Cost report dev 2026-03-16', 'm')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      `Publishing "Cost report dev 2026-03-16" to ${topicArn} failed: ThrottledException: Rate exceeded`,
    );
  });
});
