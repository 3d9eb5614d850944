import { describe, expect, it } from 'vitest';
import {
  addAdmins,
  addedAdminsOf,
  removeAdmins,
  settingsResourceId,
  updateAdmins,
  type LakeSettings,
  type LakeSettingsStore,
} from '../../lambdas/core/access/lake-settings';
import {
  createLakeSettingsHandler,
  type CustomResourceResponse,
} from '../../lambdas/handlers/lake-formation-settings';

const existing = 'arn:aws:iam::123456789012:role/DataPlatformAdmin';
const cfn = 'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1';
const configured = 'arn:aws:iam::123456789012:role/LakeAdmin';

describe('Lake Formation admins are merged, never replaced', () => {
  it('adds the wanted admins after the existing ones and says which were new', () => {
    expect(addAdmins({ admins: [existing, cfn] }, [cfn, configured, configured])).toEqual({
      settings: { admins: [existing, cfn, configured] },
      added: [configured],
    });
  });

  it('removes only the admins it added', () => {
    expect(removeAdmins({ admins: [existing, cfn, configured] }, [configured])).toEqual({
      admins: [existing, cfn],
    });
  });

  it('an update drops an admin taken out of config only if it had added it', () => {
    const settings = { admins: [existing, cfn, configured] };
    expect(updateAdmins(settings, [configured], [cfn, configured], [cfn])).toEqual({
      admins: [existing, cfn],
    });
    // `existing` was an admin before the stack: leaving config does not take it away.
    expect(updateAdmins(settings, [configured], [existing, cfn], [cfn])).toEqual(settings);
  });

  it('the physical id records the added admins, and ids it did not write record none', () => {
    expect(addedAdminsOf(settingsResourceId([cfn, configured])).sort()).toEqual(
      [cfn, configured].sort(),
    );
    expect(addedAdminsOf(undefined)).toEqual([]);
    expect(addedAdminsOf('some-other-id')).toEqual([]);
  });
});

/** A store holding settings in memory, recording the databases whose defaults it revoked. */
function memoryStore(admins: string[], failWith?: Error) {
  let settings: LakeSettings = { admins };
  const revoked: string[] = [];
  const store: LakeSettingsStore = {
    update: async (change) => {
      if (failWith) throw failWith;
      const before = settings;
      settings = change(settings);
      return { before };
    },
    revokeIamAllowedPrincipals: async (database) => {
      revoked.push(database);
      return ['ALL'];
    },
  };
  return { store, revoked, admins: () => settings.admins };
}

const request = (type: 'Create' | 'Update' | 'Delete', extra: object = {}) => ({
  RequestType: type,
  ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/x?sig=1',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Access/1',
  RequestId: 'r-1',
  LogicalResourceId: 'LakeFormationSettings',
  ResourceProperties: { Admins: [cfn, configured], Databases: ['medallion_dev_gold'] },
  ...extra,
});

function handlerOver(store: LakeSettingsStore) {
  const responses: [string, CustomResourceResponse][] = [];
  const handler = createLakeSettingsHandler({
    store,
    respond: async (url, response) => void responses.push([url, response]),
    logger: { info: () => {}, warn: () => {} },
  });
  return { handler, responses };
}

describe('the Lake Formation settings custom resource', () => {
  it('create adds the admins, revokes IAMAllowedPrincipals on the databases and answers CloudFormation', async () => {
    const memory = memoryStore([existing, cfn]);
    const { handler, responses } = handlerOver(memory.store);
    await handler(request('Create'));
    expect(memory.admins()).toEqual([existing, cfn, configured]);
    expect(memory.revoked).toEqual(['medallion_dev_gold']);
    expect(responses).toEqual([
      [
        request('Create').ResponseURL,
        {
          Status: 'SUCCESS',
          PhysicalResourceId: settingsResourceId([configured]),
          StackId: request('Create').StackId,
          RequestId: 'r-1',
          LogicalResourceId: 'LakeFormationSettings',
        },
      ],
    ]);
  });

  it('delete leaves the admins that were there before the stack', async () => {
    const memory = memoryStore([existing, cfn, configured]);
    const { handler, responses } = handlerOver(memory.store);
    await handler(request('Delete', { PhysicalResourceId: settingsResourceId([configured]) }));
    expect(memory.admins()).toEqual([existing, cfn]);
    expect(responses[0]![1].Status).toBe('SUCCESS');
  });

  it('update keeps the physical id, so CloudFormation never deletes the settings it still wants', async () => {
    const memory = memoryStore([existing, cfn, configured]);
    const { handler, responses } = handlerOver(memory.store);
    const id = settingsResourceId([configured]);
    await handler(
      request('Update', {
        PhysicalResourceId: id,
        ResourceProperties: { Admins: [cfn], Databases: [] },
        OldResourceProperties: { Admins: [cfn, configured], Databases: [] },
      }),
    );
    expect(memory.admins()).toEqual([existing, cfn]);
    expect(responses[0]![1]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: id });
  });

  it('a failure is reported to CloudFormation with its reason, so the stack does not hang', async () => {
    const memory = memoryStore([], new Error('AccessDeniedException: not a data lake admin'));
    const { handler, responses } = handlerOver(memory.store);
    await handler(request('Create'));
    expect(responses[0]![1]).toMatchObject({
      Status: 'FAILED',
      Reason: 'AccessDeniedException: not a data lake admin',
    });
  });
});
