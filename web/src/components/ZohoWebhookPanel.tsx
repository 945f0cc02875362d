// The Zoho Books Webhook Setup panel, under the integrations table for each
// active Zoho Books integration: Zoho Books has no app-level webhooks, so the
// user adds a workflow rule in their organization that calls this
// integration's own URL, signed with its secret. The panel gives the URL and
// the secret (each with Copy; the secret only to integrations.manage, hidden
// behind Show), the steps in Zoho (GET .../webhook), Rotate secret (a confirm
// dialog, POST .../webhook/rotate), and whether webhooks are arriving and
// when fiscalhub last polled. The steps collapse; they start open while no
// webhook arrives.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { formatShortDateTime } from '../format';
import type { Integration } from '../types';
import { pollEvery, zohoApi, type ZohoWebhook } from '../zoho';
import { Badge } from './Badge';
import { ConfirmDialog } from './ConfirmDialog';
import { CopyField } from './CopyField';
import { Icon } from './Icon';
import { Loading } from './Loading';
import { RetryAlert } from './LoadState';
import { TypeIcon } from './TypeIcon';

interface Props {
  orgCode: string;
  integration: Integration;
  canManage: boolean;
  /** The integration changed (a rotation switches it to polling). */
  onChanged: () => void;
}

const ROTATE_DENIED = 'Only admins and owners of this organization can rotate the webhook secret.';

// Shown when the server sends no steps of its own.
const DEFAULT_STEPS = [
  'In Zoho Books, open Settings → Automation → Workflow Rules and click + New Workflow Rule.',
  'Choose the Invoice module, an event-based rule that runs when an invoice is Created or Edited.',
  'Under Actions, add a Webhook action with the method POST and the webhook URL above.',
  'Keep the body as the Default payload (JSON with all the invoice’s fields).',
  'Tick “I want to secure this webhook” and enter the secret above, then save the webhook and the rule.',
  'Add a second rule the same way on the Credit Notes module, with the same webhook, so that credit notes become refunds at once.',
];

function When({ iso }: { iso: string }) {
  return <time dateTime={iso}>{formatShortDateTime(iso)}</time>;
}

export function ZohoWebhookPanel({ orgCode, integration: it, canManage, onChanged }: Props) {
  const arriving = it.sync_mode === 'webhook';
  const [open, setOpen] = useState(!arriving);
  const [hook, setHook] = useState<ZohoWebhook | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [nonce, setNonce] = useState(0);
  const [rotating, setRotating] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    setLoadError(null);
    zohoApi
      .webhook(orgCode, it.uid, ctl.signal)
      .then(setHook)
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setLoadError(e instanceof ApiError ? e.message : 'The webhook setup could not be loaded.');
      });
    return () => ctl.abort();
  }, [orgCode, it.uid, nonce]);

  const base = `zoho-webhook-${it.uid}`;
  const titleId = `${base}-title`;
  const subtitleId = `${base}-subtitle`;
  const bodyId = `${base}-body`;
  const steps = hook?.steps && hook.steps.length > 0 ? hook.steps : DEFAULT_STEPS;
  const seen = it.webhooks_seen_at ?? null;
  const polled = it.last_polled_at ?? null;
  const every = pollEvery(hook?.poll_seconds);

  return (
    <section class="panel webhook-setup" aria-labelledby={titleId} aria-describedby={subtitleId} data-uid={it.uid}>
      <div class="panel-header">
        <div class="webhook-setup-heading">
          <h2 id={titleId} class="panel-title">
            <TypeIcon type="zoho_books" />
            Zoho Books Webhook Setup
          </h2>
          <p class="panel-subtitle" id={subtitleId}>
            Integration <code>{it.uid}</code>
            {it.tenant_name ? ` · ${it.tenant_name}` : ''}
          </p>
        </div>
        <button
          type="button"
          class="btn btn--secondary btn--small webhook-setup-toggle"
          aria-expanded={open}
          aria-controls={bodyId}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? 'Hide setup' : 'Show setup'}
          <span class="visually-hidden"> of the Zoho Books webhook for {it.uid}</span>
        </button>
      </div>

      <dl class="webhook-health">
        <div class="webhook-health-item" data-testid="webhook-seen">
          <dt>Webhooks</dt>
          <dd>
            {arriving ? <Badge tone="success" dot>Arriving</Badge> : <Badge tone="neutral" dot>Polling</Badge>}
            <span>
              {seen ? (
                <>
                  Last webhook received <When iso={seen} />
                </>
              ) : (
                `No webhook received yet — fiscalhub polls ${every}`
              )}
            </span>
          </dd>
        </div>
        <div class="webhook-health-item" data-testid="last-polled">
          <dt>Last poll</dt>
          <dd>{polled ? <When iso={polled} /> : 'Not yet'}</dd>
        </div>
      </dl>

      <div id={bodyId} class="webhook-setup-body" hidden={!open}>
        <p class="webhook-setup-intro">
          Add a workflow rule in Zoho Books that calls fiscalhub whenever an invoice (and, with a second rule, a credit
          note) is created or edited, and they are fiscalized within seconds. Without it, fiscalhub still finds them by
          polling Zoho Books {every}.
        </p>
        {hook?.webhooks_used === false && (
          <p class="webhook-setup-intro" data-testid="webhook-plan-note">
            The Starter plan syncs by polling: webhooks are received, and their invoices are read at the next poll,{' '}
            {every}. Growth and Scale read them within a minute or at once.
          </p>
        )}
        {!hook && !loadError && <Loading label="Loading the webhook setup…" />}
        {loadError && (
          <RetryAlert message={loadError} onRetry={() => setNonce((n) => n + 1)} />
        )}
        {hook && (
          <>
            <dl class="webhook-values">
              <CopyField id={`${base}-url`} label="Webhook URL" value={hook.url} />
              {hook.secret_visible && hook.secret ? (
                <CopyField key={hook.secret} id={`${base}-secret`} label="Secret" value={hook.secret} secret />
              ) : (
                <div class="copy-field">
                  <dt class="copy-field-label">Secret</dt>
                  <dd class="copy-field-note">Only admins and owners of this organization can see the secret.</dd>
                </div>
              )}
            </dl>
            <h3 class="webhook-steps-title" id={`${base}-steps`}>
              In Zoho Books
            </h3>
            <ol class="webhook-steps" aria-labelledby={`${base}-steps`}>
              {steps.map((s, i) => (
                <li key={i}>{s}</li>
              ))}
            </ol>
            <div class="webhook-rotate">
              <button
                type="button"
                class="btn btn--secondary btn--small"
                disabled={!canManage}
                title={canManage ? undefined : ROTATE_DENIED}
                aria-describedby={`${base}-rotate-hint`}
                onClick={() => {
                  setNote(null);
                  setRotating(true);
                }}
              >
                <Icon name="refresh" />
                Rotate secret
              </button>
              <p class="field-hint" id={`${base}-rotate-hint`}>
                {canManage ? 'If the secret may have leaked, make a new one and enter it in Zoho Books.' : ROTATE_DENIED}
                {hook.secret_rotated_at && (
                  <>
                    {' '}
                    The current secret was made <When iso={hook.secret_rotated_at} />.
                  </>
                )}
              </p>
            </div>
          </>
        )}
        <p role="status" class={note ? 'row-note row-note--ok webhook-note' : 'status-empty'}>
          {note ?? ''}
        </p>
      </div>

      {rotating && (
        <ConfirmDialog
          id="rotate-zoho-secret"
          title="Rotate the webhook secret?"
          confirmLabel="Rotate secret"
          busyLabel="Rotating…"
          danger
          onClose={() => setRotating(false)}
          onConfirm={async () => {
            const next = await zohoApi.rotate(orgCode, it.uid);
            setHook(next);
            setRotating(false);
            setOpen(true);
            setNote('A new secret was made. Enter it under “I want to secure this webhook” in Zoho Books.');
            onChanged();
          }}
        >
          <p>
            <strong>Zoho Books · {it.tenant_name ?? it.uid}</strong>
          </p>
          <p>
            The current secret stops working at once: webhooks Zoho Books signs with it are refused until you enter
            the new secret in the workflow rule’s webhook.
          </p>
          <p>
            No invoice is lost meanwhile: fiscalhub goes back to polling Zoho Books {every} until
            a webhook with the new secret arrives.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
