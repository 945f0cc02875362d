// /integrations/<uid>/tenant: the consent (Xero, Zoho Books) authorized
// several organizations; the user picks the one this integration connects to
// (GET .../tenants, POST .../tenant). Continue activates the integration and
// returns to the Integrations page with the success notice. The platform's
// name (and its spelling of "organisation") comes from the integration list.
import { useState } from 'preact/hooks';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { EmptyState } from '../components/EmptyState';
import { Icon } from '../components/Icon';
import { Link } from '../components/Link';
import { LoadState } from '../components/LoadState';
import { PageHeader } from '../components/PageHeader';
import { RadioOption } from '../components/RadioOption';
import { integrationsApi, oauthPlatform } from '../integrations';
import { portal } from '../portal';
import { navigate } from '../router';
import { can } from '../session';
import type { OrgMembership } from '../types';
import { useResource } from '../useResource';
import { useTitle } from '../useTitle';

interface Props {
  org: OrgMembership;
  uid: string;
}

const PICK_DENIED = 'Only admins and owners of this organization can connect integrations.';

async function load(org: string, uid: string, signal: AbortSignal) {
  const [tenants, list] = await Promise.all([
    integrationsApi.tenants(org, uid, signal),
    portal.integrations(org, signal).catch(() => null),
  ]);
  const it = list ? [...list.integrations, ...list.pending].find((i) => i.uid === uid) : undefined;
  return { ...tenants, type: it?.type ?? null };
}

export function TenantChoicePage({ org, uid }: Props) {
  const canManage = can(org, 'integrations.manage');
  const { data, error, loading, reload } = useResource(
    `${org.code}/${uid}`,
    (signal) => load(org.code, uid, signal),
    'Could not load the organizations to choose from.',
  );
  const platform = oauthPlatform(data?.type);
  const word = platform?.org ?? 'organization';
  const what = platform ? `${platform.name} ${platform.org}` : 'organization';
  useTitle(`Choose the ${what}`);
  const [choice, setChoice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [missing, setMissing] = useState(false);

  const tenants = data?.tenants ?? [];

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!choice) {
      setMissing(true);
      document.getElementById(`tenant-${tenants[0]?.tenant_id ?? ''}`)?.focus();
      return;
    }
    setBusy(true);
    setSubmitError(null);
    try {
      await integrationsApi.pickTenant(org.code, uid, choice);
      navigate(`/integrations?connected=${encodeURIComponent(uid)}`);
    } catch (err) {
      setSubmitError(err ?? 'failed');
      setBusy(false);
    }
  };

  return (
    <>
      <Link href="/integrations" class="back-link">
        <Icon name="arrow-left" />
        Back to Integrations
      </Link>
      <PageHeader
        title={`Choose the ${what}`}
        description={
          <>
            You allowed access to more than one {what}. Integration <code>{uid}</code> fiscalizes the invoices of one
            of them; choose which.
          </>
        }
      />

      <LoadState loading={loading} error={error} label={`Loading the ${word}s…`} onRetry={reload} />

      {data && tenants.length === 0 && (
        <section class="panel" aria-label={`${what}s`}>
          <EmptyState
            icon="plug"
            title={data.selected ? `Connected to ${data.selected.name}` : `No ${word} to choose`}
            action={
              <Link href="/integrations" class="btn btn--primary">
                Go to Integrations
              </Link>
            }
          >
            <p>
              {data.selected
                ? `Integration ${uid} is already connected to this ${what}.`
                : `There is no choice waiting for integration ${uid}. Resume or Reconnect it from the Integrations page to run ${platform?.consent ?? 'the platform'}'s consent again.`}
            </p>
          </EmptyState>
        </section>
      )}

      {data && tenants.length > 0 && (
        <section class="panel tenant-choice" aria-labelledby="tenant-choice-heading">
          <h2 id="tenant-choice-heading" class="visually-hidden">
            Authorized {what}s
          </h2>
          {submitError !== null && (
            <ApiErrorAlert error={submitError} fallback={`The ${word} could not be selected; please try again.`} />
          )}
          <form class="form" onSubmit={onSubmit} aria-label={`Choose the ${what}`} noValidate>
            <fieldset class="choice-group" aria-describedby={missing && !choice ? 'tenant-missing' : undefined}>
              <legend class="field-label">{platform ? what : 'Organization'}</legend>
              {tenants.map((t) => (
                <RadioOption
                  key={t.tenant_id}
                  id={`tenant-${t.tenant_id}`}
                  name="tenant"
                  value={t.tenant_id}
                  checked={choice === t.tenant_id}
                  onSelect={(v) => {
                    setChoice(v);
                    setMissing(false);
                  }}
                  label={t.name}
                  disabled={busy || !canManage}
                />
              ))}
              {missing && !choice && (
                <p class="field-error" id="tenant-missing">
                  Choose one of the {word}s.
                </p>
              )}
            </fieldset>
            <div class="form-actions">
              <button
                type="submit"
                class="btn btn--primary"
                disabled={busy || !canManage}
                title={canManage ? undefined : PICK_DENIED}
              >
                {busy ? 'Connecting…' : 'Continue'}
              </button>
              <Link href="/integrations" class="btn btn--secondary">
                Cancel
              </Link>
            </div>
          </form>
        </section>
      )}
    </>
  );
}
