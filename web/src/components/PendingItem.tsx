// One unfinished setup in the Pending section: what it is and how far it
// got, Resume (the platform's consent again) or Choose organisation, and
// Remove.
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { formatDate } from '../format';
import { goToConsent, oauthPlatform, platformOrg, triggerLabel } from '../integrations';
import type { PendingIntegration } from '../types';
import { dataCenterLabel, fiscalizeLabel } from '../zoho';
import { Link } from './Link';
import { TypeIcon } from './TypeIcon';

interface Props {
  orgCode: string;
  p: PendingIntegration;
  canManage: boolean;
  onRemove: (p: PendingIntegration) => void;
}

export const RESUME_DENIED = 'Only admins and owners of this organization can connect integrations.';

/** The platform settings worth recalling in a pending setup. */
function settingsText(p: PendingIntegration): string | null {
  if (p.type === 'xero') return `Trigger: ${triggerLabel(p.settings?.trigger)}`;
  if (p.type === 'zoho_books')
    return `Data center: ${dataCenterLabel(p.settings?.data_center)} · Fiscalize: ${fiscalizeLabel(p.settings?.fiscalize).toLowerCase()}`;
  return null;
}

export function PendingItem({ orgCode, p, canManage, onRemove }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const uid = p.uid ?? '';
  const platform = oauthPlatform(p.type);
  const resumable = !!uid && !!platform;

  const resume = async () => {
    setBusy(true);
    setError(null);
    try {
      await goToConsent(orgCode, uid, platform);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : `${platform?.consent ?? 'The platform'} could not be opened; please try again.`);
      setBusy(false);
    }
  };

  const step = p.tenant_choice_pending
    ? `Choose which ${platformOrg(p.type)} to connect`
    : p.step ?? (platform ? `Waiting for ${platform.consent}’s consent` : '');
  const settings = settingsText(p);

  return (
    <li class="pending-item" data-uid={uid || undefined}>
      <TypeIcon type={p.type ?? ''} />
      <div class="pending-text">
        <span class="pending-name">{p.type_name ?? p.type ?? 'Integration'}</span>
        <span class="pending-meta">
          {uid && <code>{uid}</code>}
          {step && <span> · {step}</span>}
          {p.created_at && (
            <span>
              {' '}
              · started <time dateTime={p.created_at}>{formatDate(p.created_at)}</time>
            </span>
          )}
        </span>
        {(p.certificate_uid || settings) && (
          <span class="pending-meta">
            {p.certificate_uid && (
              <>
                Certificate <code>{p.certificate_uid}</code>
              </>
            )}
            {p.certificate_uid && settings && ' · '}
            {settings}
          </span>
        )}
        <p role="status" class={busy ? 'row-note' : 'status-empty'}>
          {busy ? `Opening ${platform?.consent ?? 'the platform'}’s consent page…` : ''}
        </p>
        {error && (
          <p role="alert" class="row-note row-note--error">
            {error}
          </p>
        )}
      </div>
      <div class="pending-actions">
        {p.tenant_choice_pending && uid ? (
          <Link href={`/integrations/${encodeURIComponent(uid)}/tenant`} class="btn btn--primary btn--small">
            Choose {platform?.org ?? 'organization'}<span class="visually-hidden"> for {uid}</span>
          </Link>
        ) : (
          <button
            type="button"
            class="btn btn--primary btn--small"
            disabled={!resumable || !canManage || busy}
            title={canManage ? undefined : RESUME_DENIED}
            onClick={resume}
          >
            Resume<span class="visually-hidden"> {uid}</span>
          </button>
        )}
        {uid && (
          <button
            type="button"
            class="btn btn--secondary btn--small"
            disabled={!canManage || busy}
            title={canManage ? undefined : RESUME_DENIED}
            onClick={() => onRemove(p)}
          >
            Remove<span class="visually-hidden"> {uid}</span>
          </button>
        )}
      </div>
    </li>
  );
}
