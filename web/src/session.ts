// Which organization the user is looking at. The choice survives reloads in
// localStorage; a stored code the user no longer belongs to is ignored.
import type { Me, OrgMembership } from './types';

const ORG_KEY = 'fiscalhub.org';

export function storedOrgCode(): string | null {
  try {
    return window.localStorage.getItem(ORG_KEY);
  } catch {
    return null;
  }
}

export function storeOrgCode(code: string): void {
  try {
    window.localStorage.setItem(ORG_KEY, code);
  } catch {
    /* storage disabled: the choice lasts until reload */
  }
}

/** The organization to show: the stored one when still valid, else the first. */
export function pickOrg(me: Me, preferred: string | null): OrgMembership | null {
  if (me.orgs.length === 0) return null;
  const code = preferred ?? storedOrgCode();
  return me.orgs.find((o) => o.code === code) ?? me.orgs[0];
}

export function can(org: OrgMembership | null, permission: string): boolean {
  return !!org && org.permissions.includes(permission);
}
