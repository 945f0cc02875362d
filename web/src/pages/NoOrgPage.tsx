import { EmptyState } from '../components/EmptyState';
import { PageHeader } from '../components/PageHeader';
import { useTitle } from '../useTitle';

export function NoOrgPage() {
  useTitle('No organization');
  return (
    <>
      <PageHeader title="No organization" />
      <section class="panel" aria-label="No organization">
        <EmptyState icon="inbox" title="You are not a member of any organization">
          <p>Ask an admin or owner of your company's organization to add you by your email address.</p>
        </EmptyState>
      </section>
    </>
  );
}
