// The signed-in frame: skip link, banner, sidebar navigation and the main
// region the current page renders into.
import type { ComponentChildren } from 'preact';
import type { Me } from '../types';
import { ErrorAlert } from './ErrorAlert';
import { Sidebar } from './Sidebar';
import { TopBar } from './TopBar';

interface Props {
  me: Me;
  path: string;
  orgCode: string | null;
  onOrgChange: (code: string) => void;
  onLogout: () => void;
  loggingOut: boolean;
  logoutError: string | null;
  children: ComponentChildren;
}

export function AppLayout({ me, path, orgCode, onOrgChange, onLogout, loggingOut, logoutError, children }: Props) {
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <TopBar me={me} orgCode={orgCode} onOrgChange={onOrgChange} onLogout={onLogout} loggingOut={loggingOut} />
      <div class="frame">
        <Sidebar path={path} />
        <main id="main" class="content" tabIndex={-1}>
          {logoutError && <ErrorAlert message={`Could not log out: ${logoutError}`} />}
          {children}
        </main>
      </div>
    </div>
  );
}
