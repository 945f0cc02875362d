// Integrations → Create Integration: one card per type. Xero connects here
// (certificate, fiscalization trigger, Xero's consent); Custom / Webhook and
// Custom Integration have their own cards (CustomTypeCards); Zoho Books is not
// built yet and says so.
import { useState } from 'preact/hooks';
import { CREATE_DENIED_REASON } from '../components/CreateIntegrationButton';
import { CustomTypeCards } from '../components/CustomTypeCards';
import { GuardedButton } from '../components/GuardedButton';
import { Icon } from '../components/Icon';
import { IntegrationTypeCard } from '../components/IntegrationTypeCard';
import { Link } from '../components/Link';
import { PageHeader } from '../components/PageHeader';
import { XeroSetup } from '../components/XeroSetup';
import { can } from '../session';
import type { OrgMembership } from '../types';
import { useTitle } from '../useTitle';

interface Props {
  org: OrgMembership;
}

const SOON = [
  {
    type: 'zoho_books',
    name: 'Zoho Books',
    description:
      'Receive Zoho Books invoices through a workflow webhook (with polling as a fallback) and write the fiscal result back to the invoice.',
  },
];

export function NewIntegrationPage({ org }: Props) {
  useTitle('Create Integration');
  const canManage = can(org, 'integrations.manage');
  const [connecting, setConnecting] = useState(false);

  return (
    <>
      <Link href="/integrations" class="back-link">
        <Icon name="arrow-left" />
        Back to Integrations
      </Link>
      <PageHeader
        title="Create Integration"
        description={`Choose the platform you want fiscalhub to connect to ${org.name}.`}
      />
      <ul class="type-grid">
        <IntegrationTypeCard
          type="xero"
          name="Xero"
          description="Fiscalize Xero sales invoices when a payment is added or when the invoice is approved, and write the fiscal number and verification URL back to Xero."
          details={
            <ol class="type-card-steps" aria-label="How connecting Xero works">
              <li>Choose or upload the taxpayer certificate</li>
              <li>Choose the fiscalization trigger</li>
              <li>Log in to Xero, pick the organisation and allow access</li>
            </ol>
          }
          action={
            <GuardedButton
              id="connect-xero-button"
              allowed={canManage}
              reason={CREATE_DENIED_REASON}
              role={org.role}
              showReason
              align="start"
              onClick={() => setConnecting(true)}
            >
              Connect Xero
            </GuardedButton>
          }
        />
        <CustomTypeCards org={org} canManage={canManage} />
        {SOON.map((t) => (
          <IntegrationTypeCard key={t.type} {...t} />
        ))}
      </ul>
      <p class="type-grid-note" id="connect-unavailable">
        Zoho Books is coming in a later version of fiscalhub; it cannot be connected yet.
      </p>
      {connecting && <XeroSetup org={org} onClose={() => setConnecting(false)} />}
    </>
  );
}
