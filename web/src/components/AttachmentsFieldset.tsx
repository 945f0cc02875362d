// What the write-back attaches to the partner's document besides its note
// (settings.attach_qr, settings.attach_journal), as checkboxes. Used by the
// Change settings dialogs of Xero and Zoho Books.
import { attachChoices, oauthPlatform } from '../integrations';
import type { IntegrationSettings } from '../types';
import { CheckOption } from './CheckOption';

export type Attachments = Pick<IntegrationSettings, 'attach_qr' | 'attach_journal'>;

interface Props {
  /** Prefix for the element ids. */
  id: string;
  type: string;
  value: Attachments;
  onChange: (value: Attachments) => void;
  disabled?: boolean;
}

/** The attachment settings of an integration, each as a boolean. */
export function attachmentsOf(type: string | undefined, s: IntegrationSettings | undefined): Attachments {
  const out: Attachments = {};
  for (const c of attachChoices(type)) out[c.setting] = s?.[c.setting] === true;
  return out;
}

/** The attachment settings that differ from initial, for a PATCH of only what changed. */
export function changedAttachments(initial: Attachments, now: Attachments): Attachments {
  const out: Attachments = {};
  for (const k of ['attach_qr', 'attach_journal'] as const) if (now[k] !== initial[k]) out[k] = now[k];
  return out;
}

export function AttachmentsFieldset({ id, type, value, onChange, disabled }: Props) {
  const choices = attachChoices(type);
  if (!choices.length) return null;
  const document = `${oauthPlatform(type)?.name ?? 'partner'} invoice`;
  return (
    <fieldset class="choice-group" aria-describedby={`${id}-attach-hint`}>
      <legend class="field-label">Attach to the {document}</legend>
      <p class="field-hint" id={`${id}-attach-hint`}>
        After each fiscalization fiscalhub notes the fiscal invoice number and verification link on the {document}.
        It can also attach these files, once each, to invoices fiscalized from now on.
      </p>
      {choices.map((c) => (
        <CheckOption
          key={c.setting}
          id={`${id}-${c.setting}`}
          checked={value[c.setting] === true}
          onChange={(on) => onChange({ ...value, [c.setting]: on })}
          label={c.label}
          description={c.description}
          disabled={disabled}
        />
      ))}
    </fieldset>
  );
}
