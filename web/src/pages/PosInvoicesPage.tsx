// POS → POS Invoices: the fiscalized invoices. None exist until an
// integration sends invoices, which needs the connection flow.
import { EmptyState } from '../components/EmptyState';
import { PageHeader } from '../components/PageHeader';
import { useTitle } from '../useTitle';

export function PosInvoicesPage() {
  useTitle('POS Invoices');
  return (
    <>
      <PageHeader title="POS Invoices" description="Every invoice fiscalized through your integrations." />
      <section class="panel" aria-label="Fiscalized invoices">
        <EmptyState icon="receipt" title="No fiscalized invoices yet">
          <p>
            Invoices appear here once an integration sends them for fiscalization. Each will show its fiscal invoice
            number, verification URL, QR code and journal.
          </p>
        </EmptyState>
      </section>
    </>
  );
}
