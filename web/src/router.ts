// Client-side routing over the History API. The server answers every unknown
// non-/api GET with index.html, so any route below can be loaded directly.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

function notify(): void {
  for (const l of listeners) l();
}

window.addEventListener('popstate', notify);

export function currentPath(): string {
  return window.location.pathname;
}

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === window.location.pathname + window.location.search) {
    if (!opts.replace) return;
  }
  if (opts.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  notify();
}

/** The current pathname; re-renders the caller when it changes. */
export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = () => setPath(currentPath());
    listeners.add(update);
    update();
    return () => {
      listeners.delete(update);
    };
  }, []);
  return path;
}

export type RouteName =
  | 'signup'
  | 'login'
  | 'integrations'
  | 'integrations-new'
  | 'integrations-tenant'
  | 'integration-api-keys'
  | 'integration-deliveries'
  | 'certificates'
  | 'pos-invoices'
  | 'billing'
  | 'organization'
  | 'account'
  | 'root'
  | 'not-found';

const ROUTES: Record<string, RouteName> = {
  '/': 'root',
  '/signup': 'signup',
  '/login': 'login',
  '/integrations': 'integrations',
  '/integrations/new': 'integrations-new',
  '/integrations/certificates': 'certificates',
  '/pos/invoices': 'pos-invoices',
  '/billing': 'billing',
  '/organization': 'organization',
  '/account': 'account',
};

// /integrations/<uid>/tenant: where the Xero callback sends the user to pick
// one of several authorized organisations.
const TENANT_ROUTE = /^\/integrations\/([A-Za-z0-9_-]{1,32})\/tenant$/;

// /integrations/<uid>/api-keys (Custom Integration), /integrations/<uid>/deliveries (Custom / Webhook).
const UID_PAGE_ROUTE = /^\/integrations\/([A-Za-z0-9_-]{1,32})\/(api-keys|deliveries)$/;

export function matchRoute(path: string): RouteName {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (TENANT_ROUTE.test(p)) return 'integrations-tenant';
  const own = UID_PAGE_ROUTE.exec(p);
  if (own) return own[2] === 'api-keys' ? 'integration-api-keys' : 'integration-deliveries';
  return ROUTES[p] ?? 'not-found';
}

/** The integration UID of an /integrations/<uid>/tenant path (else null). */
export function tenantRouteUid(path: string): string | null {
  const m = TENANT_ROUTE.exec(path.length > 1 ? path.replace(/\/+$/, '') : path);
  return m ? m[1] : null;
}

/** The integration UID of an /integrations/<uid>/api-keys or /deliveries path (else null). */
export function uidPageRouteUid(path: string): string | null {
  const m = UID_PAGE_ROUTE.exec(path.length > 1 ? path.replace(/\/+$/, '') : path);
  return m ? m[1] : null;
}

/** Routes reachable without a session. */
export function isPublicRoute(r: RouteName): boolean {
  return r === 'signup' || r === 'login';
}
