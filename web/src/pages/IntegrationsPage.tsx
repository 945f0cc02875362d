// Integrations → Integrations: codes, usage, pending setups and the table of
// connected platforms (or the empty state).
import { CopyField } from '../components/CopyField';
import { CreateIntegrationButton } from '../components/CreateIntegrationButton';
import { EmptyState } from '../components/EmptyState';
import { ErrorAlert } from '../components/ErrorAlert';
import { IntegrationsTable } from '../components/IntegrationsTable';
import { Loading } from '../components/Loading';
import { PageHeader } from '../components/PageHeader';
import { PendingSection } from '../components/PendingSection';
import { UsagePanel } from '../components/UsagePanel';
import { can } from '../session';
import type { Me, OrgMembership } from '../types';
import { useIntegrations } from '../useIntegrations';
import { useTitle } from '../useTitle';

interface Props {
  me: Me;
  org: OrgMembership;
}

export function IntegrationsPage({ me, org }: Props) {
  useTitle('Integrations');
  const { data, error, loading, reload } = useIntegrations(org.code);
  const canManage = can(org, 'integrations.manage');
  const hasRows = !!data && data.integrations.length > 0;

  return (
    <>
      <PageHeader
        title="Integrations"
        description={`The platforms ${org.name} has connected; fiscalhub fiscalizes their invoices and writes the fiscal result back.`}
        actions={hasRows ? <CreateIntegrationButton canManage={canManage} role={org.role} showReason /> : undefined}
      />

      <section class="panel summary" aria-labelledby="summary-heading">
        <h2 id="summary-heading" class="visually-hidden">
          Account codes
        </h2>
        <dl class="summary-codes">
          <CopyField id="tenant-code" label="Tenant Code" value={me.tenant.code} />
          <CopyField id="org-code" label="Organization Code" value={org.code} />
        </dl>
      </section>

      {loading && <Loading label="Loading integrations…" />}
      {error && (
        <ErrorAlert message={error}>
          <button type="button" class="btn btn--secondary btn--small" onClick={reload}>
            Try again
          </button>
        </ErrorAlert>
      )}

      {data && (
        <>
          <UsagePanel usage={data.usage} />
          {data.pending.length > 0 && <PendingSection pending={data.pending} />}
          {hasRows ? (
            <IntegrationsTable integrations={data.integrations} usage={data.usage} />
          ) : (
            <section class="panel" aria-label="Integrations list">
              <EmptyState
                icon="plug"
                title="No integrations yet"
                action={<CreateIntegrationButton canManage={canManage} role={org.role} showReason />}
              >
                <p>
                  Connect Xero, Zoho Books or your own software. fiscalhub signs each invoice that must be fiscalized
                  with your fiscal certificate, reports it to the tax authority exactly once, and writes the fiscal
                  number, verification URL and QR code back to where the invoice came from.
                </p>
              </EmptyState>
            </section>
          )}
        </>
      )}
    </>
  );
}
