// Back from a platform's consent without a connection
// (/integrations?error=<code>&uid=<uid>): what happened, in words, and the
// way forward: Resume for a setup (it stays under Pending), Reconnect for an
// integration that was already connected (it is unchanged).
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { consentErrorText, goToConsent, type OAuthPlatform } from '../integrations';
import { ErrorAlert } from './ErrorAlert';

interface Props {
  orgCode: string;
  code: string;
  uid: string;
  /** The platform of the uid's integration (null when it is not known). */
  platform: OAuthPlatform | null;
  /** The uid is a connected (active or inactive) integration rather than a setup. */
  connected: boolean;
  canManage: boolean;
  deniedReason: string;
  onDismiss: () => void;
}

export function ConsentError({ orgCode, code, uid, platform, connected, canManage, deniedReason, onDismiss }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const action = connected ? 'Reconnect' : 'Resume';
  const consent = platform ? `${platform.consent}’s consent` : 'the consent';

  const retry = async () => {
    setBusy(true);
    setError(null);
    try {
      await goToConsent(orgCode, uid, platform);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : `${platform?.consent ?? 'The platform'} could not be opened; please try again.`);
      setBusy(false);
    }
  };

  const title = platform ? `${platform.name} was not connected.` : 'The integration was not connected.';
  return (
    <div data-testid="consent-error">
      <ErrorAlert message={`${title} ${consentErrorText(code, platform)}`}>
        {uid && (
          <p class="alert-detail">
            {connected ? (
              <>
                Integration <code>{uid}</code> is unchanged. {action} to run {consent} again.
              </>
            ) : (
              <>
                The setup <code>{uid}</code> is kept under Pending. {action} to run {consent} again.
              </>
            )}
          </p>
        )}
        {error && <p class="alert-detail">{error}</p>}
        <div class="alert-actions">
          {uid && (
            <button
              type="button"
              class="btn btn--primary btn--small"
              disabled={!canManage || busy}
              title={canManage ? undefined : deniedReason}
              onClick={retry}
            >
              {busy ? `Opening ${platform?.consent ?? 'the consent page'}…` : action}
            </button>
          )}
          <button type="button" class="btn btn--secondary btn--small" onClick={onDismiss} disabled={busy}>
            Dismiss
          </button>
        </div>
      </ErrorAlert>
    </div>
  );
}
