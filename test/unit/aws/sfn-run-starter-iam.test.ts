/**
 * What a start of a state machine asks of IAM: a start through an alias or version is authorized
 * on the state machine's own ARN, its qualifier in `states:StateMachineQualifier`.
 */
import { describe, expect, it } from 'vitest';
import { sfnRunStarterIam } from '../../../lambdas/adapters/aws/iam-calls';

const machine = 'arn:aws:states:eu-west-1:111111111111:stateMachine:medallion-dev-daily';

describe('sfnRunStarterIam', () => {
  it('declares a start through the alias on the unqualified ARN, with the alias as qualifier', () => {
    expect(sfnRunStarterIam.starts(`${machine}:live`)).toEqual([
      {
        action: 'states:StartExecution',
        resource: machine,
        context: { 'states:StateMachineQualifier': 'live' },
        why: `starts ${machine}:live`,
      },
    ]);
  });

  it('declares an unqualified start without a qualifier, and refuses what is no state machine', () => {
    expect(sfnRunStarterIam.starts(machine)).toEqual([
      { action: 'states:StartExecution', resource: machine, why: `starts ${machine}` },
    ]);
    expect(() => sfnRunStarterIam.starts('arn:aws:lambda:eu-west-1:1:function:f')).toThrow(
      'Not a state machine ARN',
    );
  });
});
