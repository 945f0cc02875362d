// Integrations → Create Integration: one card per type. Xero connects here
// (certificate, fiscalization trigger, Xero's consent); Zoho Books, Custom /
// Webhook and Custom Integration are not built yet and say so.
import { useState } from 'preact/hooks';
import { CREATE_DENIED_REASON } from '../components/CreateIntegrationButton';
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
  {
    type: 'webhook',
    name: 'Custom / Webhook',
    description:
      'fiscalhub posts every fiscalized invoice (invoice data, fiscal signature and verification URL) to your endpoint, with the headers you configure.',
  },
  {
    type: 'custom',
    name: 'Custom Integration',
    description:
      "Create, read and manage fiscal invoices from your own software through fiscalhub's REST API, using API keys you issue here.",
    premium: true,
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
        {SOON.map((t) => (
          <IntegrationTypeCard key={t.type} {...t} />
        ))}
      </ul>
      <p class="type-grid-note" id="connect-unavailable">
        Zoho Books, Custom / Webhook and Custom Integration are coming in a later version of fiscalhub; they cannot be
        connected yet.
      </p>
      {connecting && <XeroSetup org={org} onClose={() => setConnecting(false)} />}
    </>
  );
}
