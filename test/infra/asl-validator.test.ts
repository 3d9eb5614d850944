import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { placeholders, substitutePlaceholders } from '../../lambdas/core/orchestration';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { stateMachineDefinitions } from '../../lambdas/definitions/state-machine-files';
import {
  landingOnlyConfig,
  oneRestSourceConfig,
  sampleDefinitions,
} from '../helpers/state-machines';

/**
 * Every state machine the sample's config builds, and those of a project without the sample (one
 * REST source; the landing zone alone), so a job or source added later is validated without a
 * test change.
 */
const definitions = [
  ...[...sampleDefinitions].map(([job, text]) => ({ name: `sample ${job}`, text })),
  ...[oneRestSourceConfig, landingOnlyConfig].flatMap((config) =>
    [...stateMachineDefinitions(projectRoot, config)].map(([job, text]) => ({
      name: `${Object.keys(config.sources).join(', ') || 'no source'}: ${job}`,
      text,
    })),
  ),
];

/**
 * A definition as Step Functions receives it: every `${...}` replaced by a well-formed Lambda ARN,
 * as `definitionSubstitutions` replaces it with the function's ARN at deploy time.
 */
function deployed(text: string): object {
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
    expect(definitions.length).toBeGreaterThan(sampleDefinitions.size);
  });

  it.each(definitions)('$name is valid', ({ name, text }) => {
    expect(errors(deployed(text)), name).toEqual([]);
  });

  it('reports a broken definition: a transition to a missing state, a Resource that is not an ARN', () => {
    const definition = deployed(definitions[0]!.text) as {
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
