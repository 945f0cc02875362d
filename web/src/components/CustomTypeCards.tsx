// The two Create Integration cards of this module: Custom / Webhook
// (Configure the endpoint, then its signing secret once) and Custom
// Integration (Premium: choose the certificate, then its API Keys page).
import { useState } from 'preact/hooks';
import { navigate } from '../router';
import type { OrgMembership } from '../types';
import { CREATE_DENIED_REASON } from './CreateIntegrationButton';
import { CreateCustomDialog } from './CreateCustomDialog';
import { GuardedButton } from './GuardedButton';
import { IntegrationTypeCard } from './IntegrationTypeCard';
import { WebhookDialog } from './WebhookDialog';

interface Props {
  org: OrgMembership;
  canManage: boolean;
}

export function CustomTypeCards({ org, canManage }: Props) {
  const [open, setOpen] = useState<'webhook' | 'custom' | null>(null);
  return (
    <>
      <IntegrationTypeCard
        type="webhook"
        name="Custom / Webhook"
        description="fiscalhub posts every fiscalized invoice (invoice data, fiscal signature and verification URL) to your endpoint, signed, with the headers you configure."
        details={
          <ol class="type-card-steps" aria-label="How a webhook is set up">
            <li>Choose the certificate whose invoices it follows</li>
            <li>Enter the endpoint URL, the events and any headers</li>
            <li>Copy the signing secret to verify each event</li>
          </ol>
        }
        action={
          <GuardedButton
            id="configure-webhook-create-button"
            allowed={canManage}
            reason={CREATE_DENIED_REASON}
            role={org.role}
            showReason
            align="start"
            onClick={() => setOpen('webhook')}
          >
            Configure webhook
          </GuardedButton>
        }
      />
      <IntegrationTypeCard
        type="custom"
        name="Custom Integration"
        premium
        description="Create, read and manage fiscal invoices from your own software through fiscalhub's REST API, using API keys you issue here."
        details={
          <ol class="type-card-steps" aria-label="How a Custom Integration is set up">
            <li>Choose the certificate that signs its invoices</li>
            <li>Create an API key for each system that calls the API</li>
          </ol>
        }
        action={
          <GuardedButton
            id="create-custom-button"
            allowed={canManage}
            reason={CREATE_DENIED_REASON}
            role={org.role}
            showReason
            align="start"
            onClick={() => setOpen('custom')}
          >
            Create integration
          </GuardedButton>
        }
      />
      {open === 'webhook' && (
        <WebhookDialog
          orgCode={org.code}
          onClose={() => setOpen(null)}
          onSaved={(_m, uid) => {
            setOpen(null);
            navigate(`/integrations/${encodeURIComponent(uid)}/deliveries`);
          }}
        />
      )}
      {open === 'custom' && (
        <CreateCustomDialog
          orgCode={org.code}
          onClose={() => setOpen(null)}
          onCreated={(it) => {
            setOpen(null);
            navigate(`/integrations/${encodeURIComponent(it.uid)}/api-keys`);
          }}
        />
      )}
    </>
  );
}
