// The Custom / Webhook Configure dialog: the endpoint URL (https; plain http
// only to this machine), which events it receives, and custom headers (an
// Authorization token, say). Creating also chooses the certificate whose
// invoices it follows, and ends by showing the signing secret once.
//
// Header values are write-only: an existing header shows its name with an
// empty value that means "keep the stored value"; typing a value replaces it.
import { useState } from 'preact/hooks';
import { customApi, EVENT_CHOICES, type HeaderInput, type WebhookEndpoint, type WebhookEvent } from '../custom';
import { ApiErrorAlert } from './ApiErrorAlert';
import { CertificateSelect } from './CertificateSelect';
import { CheckOption } from './CheckOption';
import { Icon } from './Icon';
import { Modal, ModalActions } from './Modal';
import { SecretReveal } from './SecretReveal';

interface Props {
  orgCode: string;
  /** Edit this integration's endpoint; absent: create a new integration. */
  uid?: string;
  endpoint?: WebhookEndpoint;
  /** Saved (or created: uid is the new integration's). */
  onSaved: (message: string, uid: string) => void;
  onClose: () => void;
}

interface Row {
  key: number;
  name: string;
  value: string;
  stored: boolean;
}

const LOOPBACK = /^http:\/\/(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?(\/|$)/i;
const HEADER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
let nextKey = 1;

function urlProblem(url: string): string | null {
  const u = url.trim();
  if (!u) return 'Enter the URL fiscalhub sends events to.';
  if (!/^https:\/\/[^\s/@]+/i.test(u) && !LOOPBACK.test(u))
    return 'Use an https:// URL (plain http only to 127.0.0.1, localhost or [::1]).';
  return null;
}

function headerProblem(rows: Row[]): string | null {
  const seen = new Set<string>();
  for (const r of rows) {
    const n = r.name.trim();
    if (!HEADER_NAME.test(n)) return `Header names are letters, digits, - and _ (“${n || 'empty'}” is not).`;
    if (seen.has(n.toLowerCase())) return `The header ${n} is listed twice.`;
    seen.add(n.toLowerCase());
    if (!r.stored && !r.value) return `Enter a value for the header ${n}.`;
  }
  return null;
}

export function WebhookDialog({ orgCode, uid, endpoint, onSaved, onClose }: Props) {
  const creating = !uid;
  const [cert, setCert] = useState<string | null>(null);
  const [url, setUrl] = useState(endpoint?.url ?? '');
  const [events, setEvents] = useState<WebhookEvent[]>(endpoint?.events ?? ['invoice.fiscalized', 'invoice.failed']);
  const [rows, setRows] = useState<Row[]>(
    (endpoint?.headers ?? []).map((h) => ({ key: nextKey++, name: h.name, value: '', stored: true })),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ uid: string; value: string } | null>(null);

  const toggle = (ev: WebhookEvent, on: boolean) =>
    setEvents((list) => (on ? [...list.filter((e) => e !== ev), ev] : list.filter((e) => e !== ev)));
  const setRow = (key: number, patch: Partial<Row>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  const submit = async (e: Event) => {
    e.preventDefault();
    const p = urlProblem(url) ?? (events.length === 0 ? 'Choose at least one event.' : null) ?? headerProblem(rows);
    setProblem(p);
    if (p || (creating && !cert)) return;
    const ordered = EVENT_CHOICES.map((c) => c.value).filter((v) => events.includes(v));
    const headers: HeaderInput[] = rows.map((r) => ({ name: r.name.trim(), value: r.value ? r.value : null }));
    setBusy(true);
    setError(null);
    try {
      if (creating && cert) {
        const it = await customApi.createWebhook(orgCode, cert, { url: url.trim(), events: ordered, headers });
        setSecret({ uid: it.uid, value: it.signing_secret });
        setBusy(false);
      } else if (uid) {
        await customApi.updateWebhook(orgCode, uid, { url: url.trim(), events: ordered, headers });
        onSaved(`The endpoint of ${uid} was saved.`, uid);
      }
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  if (secret) {
    return (
      <Modal
        id="webhook-secret"
        title="Webhook created"
        onClose={() => onSaved(`Custom / Webhook integration ${secret.uid} created.`, secret.uid)}
        footer={
          <button
            type="button"
            id="webhook-secret-done"
            class="btn btn--primary"
            onClick={() => onSaved(`Custom / Webhook integration ${secret.uid} created.`, secret.uid)}
          >
            Done
          </button>
        }
      >
        <p class="modal-text">
          Integration <code>{secret.uid}</code> is active. Each event carries a <code>Fiscalhub-Signature</code> header
          made with this signing secret; verify it before you trust an event.
        </p>
        <SecretReveal what="signing secret" values={[['webhook-signing-secret', 'Signing secret', secret.value]]} />
      </Modal>
    );
  }

  return (
    <Modal
      id="webhook-configure"
      title={creating ? 'Create a Custom / Webhook integration' : `Configure ${uid}`}
      size="wide"
      onClose={onClose}
      busy={busy}
      initialFocus="webhook-url"
      footer={
        <ModalActions
          onCancel={onClose}
          busy={busy}
          form="webhook-form"
          disabled={creating && !cert}
          busyLabel="Saving…"
          label={creating ? 'Create webhook' : 'Save'}
        />
      }
    >
      <p class="modal-text">
        fiscalhub posts signed JSON events to your endpoint and retries for 24 hours until it answers 2xx.
      </p>
      {error !== null && <ApiErrorAlert error={error} fallback="The endpoint could not be saved; please try again." />}
      {problem && (
        <p class="field-error" role="alert" data-testid="webhook-problem">
          {problem}
        </p>
      )}
      <form id="webhook-form" class="form" aria-label="Webhook endpoint" noValidate onSubmit={submit}>
        {creating && (
          <CertificateSelect
            id="webhook-certificate"
            orgCode={orgCode}
            value={cert}
            onChange={setCert}
            disabled={busy}
            hint="Invoice events are sent for the invoices fiscalized with this certificate."
          />
        )}
        <div class="field">
          <label class="field-label" for="webhook-url">
            Endpoint URL
          </label>
          <input
            id="webhook-url"
            class="field-input"
            type="url"
            value={url}
            disabled={busy}
            placeholder="https://erp.example.com/fiscalhub/events"
            aria-describedby="webhook-url-hint"
            onInput={(e) => setUrl((e.currentTarget as HTMLInputElement).value)}
          />
          <p class="field-hint" id="webhook-url-hint">
            https:// required; plain http:// only to 127.0.0.1, localhost or [::1].
          </p>
        </div>
        <fieldset class="choice-group">
          <legend class="field-label">Events</legend>
          {EVENT_CHOICES.map((c) => (
            <CheckOption
              key={c.value}
              id={`event-${c.value}`}
              checked={events.includes(c.value)}
              onChange={(on) => toggle(c.value, on)}
              label={c.label}
              description={c.description}
              disabled={busy}
            />
          ))}
        </fieldset>
        <fieldset class="choice-group header-rows">
          <legend class="field-label">Custom headers</legend>
          <p class="field-hint">
            Sent with every event, e.g. an Authorization token. Values are stored encrypted and never shown again; leave
            a saved header’s value empty to keep it.
          </p>
          {rows.map((r, i) => (
            <div class="header-row" key={r.key} data-testid="header-row">
              <input
                class="field-input"
                aria-label={`Header ${i + 1} name`}
                value={r.name}
                disabled={busy || r.stored}
                placeholder="Authorization"
                onInput={(e) => setRow(r.key, { name: (e.currentTarget as HTMLInputElement).value })}
              />
              <input
                class="field-input"
                type="password"
                autoComplete="off"
                aria-label={`Header ${i + 1} value`}
                value={r.value}
                disabled={busy}
                placeholder={r.stored ? 'unchanged' : 'Bearer …'}
                onInput={(e) => setRow(r.key, { value: (e.currentTarget as HTMLInputElement).value })}
              />
              <button
                type="button"
                class="btn btn--ghost btn--small"
                disabled={busy}
                onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}
              >
                Remove<span class="visually-hidden"> header {r.name || i + 1}</span>
              </button>
            </div>
          ))}
          {rows.length < 10 && (
            <div>
              <button
                type="button"
                class="btn btn--secondary btn--small"
                disabled={busy}
                onClick={() => setRows((rs) => [...rs, { key: nextKey++, name: '', value: '', stored: false }])}
              >
                <Icon name="plus" />
                Add header
              </button>
            </div>
          )}
        </fieldset>
      </form>
    </Modal>
  );
}
