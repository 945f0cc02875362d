// A code the user needs elsewhere (support tickets, partner setup), with a
// Copy button. "Copied" is announced through a polite live region. A secret
// (`secret`) is shown as dots until Show is pressed; Copy copies it either way.
//
// navigator.clipboard exists only in secure contexts (https or localhost); a
// self-hosted portal on plain http over a LAN address falls back to
// document.execCommand('copy') on a selected off-screen field.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Icon } from './Icon';

interface Props {
  id: string;
  label: string;
  value: string;
  /** Hide the value behind a Show button (it is copied all the same). */
  secret?: boolean;
}

type CopyState = 'idle' | 'copied' | 'failed';

async function copyText(text: string): Promise<boolean> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      /* permission denied: try the fallback */
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

export function CopyField({ id, label, value, secret }: Props) {
  const [state, setState] = useState<CopyState>('idle');
  const [shown, setShown] = useState(!secret);
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => () => window.clearTimeout(timer.current), []);

  const onCopy = async () => {
    const ok = await copyText(value);
    setState(ok ? 'copied' : 'failed');
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setState('idle'), ok ? 2000 : 5000);
  };

  const labelId = `${id}-label`;
  return (
    <div class="copy-field">
      <dt class="copy-field-label" id={labelId}>
        {label}
      </dt>
      <dd class="copy-field-row">
        {shown ? (
          <code class="copy-field-value" data-testid={id}>
            {value}
          </code>
        ) : (
          <code class="copy-field-value copy-field-value--masked" data-testid={id}>
            <span aria-hidden="true">{'•'.repeat(Math.min(value.length, 24))}</span>
            <span class="visually-hidden">hidden</span>
          </code>
        )}
        {secret && (
          <button type="button" class="btn btn--ghost btn--small" onClick={() => setShown((s) => !s)}>
            {shown ? 'Hide' : 'Show'}
            <span class="visually-hidden"> {label}</span>
          </button>
        )}
        <button type="button" class="btn btn--secondary btn--small" aria-label={`Copy ${label}`} onClick={onCopy}>
          <Icon name={state === 'copied' ? 'check' : 'copy'} />
          Copy
        </button>
        <span class={`copy-field-status copy-field-status--${state}`} role="status">
          {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed; select the code and copy it by hand' : ''}
        </span>
      </dd>
    </div>
  );
}
