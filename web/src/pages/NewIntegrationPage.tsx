// Integrations → Create Integration: one card per type. Xero and Zoho Books
// connect here (certificate, the platform's settings, its consent: see
// ConnectSetup); Custom / Webhook and Custom Integration have their own cards
// (CustomTypeCards).
import { useState } from 'preact/hooks';
import { CREATE_DENIED_REASON } from '../components/CreateIntegrationButton';
import { ConnectSetup } from '../components/ConnectSetup';
import { CustomTypeCards } from '../components/CustomTypeCards';
import { GuardedButton } from '../components/GuardedButton';
import { Icon } from '../components/Icon';
import { IntegrationTypeCard } from '../components/IntegrationTypeCard';
import { Link } from '../components/Link';
import { PageHeader } from '../components/PageHeader';
import { fullStop } from '../format';
import { XERO, ZOHO_BOOKS, type OAuthPlatform } from '../integrations';
import { can } from '../session';
import type { OrgMembership } from '../types';
import { useTitle } from '../useTitle';

interface Props {
  org: OrgMembership;
}

export function NewIntegrationPage({ org }: Props) {
  useTitle('Create Integration');
  const canManage = can(org, 'integrations.manage');
  const [connecting, setConnecting] = useState<OAuthPlatform | null>(null);

  const connectButton = (id: string, platform: OAuthPlatform) => (
    <GuardedButton
      id={id}
      allowed={canManage}
      reason={CREATE_DENIED_REASON}
      role={org.role}
      showReason
      align="start"
      onClick={() => setConnecting(platform)}
    >
      Connect {platform.name}
    </GuardedButton>
  );

  return (
    <>
      <Link href="/integrations" class="back-link">
        <Icon name="arrow-left" />
        Back to Integrations
      </Link>
      <PageHeader
        title="Create Integration"
        description={`Choose the platform you want fiscalhub to connect to ${org.name}${fullStop(org.name)}`}
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
          action={connectButton('connect-xero-button', XERO)}
        />
        <IntegrationTypeCard
          type="zoho_books"
          name="Zoho Books"
          description="Receive Zoho Books invoices through a workflow webhook (with polling as a fallback, as often as your plan allows) and write the fiscal number and verification URL back to the invoice."
          details={
            <ol class="type-card-steps" aria-label="How connecting Zoho Books works">
              <li>Choose or upload the taxpayer certificate</li>
              <li>Choose the data center and which invoices to fiscalize</li>
              <li>Sign in to Zoho, pick the organization and accept</li>
            </ol>
          }
          action={connectButton('connect-zoho-button', ZOHO_BOOKS)}
        />
        <CustomTypeCards org={org} canManage={canManage} />
      </ul>
      {connecting && <ConnectSetup org={org} platform={connecting} onClose={() => setConnecting(null)} />}
    </>
  );
}
