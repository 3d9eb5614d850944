/**
 * Custom resource handler (`Custom::LakeFormationSettings`): makes the configured principals Lake
 * Formation admins without dropping the admins already there, and takes IAMAllowedPrincipals off
 * our databases so Lake Formation grants, not IAM alone, decide who reads them. CloudFormation
 * invokes it directly and waits for the response it PUTs to the presigned `ResponseURL`.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
 */
import * as z from 'zod';
import {
  addAdmins,
  addedAdminsOf,
  removeAdmins,
  settingsResourceId,
  updateAdmins,
  type LakeSettingsStore,
} from '../core/access/lake-settings';
import type { Logger } from '../core/ports';

const properties = z.object({
  Admins: z.array(z.string()),
  Databases: z.array(z.string()),
});

const requestSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.string().url(),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: properties,
  OldResourceProperties: properties.optional(),
});
type SettingsRequest = z.output<typeof requestSchema>;

export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
}

export interface LakeSettingsDeps {
  readonly store: LakeSettingsStore;
  /** PUTs the response to CloudFormation's presigned URL. */
  readonly respond: (url: string, response: CustomResourceResponse) => Promise<void>;
  readonly logger: Logger;
}

export function createLakeSettingsHandler(deps: LakeSettingsDeps) {
  return async (event: unknown): Promise<CustomResourceResponse> => {
    const request = requestSchema.parse(event);
    const base = {
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: request.LogicalResourceId,
    };
    let response: CustomResourceResponse;
    try {
      response = { ...base, Status: 'SUCCESS', PhysicalResourceId: await apply(deps, request) };
    } catch (error) {
      deps.logger.warn('Lake Formation settings failed', { error: (error as Error).message });
      response = {
        ...base,
        Status: 'FAILED',
        Reason: (error as Error).message,
        // A create that failed has no id yet: CloudFormation then deletes with this one, a no-op.
        PhysicalResourceId: request.PhysicalResourceId ?? settingsResourceId([]),
      };
    }
    await deps.respond(request.ResponseURL, response);
    return response;
  };
}

/** Applies the request; returns the resource's physical id. */
async function apply({ store, logger }: LakeSettingsDeps, request: SettingsRequest) {
  const { Admins: admins, Databases: databases } = request.ResourceProperties;
  const physicalId = request.PhysicalResourceId;
  if (request.RequestType === 'Delete') {
    const added = addedAdminsOf(physicalId);
    if (added.length > 0) await store.update((s) => removeAdmins(s, added));
    logger.info('Lake Formation admins removed', { admins: added });
    return physicalId!;
  }
  let id: string;
  if (request.RequestType === 'Create') {
    let added: string[] = [];
    await store.update((s) => {
      const merged = addAdmins(s, admins);
      added = merged.added;
      return merged.settings;
    });
    id = settingsResourceId(added);
    logger.info('Lake Formation admins added', { admins: added });
  } else {
    const oldAdmins = request.OldResourceProperties?.Admins ?? [];
    await store.update((s) => updateAdmins(s, addedAdminsOf(physicalId), oldAdmins, admins));
    id = physicalId!;
  }
  for (const database of databases) {
    const revoked = await store.revokeIamAllowedPrincipals(database);
    if (revoked.length > 0)
      logger.info('IAMAllowedPrincipals revoked', { database, permissions: revoked });
  }
  return id;
}
