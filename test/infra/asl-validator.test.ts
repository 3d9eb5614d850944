import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { placeholders, substitutePlaceholders } from '../../lambdas/core/orchestration';

const folder = path.resolve(import.meta.dirname, '../../stepfunctions');
/** Every state machine in the folder, so a definition added later is validated without a test change. */
const files = readdirSync(folder).filter((f) => f.endsWith('.asl.json'));

/**
 * A definition as Step Functions receives it: every `${...}` replaced by a well-formed Lambda ARN,
 * as `definitionSubstitutions` replaces it with the function's ARN at deploy time.
 */
function deployed(file: string): object {
  const text = readFileSync(path.join(folder, file), 'utf8');
  const arns = Object.fromEntries(
    placeholders(text).map((name) => [
      name,
      `arn:aws:lambda:eu-west-1:123456789012:function:medallion-dev-${name}`,
    ]),
  );
  return JSON.parse(substitutePlaceholders(text, arns)) as object;
}

/** asl-validator's errors as one line each, `CODE: message`, so a failure reads as the validator wrote it. */
const errors = (definition: object) =>
  validator(definition, { checkArn: true, checkPaths: true })
    .errorsText()
    .split('\n')
    .filter(Boolean);

describe('asl-validator (Amazon States Language)', () => {
  it('finds the state machines', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s is valid', (file) => {
    expect(errors(deployed(file)), file).toEqual([]);
  });

  it('reports a broken definition: a transition to a missing state, a Resource that is not an ARN', () => {
    const definition = deployed(files[0]!) as {
      States: Record<string, { Type: string; Next?: string; Resource?: string }>;
    };
    const [name, task] = Object.entries(definition.States).find(([, s]) => s.Type === 'Task')!;
    task.Next = 'NoSuchState';
    expect(errors(definition)).toContain(
      "MISSING_TRANSITION_TARGET: Missing 'StartAt'|'Next'|'Default' target: NoSuchState",
    );
    task.Resource = 'IngestRestFunction';
    expect(errors(definition)).toEqual([
      `SCHEMA_VALIDATION_FAILED: /States/${name}/Resource is invalid. must match exactly one schema in oneOf`,
    ]);
  });
});
