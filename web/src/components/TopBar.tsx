// The banner: product mark, organization switcher, the signed-in user and
// Log out.
import { Link } from './Link';
import { Logo } from './Logo';
import { OrgSwitcher } from './OrgSwitcher';
import { Icon } from './Icon';
import type { Me } from '../types';

interface Props {
  me: Me;
  orgCode: string | null;
  onOrgChange: (code: string) => void;
  onLogout: () => void;
  loggingOut: boolean;
}

export function TopBar({ me, orgCode, onOrgChange, onLogout, loggingOut }: Props) {
  return (
    <header class="topbar">
      <Link href="/integrations" class="topbar-brand">
        <Logo />
        <span class="visually-hidden"> home</span>
      </Link>
      <div class="topbar-right">
        {me.orgs.length > 1 && orgCode && <OrgSwitcher orgs={me.orgs} current={orgCode} onChange={onOrgChange} />}
        <span class="topbar-user">
          <span class="avatar" aria-hidden="true">
            {(me.user.name || me.user.email).slice(0, 1).toUpperCase()}
          </span>
          <span class="topbar-email" data-testid="user-email">
            {me.user.email}
          </span>
        </span>
        <button type="button" class="btn btn--ghost" onClick={onLogout} disabled={loggingOut}>
          <Icon name="logout" />
          {loggingOut ? 'Logging out…' : 'Log out'}
        </button>
      </div>
    </header>
  );
}
