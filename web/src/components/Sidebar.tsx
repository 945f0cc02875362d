// Main navigation, grouped as in the product: Integrations (with its
// Certificates), POS, Account (Organization, Billing, Your account).
import { Icon, type IconName } from './Icon';
import { Link } from './Link';

interface Props {
  path: string;
}

interface Item {
  href: string;
  label: string;
  icon: IconName;
  match: (p: string) => boolean;
}

interface Group {
  id: string;
  title: string;
  items: Item[];
}

const GROUPS: Group[] = [
  {
    id: 'nav-integrations',
    title: 'Integrations',
    items: [
      {
        href: '/integrations',
        label: 'Integrations',
        icon: 'plug',
        match: (p) => p.startsWith('/integrations') && !p.startsWith('/integrations/certificates'),
      },
      {
        href: '/integrations/certificates',
        label: 'Certificates',
        icon: 'shield',
        match: (p) => p.startsWith('/integrations/certificates'),
      },
    ],
  },
  {
    id: 'nav-pos',
    title: 'POS',
    items: [{ href: '/pos/invoices', label: 'POS Invoices', icon: 'receipt', match: (p) => p.startsWith('/pos') }],
  },
  {
    id: 'nav-account',
    title: 'Account',
    items: [
      { href: '/organization', label: 'Organization', icon: 'users', match: (p) => p.startsWith('/organization') },
      { href: '/billing', label: 'Billing', icon: 'card', match: (p) => p.startsWith('/billing') },
      { href: '/account', label: 'Your account', icon: 'user', match: (p) => p.startsWith('/account') },
    ],
  },
];

export function Sidebar({ path }: Props) {
  return (
    <nav class="sidebar" aria-label="Main">
      {GROUPS.map((g) => (
        <div class="nav-group" key={g.id}>
          <p class="nav-group-title" id={g.id}>
            {g.title}
          </p>
          <ul class="nav-list" aria-labelledby={g.id}>
            {g.items.map((it) => {
              const current = it.match(path);
              return (
                <li key={it.href}>
                  <Link href={it.href} class={current ? 'nav-link nav-link--current' : 'nav-link'} current={current}>
                    <Icon name={it.icon} />
                    {it.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </nav>
  );
}
