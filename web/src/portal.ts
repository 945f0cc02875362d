// The documented portal endpoints (docs/api/portal.md), typed.
import { api, seg } from './api';
import type { IntegrationsReply, Me } from './types';

export interface SignupInput {
  email: string;
  password: string;
  name: string;
  company: string;
}

export const portal = {
  signup: (input: SignupInput) => api.post<Me>('/api/auth/signup', input, { quiet401: true }),
  login: (email: string, password: string) =>
    api.post<Me>('/api/auth/login', { email, password }, { quiet401: true }),
  logout: () => api.post<void>('/api/auth/logout'),
  me: (quiet401 = false) => api.get<Me>('/api/me', { quiet401 }),
  integrations: (org: string, signal?: AbortSignal) =>
    api.get<IntegrationsReply>(`/api/orgs/${seg(org)}/integrations`, { signal }),
};
