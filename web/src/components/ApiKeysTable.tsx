// The API keys of a Custom Integration: label, Client ID, created, last used,
// status, and Revoke for active keys. Secrets are never listed.
import type { ApiKey } from '../custom';
import { formatShortDateTime } from '../format';
import { Badge } from './Badge';

interface Props {
  keys: ApiKey[];
  canManage: boolean;
  deniedReason: string;
  onRevoke: (key: ApiKey) => void;
}

export function ApiKeysTable({ keys, canManage, deniedReason, onRevoke }: Props) {
  return (
    <section class="panel" aria-labelledby="api-keys-heading">
      <div class="panel-header">
        <h2 id="api-keys-heading" class="panel-title">
          API keys
        </h2>
      </div>
      <div class="table-scroll">
        <table class="table" aria-labelledby="api-keys-heading">
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Client ID</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.client_id} data-client-id={k.client_id}>
                <td>
                  <span class="cell-main">{k.label}</span>
                </td>
                <td>
                  <code class="uid">{k.client_id}</code>
                </td>
                <td class="nowrap">
                  <time dateTime={k.created_at}>{formatShortDateTime(k.created_at)}</time>
                </td>
                <td class="nowrap">
                  {k.last_used_at ? <time dateTime={k.last_used_at}>{formatShortDateTime(k.last_used_at)}</time> : 'Never'}
                </td>
                <td>
                  {k.status === 'active' ? (
                    <Badge tone="success" dot>
                      Active
                    </Badge>
                  ) : (
                    <Badge tone="neutral" dot>
                      Revoked
                    </Badge>
                  )}
                </td>
                <td class="num">
                  {k.status === 'active' && (
                    <button
                      type="button"
                      class="btn btn--secondary btn--small btn--danger-text"
                      disabled={!canManage}
                      title={canManage ? undefined : deniedReason}
                      onClick={() => onRevoke(k)}
                    >
                      Revoke<span class="visually-hidden"> key {k.label}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
