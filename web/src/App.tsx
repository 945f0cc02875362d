// The application root: who is signed in, which organization is shown, and
// which page the URL names.
//
// On load the app asks GET /api/me. No session (401) sends every private route
// to /login; a session sends /, /login and /signup to /integrations. Any later
// 401 (the session expired or was revoked) does the same. After a client-side
// navigation, focus moves to the new page's <h1>.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, onUnauthorized, setCsrfToken } from './api';
import { AppLayout } from './components/AppLayout';
import { AuthLayout } from './components/AuthLayout';
import { Loading } from './components/Loading';
import { RetryAlert } from './components/LoadState';
import { SeatLimitHost } from './components/SeatLimitHost';
import { AccountPage } from './pages/AccountPage';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { BillingPage } from './pages/BillingPage';
import { CertificatesPage } from './pages/CertificatesPage';
import { DeliveriesPage } from './pages/DeliveriesPage';
import { IntegrationsPage } from './pages/IntegrationsPage';
import { LoginPage } from './pages/LoginPage';
import { NewIntegrationPage } from './pages/NewIntegrationPage';
import { NoOrgPage } from './pages/NoOrgPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OrganizationPage } from './pages/OrganizationPage';
import { PosInvoicesPage } from './pages/PosInvoicesPage';
import { SignupPage } from './pages/SignupPage';
import { TenantChoicePage } from './pages/TenantChoicePage';
import { portal } from './portal';
import { isPublicRoute, matchRoute, navigate, tenantRouteUid, uidPageRouteUid, usePath } from './router';
import { can, pickOrg, storeOrgCode } from './session';
import type { Me } from './types';

export function App() {
  const path = usePath();
  const route = matchRoute(path);
  // undefined: still asking the server; null: not signed in.
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [bootError, setBootError] = useState<string | null>(null);
  const [orgCode, setOrgCode] = useState<string | null>(null);
  const [loggingOut, setLoggingOut] = useState(false);
  const [logoutError, setLogoutError] = useState<string | null>(null);

  const signedIn = (m: Me) => {
    setCsrfToken(m.csrf_token);
    setMe(m);
    setOrgCode(pickOrg(m, null)?.code ?? null);
  };

  const signedOut = () => {
    setCsrfToken(null);
    setMe(null);
  };

  const loadMe = () => {
    setBootError(null);
    portal
      .me(true)
      .then(signedIn)
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 401) signedOut();
        else setBootError(e instanceof ApiError ? e.message : 'Could not reach the server.');
      });
  };

  useEffect(() => {
    onUnauthorized(signedOut);
    loadMe();
    return () => onUnauthorized(null);
  }, []);

  // Route guards.
  useEffect(() => {
    if (me === undefined) return;
    if (me === null && !isPublicRoute(route)) navigate('/login', { replace: true });
    else if (me && (isPublicRoute(route) || route === 'root')) navigate('/integrations', { replace: true });
  }, [me, route]);

  // Move focus to the page heading after in-app navigation (not on first load).
  const firstPath = useRef(true);
  useEffect(() => {
    if (firstPath.current) {
      firstPath.current = false;
      return undefined;
    }
    const id = window.requestAnimationFrame(() => document.getElementById('page-title')?.focus());
    return () => window.cancelAnimationFrame(id);
  }, [path]);

  const onSignedIn = (m: Me) => {
    signedIn(m);
    setLogoutError(null);
    navigate('/integrations');
  };

  const onLogout = async () => {
    setLoggingOut(true);
    setLogoutError(null);
    try {
      await portal.logout();
    } catch (e) {
      // 401: the session had already ended, which is what the user wanted.
      if (!(e instanceof ApiError && e.status === 401)) {
        setLogoutError(e instanceof ApiError ? e.message : 'Could not reach the server.');
        setLoggingOut(false);
        return;
      }
    }
    setLoggingOut(false);
    signedOut();
    navigate('/login');
  };

  const onOrgChange = (code: string) => {
    storeOrgCode(code);
    setOrgCode(code);
  };

  if (bootError) {
    return (
      <AuthLayout>
        <h1 id="page-title" class="auth-title">
          The portal cannot start
        </h1>
        <RetryAlert message={bootError} onRetry={loadMe} />
      </AuthLayout>
    );
  }
  if (me === undefined) {
    return (
      <main id="main" class="boot">
        <Loading label="Loading the portal…" />
      </main>
    );
  }
  if (me === null) {
    if (route === 'signup') return <SignupPage onSignedIn={onSignedIn} />;
    if (route === 'login') return <LoginPage onSignedIn={onSignedIn} />;
    return null; // redirecting to /login
  }
  if (isPublicRoute(route) || route === 'root') return null; // redirecting to /integrations

  const org = me.orgs.find((o) => o.code === orgCode) ?? pickOrg(me, orgCode);
  let page;
  if (route === 'not-found') page = <NotFoundPage />;
  else if (route === 'account') page = <AccountPage me={me} />;
  else if (!org) page = <NoOrgPage />;
  else if (route === 'integrations-new') page = <NewIntegrationPage key={org.code} org={org} />;
  else if (route === 'integrations-tenant')
    page = <TenantChoicePage key={org.code} org={org} uid={tenantRouteUid(path) ?? ''} />;
  else if (route === 'integration-api-keys')
    page = <ApiKeysPage key={org.code} org={org} uid={uidPageRouteUid(path) ?? ''} />;
  else if (route === 'integration-deliveries')
    page = <DeliveriesPage key={org.code} org={org} uid={uidPageRouteUid(path) ?? ''} />;
  else if (route === 'pos-invoices') page = <PosInvoicesPage org={org} />;
  else if (route === 'certificates') page = <CertificatesPage key={org.code} org={org} />;
  else if (route === 'billing') page = <BillingPage org={org} />;
  else if (route === 'organization') page = <OrganizationPage key={org.code} me={me} org={org} onMeChanged={loadMe} />;
  else page = <IntegrationsPage me={me} org={org} />;

  return (
    <AppLayout
      me={me}
      path={path}
      orgCode={org?.code ?? null}
      onOrgChange={onOrgChange}
      onLogout={onLogout}
      loggingOut={loggingOut}
      logoutError={logoutError}
    >
      {page}
      {org && <SeatLimitHost key={org.code} orgCode={org.code} canBuy={can(org, 'billing.manage')} />}
    </AppLayout>
  );
}
