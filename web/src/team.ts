// The organization's members and the signed-in user's password
// (docs/api/portal.md), typed.
import { api, seg } from './api';

export type Role = 'viewer' | 'member' | 'admin' | 'owner';

export interface Member {
  user_id: number;
  email: string;
  name: string;
  role: Role | string;
}

export interface NewMember {
  email: string;
  role: Role;
  /** Only for a person without an account yet: their name and initial password. */
  name?: string;
  password?: string;
}

export const ROLES: Role[] = ['viewer', 'member', 'admin', 'owner'];

const ROLE_WORDS: Record<Role, string> = {
  viewer: 'Viewer',
  member: 'Member',
  admin: 'Admin',
  owner: 'Owner',
};

/** What each role may do, in the words of the permission table. */
export const ROLE_HINTS: Record<Role, string> = {
  viewer: 'sees integrations, certificates and invoices',
  member: 'also tests connections and retries invoices',
  admin: 'also connects and removes integrations, uploads certificates and manages members',
  owner: 'also renames the organization, manages billing and owners',
};

export function roleLabel(role: string): string {
  return ROLE_WORDS[role as Role] ?? role;
}

/** "an admin", "a viewer": the role in a sentence. */
export function aRole(role: string): string {
  const word = roleLabel(role).toLowerCase();
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}

export const team = {
  members: (org: string, signal?: AbortSignal) =>
    api.get<{ members: Member[] }>(`/api/orgs/${seg(org)}/members`, { signal }),
  add: (org: string, m: NewMember) => api.post<Member>(`/api/orgs/${seg(org)}/members`, m),
  setRole: (org: string, userId: number, role: Role) =>
    api.patch<Member>(`/api/orgs/${seg(org)}/members/${userId}`, { role }),
  remove: (org: string, userId: number) => api.del<void>(`/api/orgs/${seg(org)}/members/${userId}`),
  changePassword: (current: string, next: string) =>
    api.post<void>('/api/me/password', { current_password: current, new_password: next }),
};

export interface OrgReply {
  code: string;
  name: string;
  role: string;
  permissions: string[];
}

export const orgs = {
  rename: (org: string, name: string) => api.patch<OrgReply>(`/api/orgs/${seg(org)}`, { name }),
  create: (name: string) => api.post<OrgReply>('/api/orgs', { name }),
};
