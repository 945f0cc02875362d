// Under an integration's row (Xero, Zoho Books): its partner documents that
// fiscalhub cannot fiscalize as they stand (Integration.not_fiscalized), such
// as a line with a negative amount or more lines than the V-SDC takes. How
// many, the latest few with why and when, and where to correct them. No
// action: fiscalhub looks at a document again whenever it changes at the
// partner, and its entry goes once it is fiscalized or no longer needs to be.
import { formatShortDateTime, plural } from '../format';
import { oauthPlatform } from '../integrations';
import type { Integration } from '../types';
import { Warning } from './Warning';

interface Props {
  integration: Integration;
}

/** "2 documents were not fiscalized by fiscalhub." */
export function notFiscalizedTitle(count: number): string {
  return `${plural(count, 'document was', 'documents were')} not fiscalized by fiscalhub.`;
}

export function NotFiscalizedWarning({ integration: it }: Props) {
  const nf = it.not_fiscalized;
  if (!nf || nf.count <= 0) return null;
  const recent = nf.recent ?? [];
  const platform = oauthPlatform(it.type)?.name;
  return (
    <div class="integration-warning">
      <Warning testId="not-fiscalized" title={notFiscalizedTitle(nf.count)}>
        {recent.length > 0 && (
          <ul class="alert-detail not-fiscalized-list">
            {recent.map((d, i) => (
              <li key={`${d.source_ref}-${i}`}>
                <span class="not-fiscalized-ref">{d.source_ref}</span>: {d.reason}
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
          Correct {nf.count === 1 ? 'it' : 'them'} in {platform ?? 'your software'}: fiscalhub looks at a
          document again whenever it changes.
          {nf.count > recent.length && recent.length > 0 && ` Showing the latest ${recent.length}.`}
        </p>
      </Warning>
    </div>
  );
}
