/**
 * Lake Formation's data lake settings are one document that `PutDataLakeSettings` replaces whole:
 * writing only our admins would drop everyone else's. The settings custom resource reads the
 * document, merges with these functions and writes it back, and on delete takes away only the
 * admins it added, so an admin who was there before the stack stays after it.
 */

/** The part of the settings the platform touches: the admins' principal ARNs. */
export interface LakeSettings {
  readonly admins: readonly string[];
}

/** The settings with `wanted` admins added, and which of them were not there before. */
export function addAdmins(
  settings: LakeSettings,
  wanted: readonly string[],
): { settings: LakeSettings; added: string[] } {
  const added = [...new Set(wanted)].filter((a) => !settings.admins.includes(a));
  return { settings: { ...settings, admins: [...settings.admins, ...added] }, added };
}

/** The settings without `added`: the admins this resource put there, and no other. */
export function removeAdmins(settings: LakeSettings, added: readonly string[]): LakeSettings {
  return { ...settings, admins: settings.admins.filter((a) => !added.includes(a)) };
}

/**
 * The resource's physical id records the admins it added, the only state a custom resource keeps
 * between its create and its delete: `lake-formation-admins:["arn:…"]`.
 */
const physicalIdPrefix = 'lake-formation-admins:';

export function settingsResourceId(added: readonly string[]): string {
  return `${physicalIdPrefix}${JSON.stringify([...added].sort())}`;
}

/** The admins a physical id says were added; none for an id this resource did not write. */
export function addedAdminsOf(physicalId: string | undefined): string[] {
  if (!physicalId?.startsWith(physicalIdPrefix)) return [];
  const parsed: unknown = JSON.parse(physicalId.slice(physicalIdPrefix.length));
  return Array.isArray(parsed) ? parsed.filter((a): a is string => typeof a === 'string') : [];
}

/**
 * A settings change from CloudFormation's old and new properties. An update keeps the physical
 * id (a new one would make CloudFormation delete the old resource, taking away admins the new
 * one still wants): an admin the update adds that was not there before is kept on delete, the
 * safe side; an admin the update drops is removed only if this resource had added it.
 */
export function updateAdmins(
  settings: LakeSettings,
  previouslyAdded: readonly string[],
  oldAdmins: readonly string[],
  newAdmins: readonly string[],
): LakeSettings {
  const dropped = oldAdmins.filter((a) => !newAdmins.includes(a) && previouslyAdded.includes(a));
  return addAdmins(removeAdmins(settings, dropped), newAdmins).settings;
}

/** Lake Formation's settings and database grants, as the settings custom resource needs them. */
export interface LakeSettingsStore {
  /** Reads the settings, applies `change` to the admins, writes the whole document back. */
  update(change: (settings: LakeSettings) => LakeSettings): Promise<{ before: LakeSettings }>;
  /**
   * Revokes whatever `IAMAllowedPrincipals` holds on a database (the grant Glue gives a new
   * database while the account keeps the IAM-only default); returns the permissions revoked.
   */
  revokeIamAllowedPrincipals(database: string): Promise<string[]>;
}
