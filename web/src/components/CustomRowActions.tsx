// The row actions of this module's integration types on the Integrations
// page: a Custom Integration's API Keys; a Custom / Webhook integration's
// Configure (the endpoint dialog) and Deliveries (its log, with Redeliver).
// Remove is the table's own action for every type.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { customApi, type WebhookEndpoint } from '../custom';
import type { Integration } from '../types';
import { Link } from './Link';
import { WebhookDialog } from './WebhookDialog';

interface Props {
  orgCode: string;
  integration: Integration;
  canManage: boolean;
  disabled?: boolean;
  deniedReason: string;
}

export function CustomRowActions({ orgCode, integration: it, canManage, disabled, deniedReason }: Props) {
  const [configuring, setConfiguring] = useState(false);
  const [endpoint, setEndpoint] = useState<WebhookEndpoint | null>(null);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const uidText = <span class="visually-hidden"> {it.uid}</span>;

  useEffect(() => {
    if (!configuring) return undefined;
    const ctl = new AbortController();
    customApi
      .webhook(orgCode, it.uid, ctl.signal)
      .then(setEndpoint)
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        setConfiguring(false);
        setNote({ ok: false, text: e instanceof ApiError ? e.message : 'The endpoint could not be loaded.' });
      });
    return () => ctl.abort();
  }, [configuring]);

  if (it.type === 'custom') {
    return (
      <Link href={`/integrations/${encodeURIComponent(it.uid)}/api-keys`} class="btn btn--secondary btn--small">
        API Keys{uidText}
      </Link>
    );
  }
  if (it.type !== 'webhook') return null;
  return (
    <>
      <button
        type="button"
        class="btn btn--secondary btn--small"
        disabled={!canManage || disabled || configuring}
        title={canManage ? undefined : deniedReason}
        onClick={() => {
          setNote(null);
          setEndpoint(null);
          setConfiguring(true);
        }}
      >
        Configure{uidText}
      </button>
      <Link href={`/integrations/${encodeURIComponent(it.uid)}/deliveries`} class="btn btn--secondary btn--small">
        Deliveries{uidText}
      </Link>
      {note && (
        <span role={note.ok ? 'status' : 'alert'} class={note.ok ? 'row-note row-note--ok' : 'row-note row-note--error'}>
          {note.text}
        </span>
      )}
      {configuring && endpoint && (
        <WebhookDialog
          orgCode={orgCode}
          uid={it.uid}
          endpoint={endpoint}
          onClose={() => setConfiguring(false)}
          onSaved={(m) => {
            setConfiguring(false);
            setNote({ ok: true, text: m });
          }}
        />
      )}
    </>
  );
}
