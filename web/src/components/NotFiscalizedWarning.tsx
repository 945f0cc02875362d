// Under an integration's row (Xero, Zoho Books): its partner documents that
// fiscalhub cannot fiscalize as they stand (Integration.not_fiscalized), such
// as a line with a negative amount or more lines than the V-SDC takes. How
// many, the latest few with why and when (a credit note said to be one, its
// number a link to the document at the partner when the server knows its
// page), and where to correct those whose reason lies in them (a certificate's
// reason says what to do instead): fiscalhub looks at a document again
// whenever it changes at the partner, and its entry goes once it is
// fiscalized or no longer needs to be. Look again (integrations.operate, like
// Test Connection; disabled with the reason otherwise) asks fiscalhub to try
// every listed document now, for a cause outside them (e.g. a revoked
// certificate: choosing another one does the same by itself); the page then
// reloads the list a few times (onLookedAgain).
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { formatShortDateTime, plural, safeHttpUrl } from '../format';
import { integrationsApi, oauthPlatform } from '../integrations';
import type { Integration, NotFiscalizedDocument } from '../types';
import { Icon } from './Icon';
import { Warning } from './Warning';

interface Props {
  orgCode: string;
  integration: Integration;
  /** integrations.operate: may ask for Look again. */
  canOperate: boolean;
  /** Look again was queued: the list changes over the next seconds. */
  onLookedAgain: () => void;
}

export const LOOK_AGAIN_DENIED = 'Your role cannot ask fiscalhub to look at documents again in this organization.';

/** "2 documents were not fiscalized by fiscalhub." */
export function notFiscalizedTitle(count: number): string {
  return `${plural(count, 'document was', 'documents were')} not fiscalized by fiscalhub.`;
}

/** What Look again answered: "fiscalhub is looking at 3 documents again." */
export function lookAgainText(queued: number): string {
  return queued > 0
    ? `fiscalhub is looking at ${plural(queued, 'document', 'documents')} again.`
    : 'fiscalhub is already looking at these documents again.';
}

/** The document's number: a link to its page at the partner when there is one. */
function DocumentRef({ doc, platform }: { doc: NotFiscalizedDocument; platform: string | undefined }) {
  const url = safeHttpUrl(doc.source_url);
  const credit = doc.kind === 'credit_note';
  return (
    <>
      {credit && 'Credit note '}
      {url ? (
        <a
          class="not-fiscalized-ref not-fiscalized-link"
          href={url}
          target="_blank"
          rel="noopener noreferrer"
          aria-label={`View ${credit ? 'credit note ' : ''}${doc.source_ref} in ${platform ?? 'the source'}`}
        >
          {doc.source_ref}
          <Icon name="external" />
        </a>
      ) : (
        <span class="not-fiscalized-ref">{doc.source_ref}</span>
      )}
    </>
  );
}

export function NotFiscalizedWarning({ orgCode, integration: it, canOperate, onLookedAgain }: Props) {
  const nf = it.not_fiscalized;
  const count = nf?.count ?? 0;
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // a warning that went and came back starts without the old answer
  useEffect(() => {
    if (count <= 0) {
      setMessage(null);
      setError(null);
    }
  }, [count]);

  if (!nf || count <= 0) return null;
  const recent = nf.recent ?? [];
  const platform = oauthPlatform(it.type)?.name;
  const hintId = `look-again-hint-${it.uid}`;

  const lookAgain = async () => {
    setBusy(true);
    setMessage(null);
    setError(null);
    try {
      const r = await integrationsApi.lookAgain(orgCode, it.uid);
      setMessage(lookAgainText(r?.queued ?? 0));
      onLookedAgain();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'fiscalhub could not be asked to look again; please try again.');
    }
    setBusy(false);
  };

  return (
    <div class="integration-warning">
      <Warning testId="not-fiscalized" title={notFiscalizedTitle(nf.count)}>
        {recent.length > 0 && (
          <ul class="alert-detail not-fiscalized-list">
            {recent.map((d, i) => (
              <li key={`${d.source_ref}-${i}`}>
                <DocumentRef doc={d} platform={platform} />: {d.reason}
                {d.seen_at && (
                  <>
                    {' · '}
                    <time dateTime={d.seen_at}>{formatShortDateTime(d.seen_at)}</time>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
        <p class="alert-detail">
          Where the reason lies in {nf.count === 1 ? 'the' : 'a'} document, correct it in {platform ?? 'your software'}:
          fiscalhub looks at a document again whenever it changes.
          {nf.count > recent.length && recent.length > 0 && ` Showing the latest ${recent.length}.`}
        </p>
        <p class="alert-detail" id={hintId}>
          When the cause was outside the {nf.count === 1 ? 'document' : 'documents'}, Look again tries{' '}
          {nf.count === 1 ? 'it' : 'every one'} now; choosing another certificate does so by itself.
        </p>
        <div class="alert-actions not-fiscalized-actions">
          <button
            type="button"
            class="btn btn--secondary btn--small"
            disabled={!canOperate || busy}
            title={canOperate ? undefined : LOOK_AGAIN_DENIED}
            aria-describedby={hintId}
            onClick={() => void lookAgain()}
          >
            {busy ? 'Asking…' : 'Look again'}
            <span class="visually-hidden"> at the documents of {it.uid}</span>
          </button>
          <p role="status" class={message ? 'row-note row-note--ok' : 'status-empty'} data-testid="look-again-status">
            {message ?? ''}
          </p>
        </div>
        {error && (
          <p role="alert" class="row-note row-note--error" data-testid="look-again-error">
            {error}
          </p>
        )}
      </Warning>
    </div>
  );
}
