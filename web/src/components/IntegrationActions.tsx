// The actions of one integration row. An OAuth platform (Xero, Zoho Books):
// Reconnect (the platform's consent again, same integration), Test Connection
// (one read-only call to the platform, its answer shown under the buttons),
// Change settings (Xero's trigger, Zoho Books' invoices and data center, the
// write-back's attachments), its Tax mapping (needs an active connection: it reads the platform's taxes); the
// page opens their dialogs. Custom Integration: API Keys; Custom / Webhook:
// Configure and Deliveries (CustomRowActions). Every type: Change certificate
// and Remove. Every button is disabled while one of the row's actions is in
// progress, and when the role does not allow it: integrations.manage for
// Reconnect, the dialogs and Remove; integrations.operate for Test
// Connection. An inactive row makes Reconnect its primary button.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { CustomRowActions } from './CustomRowActions';
import { goToConsent, integrationsApi, oauthPlatform } from '../integrations';
import type { Integration } from '../types';

interface Props {
  orgCode: string;
  integration: Integration;
  canManage: boolean;
  canOperate: boolean;
  /** The integration may have changed (e.g. a failed test made it inactive). */
  onChanged: () => void;
  /** Change settings (Xero, Zoho Books). */
  onChangeSettings: (it: Integration) => void;
  /** Xero's and Zoho Books' Tax mapping. */
  onTaxMapping: (it: Integration) => void;
  /** Change certificate (Xero, Zoho Books). */
  onChangeCertificate: (it: Integration) => void;
  onRemove: (it: Integration) => void;
}

export const MANAGE_DENIED = 'Only admins and owners of this organization can change or remove integrations.';
export const OPERATE_DENIED = 'Your role cannot test connections in this organization.';

type Busy = 'reconnect' | 'test' | null;

interface Outcome {
  ok: boolean;
  message: string;
}

function errorText(e: unknown, fallback: string): string {
  return e instanceof ApiError ? e.message : fallback;
}

/** The label of an OAuth platform's settings action. */
const SETTINGS_ACTION: Record<string, string> = {
  xero: 'Change settings',
  zoho_books: 'Change settings',
};

interface DialogButtonProps {
  label: string;
  uidText: ComponentChildren;
  /** Why the user may not use it now (the button is then disabled and says why); null: allowed. */
  denied: string | null;
  disabled: boolean;
  onClick: () => void;
}

/** A secondary row action that opens one of the page's dialogs. */
function DialogButton({ label, uidText, denied, disabled, onClick }: DialogButtonProps) {
  return (
    <button
      type="button"
      class="btn btn--secondary btn--small"
      disabled={denied !== null || disabled}
      title={denied ?? undefined}
      onClick={onClick}
    >
      {label}
      {uidText}
    </button>
  );
}

export function IntegrationActions({
  orgCode,
  integration: it,
  canManage,
  canOperate,
  onChanged,
  onChangeSettings,
  onTaxMapping,
  onChangeCertificate,
  onRemove,
}: Props) {
  const [busy, setBusy] = useState<Busy>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const platform = oauthPlatform(it.type);
  const settingsAction = SETTINGS_ACTION[it.type];
  const inactive = it.status === 'inactive';
  const uidText = <span class="visually-hidden"> {it.uid}</span>;

  const reconnect = async () => {
    setBusy('reconnect');
    setOutcome(null);
    try {
      await goToConsent(orgCode, it.uid, platform);
      // The browser is leaving for the consent page; stay busy.
    } catch (e) {
      setOutcome({ ok: false, message: errorText(e, `${platform?.consent ?? 'The platform'} could not be opened; please try again.`) });
      setBusy(null);
    }
  };

  const test = async () => {
    setBusy('test');
    setOutcome(null);
    try {
      const r = await integrationsApi.test(orgCode, it.uid);
      setOutcome({ ok: !!r.ok, message: r.message || (r.ok ? 'The connection works.' : 'The connection failed.') });
      if (!r.ok) onChanged();
    } catch (e) {
      setOutcome({ ok: false, message: errorText(e, 'The test could not be run; please try again.') });
    }
    setBusy(null);
  };

  const progress =
    busy === 'test'
      ? `Testing the connection to ${platform?.name ?? 'the platform'}…`
      : busy === 'reconnect'
        ? `Opening ${platform?.consent ?? 'the platform'}’s consent page…`
        : '';

  return (
    <div class="row-actions-wrap">
      <div class="row-actions">
        {platform && (
          <>
            <button
              type="button"
              class={inactive ? 'btn btn--primary btn--small' : 'btn btn--secondary btn--small'}
              disabled={!canManage || busy !== null}
              title={canManage ? undefined : MANAGE_DENIED}
              onClick={reconnect}
            >
              Reconnect{uidText}
            </button>
            <button
              type="button"
              class="btn btn--secondary btn--small"
              disabled={!canOperate || busy !== null}
              title={canOperate ? undefined : OPERATE_DENIED}
              onClick={test}
            >
              Test Connection{uidText}
            </button>
            {settingsAction && (
              <DialogButton
                label={settingsAction}
                uidText={uidText}
                denied={canManage ? null : MANAGE_DENIED}
                disabled={busy !== null}
                onClick={() => {
                  setOutcome(null);
                  onChangeSettings(it);
                }}
              />
            )}
            <DialogButton
              label="Tax mapping"
              uidText={uidText}
              denied={!canManage ? MANAGE_DENIED : it.status !== 'active' ? `Reconnect to ${platform.name} first.` : null}
              disabled={busy !== null}
              onClick={() => {
                setOutcome(null);
                onTaxMapping(it);
              }}
            />
          </>
        )}
        {it.certificate_uid && (
          <DialogButton
            label="Change certificate"
            uidText={uidText}
            denied={canManage ? null : MANAGE_DENIED}
            disabled={busy !== null}
            onClick={() => {
              setOutcome(null);
              onChangeCertificate(it);
            }}
          />
        )}
        <CustomRowActions
          orgCode={orgCode}
          integration={it}
          canManage={canManage}
          disabled={busy !== null}
          deniedReason={MANAGE_DENIED}
        />
        <button
          type="button"
          class="btn btn--secondary btn--small btn--danger-text"
          disabled={!canManage || busy !== null}
          title={canManage ? undefined : MANAGE_DENIED}
          onClick={() => {
            setOutcome(null);
            onRemove(it);
          }}
        >
          Remove{uidText}
        </button>
      </div>
      <p role="status" class={progress ? 'row-note' : outcome?.ok ? 'row-note row-note--ok' : 'status-empty'} data-testid="row-status">
        {progress || (outcome?.ok ? outcome.message : '')}
      </p>
      {outcome && !outcome.ok && (
        <p role="alert" class="row-note row-note--error" data-testid="row-error">
          {outcome.message}
        </p>
      )}
    </div>
  );
}
