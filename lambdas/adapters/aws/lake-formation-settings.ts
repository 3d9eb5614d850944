import {
  GetDataLakeSettingsCommand,
  ListPermissionsCommand,
  PutDataLakeSettingsCommand,
  RevokePermissionsCommand,
  type LakeFormationClient,
  type PrincipalResourcePermissions,
} from '@aws-sdk/client-lakeformation';
import type { LakeSettings, LakeSettingsStore } from '../../core/access/lake-settings';
import { apiError } from './athena-engine';

/** The pseudo-principal standing for "IAM permissions alone decide" in Lake Formation grants. */
const iamAllowedPrincipals = 'IAM_ALLOWED_PRINCIPALS';

/**
 * Lake Formation's data lake settings and our databases' default grants. The settings are read and
 * written whole (PutDataLakeSettings replaces the document), every other field kept as read.
 * https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_PutDataLakeSettings.html
 */
export class LakeFormationSettings implements LakeSettingsStore {
  constructor(
    private readonly lakeFormation: LakeFormationClient,
    private readonly catalogId: string,
  ) {}

  async update(change: (settings: LakeSettings) => LakeSettings) {
    let document;
    try {
      ({ DataLakeSettings: document } = await this.lakeFormation.send(
        new GetDataLakeSettingsCommand({ CatalogId: this.catalogId }),
      ));
    } catch (error) {
      throw apiError('Lake Formation GetDataLakeSettings', error);
    }
    const before: LakeSettings = {
      admins: (document?.DataLakeAdmins ?? []).flatMap((a) => a.DataLakePrincipalIdentifier ?? []),
    };
    const after = change(before);
    if (sameMembers(before.admins, after.admins)) return { before };
    try {
      await this.lakeFormation.send(
        new PutDataLakeSettingsCommand({
          CatalogId: this.catalogId,
          DataLakeSettings: {
            ...document,
            DataLakeAdmins: after.admins.map((a) => ({ DataLakePrincipalIdentifier: a })),
          },
        }),
      );
    } catch (error) {
      throw apiError('Lake Formation PutDataLakeSettings', error);
    }
    return { before };
  }

  async revokeIamAllowedPrincipals(database: string) {
    const resource = { Database: { CatalogId: this.catalogId, Name: database } };
    const grants: PrincipalResourcePermissions[] = [];
    try {
      let nextToken: string | undefined;
      do {
        const page = await this.lakeFormation.send(
          new ListPermissionsCommand({
            CatalogId: this.catalogId,
            Principal: { DataLakePrincipalIdentifier: iamAllowedPrincipals },
            Resource: resource,
            NextToken: nextToken,
          }),
        );
        grants.push(...(page.PrincipalResourcePermissions ?? []));
        nextToken = page.NextToken;
      } while (nextToken);
    } catch (error) {
      // A database not created yet holds no grant to revoke.
      if ((error as Error).name === 'EntityNotFoundException') return [];
      throw apiError(`Lake Formation ListPermissions on ${database}`, error);
    }
    const permissions = [...new Set(grants.flatMap((g) => g.Permissions ?? []))];
    if (permissions.length === 0) return [];
    try {
      await this.lakeFormation.send(
        new RevokePermissionsCommand({
          CatalogId: this.catalogId,
          Principal: { DataLakePrincipalIdentifier: iamAllowedPrincipals },
          Resource: resource,
          Permissions: permissions,
        }),
      );
    } catch (error) {
      throw apiError(`Lake Formation RevokePermissions on ${database}`, error);
    }
    return permissions;
  }
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
