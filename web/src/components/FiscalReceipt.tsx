// What the V-SDC printed: the journal (40 columns, kept exactly: monospace,
// white-space: pre) next to the verification QR code and link.
//
// The journal comes with CRLF line breaks; they are shown as plain line
// breaks (a CR would otherwise render as a trailing space). The QR is a GIF
// sent as base64 and shown as a data: URL, which the CSP allows for images.
// A signed invoice's receipt also opens as a PDF (journal and QR, to print or
// save) from GET .../fiscal-invoices/{id}/receipt.
import { safeHttpUrl } from '../format';
import { Icon } from './Icon';

interface Props {
  journal: string | null | undefined;
  qrGifBase64: string | null | undefined;
  verificationUrl: string | null | undefined;
  /** The receipt as a PDF (signed invoices with a journal), else null. */
  pdfUrl?: string | null;
}

export function FiscalReceipt({ journal, qrGifBase64, verificationUrl, pdfUrl }: Props) {
  const url = safeHttpUrl(verificationUrl);
  const qr = qrGifBase64 && /^[A-Za-z0-9+/=\s]+$/.test(qrGifBase64) ? qrGifBase64.replace(/\s+/g, '') : null;
  return (
    <div class="receipt">
      <div class="receipt-journal">
        <h3 class="section-title" id="journal-heading">
          Journal
        </h3>
        {journal ? (
          <pre class="journal" role="region" tabIndex={0} aria-labelledby="journal-heading" data-testid="journal">
            {journal.replace(/\r\n?/g, '\n')}
          </pre>
        ) : (
          <p class="text-muted">The V-SDC has not returned a journal for this invoice.</p>
        )}
        {journal && pdfUrl && (
          <a class="verify-link" href={pdfUrl} target="_blank" rel="noopener" data-testid="receipt-pdf">
            <Icon name="download" />
            <span>Receipt as PDF, to print</span>
          </a>
        )}
      </div>
      <div class="receipt-verify">
        <h3 class="section-title" id="verify-heading">
          Verification
        </h3>
        {qr && (
          <img
            class="qr"
            src={`data:image/gif;base64,${qr}`}
            alt="QR code that opens the invoice's verification page"
            data-testid="qr"
          />
        )}
        {url ? (
          <a class="verify-link" href={url} target="_blank" rel="noopener noreferrer" data-testid="verification-url">
            <Icon name="external" />
            <span>Verify this invoice</span>
          </a>
        ) : (
          !qr && <p class="text-muted">No verification link yet.</p>
        )}
        {url && (
          <p class="verify-url" title={url}>
            {url}
          </p>
        )}
      </div>
    </div>
  );
}
