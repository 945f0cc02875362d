// Integrations → a Custom Integration's API Keys: the keys its software
// authenticates with (label, Client ID, created, last used, Revoke). Create
// key shows the new secret once; only a hash is stored, so a reload shows the
// key without it. Revoking asks first: the key stops working on its next
// request.
import { useState } from 'preact/hooks';
import { ApiKeysTable } from '../components/ApiKeysTable';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CreateApiKeyDialog } from '../components/CreateApiKeyDialog';
import { EmptyState } from '../components/EmptyState';
import { GuardedButton } from '../components/GuardedButton';
import { Icon } from '../components/Icon';
import { Link } from '../components/Link';
import { LoadState } from '../components/LoadState';
import { PageHeader } from '../components/PageHeader';
import { StatusNote } from '../components/StatusNote';
import { customApi, type ApiKey } from '../custom';
import { can } from '../session';
import type { OrgMembership } from '../types';
import { useResource } from '../useResource';
import { useTitle } from '../useTitle';
import '../styles/custom.css';

interface Props {
  org: OrgMembership;
  uid: string;
}

export const MANAGE_KEYS_DENIED = 'Only admins and owners of this organization can create or revoke API keys.';

export function ApiKeysPage({ org, uid }: Props) {
  useTitle(`API Keys · ${uid}`);
  const canManage = can(org, 'integrations.manage');
  const { data, error, loading, reload } = useResource(
    `${org.code}/${uid}`,
    async (signal) => {
      const [integration, keys] = await Promise.all([
        customApi.integration(org.code, uid, signal),
        customApi.keys(org.code, uid, signal),
      ]);
      return { integration, keys: keys.api_keys };
    },
    'Could not load the API keys.',
  );
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [note, setNote] = useState<string | null>(null);

  const createButton = (
    <GuardedButton
      id="create-api-key-button"
      allowed={canManage}
      reason={MANAGE_KEYS_DENIED}
      role={org.role}
      showReason
      icon="plus"
      onClick={() => {
        setNote(null);
        setCreating(true);
      }}
    >
      Create key
    </GuardedButton>
  );
  const keys = data?.keys ?? [];
  const cert = data?.integration?.certificate_uid;

  return (
    <>
      <Link href="/integrations" class="back-link">
        <Icon name="arrow-left" />
        Back to Integrations
      </Link>
      <PageHeader
        title="API Keys"
        description={
          <>
            Custom Integration <code class="uid">{uid}</code>
            {cert ? (
              <>
                {' '}
                · invoices are signed with certificate <code class="uid">{cert}</code>
              </>
            ) : null}
            . Your software calls <code>/api/v1</code> with a key (HTTP Basic: Client ID and secret); the API is
            described at <a href="/api/openapi.json">/api/openapi.json</a>.
          </>
        }
        actions={keys.length > 0 ? createButton : undefined}
      />
      <StatusNote message={note} />
      <LoadState loading={loading} error={error} label="Loading API keys…" onRetry={reload} />
      {data &&
        (keys.length > 0 ? (
          <ApiKeysTable
            keys={keys}
            canManage={canManage}
            deniedReason={MANAGE_KEYS_DENIED}
            onRevoke={(k) => {
              setNote(null);
              setRevoking(k);
            }}
          />
        ) : (
          <section class="panel" aria-label="API keys list">
            <EmptyState icon="shield" title="No API keys yet" action={createButton}>
              <p>Create a key for each system or till that submits invoices, so you can revoke one without the others.</p>
            </EmptyState>
          </section>
        ))}
      {creating && (
        <CreateApiKeyDialog
          orgCode={org.code}
          uid={uid}
          onCreated={reload}
          onClose={() => setCreating(false)}
        />
      )}
      {revoking && (
        <ConfirmDialog
          id="revoke-api-key"
          title={`Revoke the key “${revoking.label}”?`}
          confirmLabel="Revoke key"
          busyLabel="Revoking…"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            const k = await customApi.revokeKey(org.code, uid, revoking.client_id);
            setRevoking(null);
            setNote(`API key ${k.label} (${k.client_id}) revoked.`);
            reload();
          }}
        >
          <p>
            <code>{revoking.client_id}</code>
          </p>
          <p>
            Revoking is final: the next request made with this key is refused (401). Invoices already submitted with it
            stay as they are.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
