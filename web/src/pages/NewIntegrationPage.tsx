// Integrations → Create Integration: one card per type. The connection flow
// (certificate upload, partner consent) is not built yet; the page says so.
import { Icon } from '../components/Icon';
import { IntegrationTypeCard } from '../components/IntegrationTypeCard';
import { Link } from '../components/Link';
import { Notice } from '../components/Notice';
import { PageHeader } from '../components/PageHeader';
import { useTitle } from '../useTitle';

const TYPES = [
  {
    type: 'xero',
    name: 'Xero',
    description:
      'Fiscalize Xero sales invoices when a payment is added or when the invoice is approved, and write the fiscal number, verification URL and QR code back to Xero.',
  },
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

export function NewIntegrationPage() {
  useTitle('Create Integration');
  return (
    <>
      <Link href="/integrations" class="back-link">
        <Icon name="arrow-left" />
        Back to Integrations
      </Link>
      <PageHeader title="Create Integration" description="Choose the platform you want fiscalhub to connect to." />
      <div id="connect-unavailable">
        <Notice>
          <p>
            <strong>Connecting is coming soon.</strong> This version of fiscalhub does not yet run the connection flow
            (fiscal certificate upload and the partner's consent page), so no integration can be created from here
            yet.
          </p>
        </Notice>
      </div>
      <ul class="type-grid">
        {TYPES.map((t) => (
          <IntegrationTypeCard key={t.type} {...t} />
        ))}
      </ul>
    </>
  );
}
