import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { PipelineError, TransientError } from '../../core/errors';
import type { FailureNotice, Notifier, Publisher } from '../../core/ports';

/** SNS limits: a subject of at most 100 printable ASCII characters, a message of 256 KB. */
const maxSubjectLength = 100;
const maxCauseLength = 200_000;

const transientErrors = new Set([
  'ThrottledException',
  'KMSThrottlingException',
  'InternalErrorException',
]);

/**
 * Failure notices to an SNS topic (email subscribers read the body as is). Message attributes
 * carry the job and error name, so subscriptions can filter on them.
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(notice: FailureNotice): Promise<void> {
    const attributes = Object.fromEntries(
      Object.entries({ job: notice.job, error: notice.error, runId: notice.runId })
        .filter(([, value]) => value !== '')
        .map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
    );
    try {
      await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: subject(`Medallion ${notice.job} failed: ${notice.error}`),
          Message: failureMessage(notice),
          MessageAttributes: attributes,
        }),
      );
    } catch (error) {
      const name = (error as Error).name;
      const message = `Publishing the failure of run ${notice.runId} to ${this.topicArn} failed: ${name}: ${(error as Error).message}`;
      throw transientErrors.has(name)
        ? new TransientError(message, { cause: error })
        : new PipelineError(message, { cause: error });
    }
  }
}

/** A report's summary to an SNS topic, as plain text for its email subscribers. */
export class SnsPublisher implements Publisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(title: string, message: string): Promise<void> {
    try {
      await this.client.send(
        new PublishCommand({ TopicArn: this.topicArn, Subject: subject(title), Message: message }),
      );
    } catch (error) {
      const name = (error as Error).name;
      const text = `Publishing "${title}" to ${this.topicArn} failed: ${name}: ${(error as Error).message}`;
      throw transientErrors.has(name)
        ? new TransientError(text, { cause: error })
        : new PipelineError(text, { cause: error });
    }
  }
}

/** The body people read: what failed and why, with Step Functions' JSON cause unpacked. */
export function failureMessage(notice: FailureNotice): string {
  return [
    `Job ${notice.job} failed.`,
    '',
    `Run:   ${notice.runId}`,
    `Error: ${notice.error}`,
    `Cause: ${readableCause(notice.cause).slice(0, maxCauseLength) || '(none given)'}`,
  ].join('\n');
}

/** A Lambda error's Cause is JSON (`errorType`, `errorMessage`, `trace`); keep the message and trace. */
function readableCause(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown; trace?: unknown };
    if (typeof parsed.errorMessage !== 'string') return cause;
    const trace = Array.isArray(parsed.trace) ? `\n\n${parsed.trace.join('\n')}` : '';
    return `${parsed.errorMessage}${trace}`;
  } catch {
    return cause;
  }
}

function subject(text: string): string {
  const ascii = text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= maxSubjectLength ? ascii : `${ascii.slice(0, maxSubjectLength - 3)}...`;
}
