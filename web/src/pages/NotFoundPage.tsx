import { EmptyState } from '../components/EmptyState';
import { Link } from '../components/Link';
import { PageHeader } from '../components/PageHeader';
import { useTitle } from '../useTitle';

export function NotFoundPage() {
  useTitle('Page not found');
  return (
    <>
      <PageHeader title="Page not found" />
      <section class="panel" aria-label="Not found">
        <EmptyState icon="inbox" title="There is nothing at this address">
          <p>
            Go to <Link href="/integrations">Integrations</Link>.
          </p>
        </EmptyState>
      </section>
    </>
  );
}
