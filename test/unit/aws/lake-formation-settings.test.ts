import {
  GetDataLakeSettingsCommand,
  LakeFormationClient,
  ListPermissionsCommand,
  PutDataLakeSettingsCommand,
  RevokePermissionsCommand,
} from '@aws-sdk/client-lakeformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { addAdmins } from '../../../lambdas/core/access/lake-settings';
import { LakeFormationSettings } from '../../../lambdas/adapters/aws/lake-formation-settings';

const lakeFormation = mockClient(LakeFormationClient);
const settings = () => new LakeFormationSettings(new LakeFormationClient({}), '123456789012');
const existing = 'arn:aws:iam::123456789012:role/DataPlatformAdmin';
const added = 'arn:aws:iam::123456789012:role/LakeAdmin';

beforeEach(() => lakeFormation.reset());

describe('LakeFormationSettings (AWS adapter)', () => {
  it('writes the whole settings document back with the admins merged, every other field kept', async () => {
    const document = {
      DataLakeAdmins: [{ DataLakePrincipalIdentifier: existing }],
      CreateDatabaseDefaultPermissions: [],
      TrustedResourceOwners: ['210987654321'],
      Parameters: { CROSS_ACCOUNT_VERSION: '4' },
    };
    lakeFormation.on(GetDataLakeSettingsCommand).resolves({ DataLakeSettings: document });
    const { before } = await settings().update((s) => addAdmins(s, [added]).settings);
    expect(before).toEqual({ admins: [existing] });
    expect(lakeFormation.commandCalls(GetDataLakeSettingsCommand)[0]!.args[0].input).toEqual({
      CatalogId: '123456789012',
    });
    expect(lakeFormation.commandCalls(PutDataLakeSettingsCommand)[0]!.args[0].input).toEqual({
      CatalogId: '123456789012',
      DataLakeSettings: {
        ...document,
        DataLakeAdmins: [
          { DataLakePrincipalIdentifier: existing },
          { DataLakePrincipalIdentifier: added },
        ],
      },
    });
  });

  it('does not write when the admins are already as wanted', async () => {
    lakeFormation.on(GetDataLakeSettingsCommand).resolves({
      DataLakeSettings: { DataLakeAdmins: [{ DataLakePrincipalIdentifier: added }] },
    });
    await settings().update((s) => addAdmins(s, [added]).settings);
    expect(lakeFormation.commandCalls(PutDataLakeSettingsCommand)).toHaveLength(0);
  });

  it('names the call that was denied', async () => {
    lakeFormation
      .on(GetDataLakeSettingsCommand)
      .rejects(
        Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }),
      );
    await expect(settings().update((s) => s)).rejects.toThrow(
      'Lake Formation GetDataLakeSettings failed: AccessDeniedException: User is not authorized',
    );
  });

  it('revokes every permission IAMAllowedPrincipals holds on a database, across pages', async () => {
    const database = { Database: { CatalogId: '123456789012', Name: 'medallion_dev_gold' } };
    const principal = { DataLakePrincipalIdentifier: 'IAM_ALLOWED_PRINCIPALS' };
    lakeFormation
      .on(ListPermissionsCommand)
      .resolvesOnce({ PrincipalResourcePermissions: [{ Permissions: ['ALL'] }], NextToken: 't' })
      .resolvesOnce({ PrincipalResourcePermissions: [{ Permissions: ['ALL', 'DESCRIBE'] }] });
    expect(await settings().revokeIamAllowedPrincipals('medallion_dev_gold')).toEqual([
      'ALL',
      'DESCRIBE',
    ]);
    expect(lakeFormation.commandCalls(ListPermissionsCommand).map((c) => c.args[0].input)).toEqual([
      { CatalogId: '123456789012', Principal: principal, Resource: database, NextToken: undefined },
      { CatalogId: '123456789012', Principal: principal, Resource: database, NextToken: 't' },
    ]);
    expect(lakeFormation.commandCalls(RevokePermissionsCommand)[0]!.args[0].input).toEqual({
      CatalogId: '123456789012',
      Principal: principal,
      Resource: database,
      Permissions: ['ALL', 'DESCRIBE'],
    });
  });

  it('revokes nothing when IAMAllowedPrincipals holds nothing, or the database does not exist', async () => {
    lakeFormation.on(ListPermissionsCommand).resolves({ PrincipalResourcePermissions: [] });
    expect(await settings().revokeIamAllowedPrincipals('medallion_dev_gold')).toEqual([]);
    lakeFormation
      .on(ListPermissionsCommand)
      .rejects(Object.assign(new Error('Database not found'), { name: 'EntityNotFoundException' }));
    expect(await settings().revokeIamAllowedPrincipals('medallion_dev_gold')).toEqual([]);
    expect(lakeFormation.commandCalls(RevokePermissionsCommand)).toHaveLength(0);
  });
});
