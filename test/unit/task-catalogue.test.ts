import { describe, expect, it } from 'vitest';
import {
  functionEnvironment,
  parseCostOptimizerEnvironment,
  parseFunctionEnvironment,
} from '../../lambdas/core/function-environment';
import { placeholders } from '../../lambdas/core/orchestration';
import { placeholderOf, taskNames, taskOfPlaceholder, tasks } from '../../lambdas/core/tasks';
import { devFunctionSettings } from '../helpers/function-settings';
import { sampleDefinitions } from '../helpers/state-machines';

const definitions = [...sampleDefinitions].map(([job, text]) => ({ job, text }));

describe('the task catalogue', () => {
  it('derives each placeholder from the task name, and back', () => {
    expect(placeholderOf('Transform')).toBe('TransformFunctionArn');
    for (const task of taskNames) expect(taskOfPlaceholder(placeholderOf(task))).toBe(task);
    expect(taskOfPlaceholder('TransformArn')).toBeUndefined();
  });

  it.each(definitions)('$job calls only state-machine tasks of the catalogue', ({ text }) => {
    for (const placeholder of placeholders(text)) {
      const task = taskOfPlaceholder(placeholder);
      expect(task, placeholder).toBeDefined();
      expect(tasks[task!].invokedBy, placeholder).toBe('state machine');
    }
  });

  it('sizes functions by what they do, not uniformly', () => {
    expect(new Set(taskNames.map((t) => tasks[t].memoryMb)).size).toBeGreaterThan(1);
    expect(tasks.NotifyFailure.timeoutSeconds).toBeLessThan(tasks.Transform.timeoutSeconds);
    for (const task of taskNames) expect(tasks[task].timeoutSeconds).toBeLessThanOrEqual(900);
  });
});

describe('the function environment', () => {
  const settings = devFunctionSettings();

  it('reads back what the stack spells, with the region Lambda sets', () => {
    const environment = functionEnvironment(settings);
    expect(Object.values(environment).every((v) => typeof v === 'string')).toBe(true);
    expect(parseFunctionEnvironment({ ...environment, AWS_REGION: 'eu-west-1' })).toEqual({
      ...settings,
      AWS_REGION: 'eu-west-1',
    });
  });

  it('names what is missing or malformed', () => {
    const environment = { ...functionEnvironment(settings), AWS_REGION: 'eu-west-1' };
    expect(() =>
      parseFunctionEnvironment({ ...environment, MEDALLION_WORKGROUP: undefined }),
    ).toThrow(/MEDALLION_WORKGROUP/);
    expect(() =>
      parseFunctionEnvironment({ ...environment, MEDALLION_BUCKETS: '{"bronze":' }),
    ).toThrow(/MEDALLION_BUCKETS/);
    const { audit: _audit, ...withoutAudit } = settings.MEDALLION_BUCKETS;
    expect(() =>
      parseFunctionEnvironment({ ...environment, MEDALLION_BUCKETS: JSON.stringify(withoutAudit) }),
    ).toThrow(/audit/);
  });
  it("reads the cost optimizer's watched functions and state machines", () => {
    const arn = 'arn:aws:states:eu-west-1:111111111111:stateMachine:medallion-dev-daily';
    const environment = {
      MEDALLION_WATCHED_FUNCTIONS: JSON.stringify([
        { name: 'medallion-dev-Transform', memoryMb: 512 },
      ]),
      MEDALLION_STATE_MACHINE_ARNS: JSON.stringify([arn]),
    };
    expect(parseCostOptimizerEnvironment(environment)).toEqual({
      MEDALLION_WATCHED_FUNCTIONS: [{ name: 'medallion-dev-Transform', memoryMb: 512 }],
      MEDALLION_STATE_MACHINE_ARNS: [arn],
    });
    expect(() =>
      parseCostOptimizerEnvironment({ ...environment, MEDALLION_STATE_MACHINE_ARNS: '[' }),
    ).toThrow(/MEDALLION_STATE_MACHINE_ARNS/);
    expect(() =>
      parseCostOptimizerEnvironment({
        ...environment,
        MEDALLION_WATCHED_FUNCTIONS: JSON.stringify([{ name: 'f' }]),
      }),
    ).toThrow(/memoryMb/);
  });
});
