// The delivery log of a Custom / Webhook endpoint: one row per event sent to
// it, newest first: when, which event (type and id), status, attempts, the
// last attempt's HTTP status, latency and the start of the answer (at most
// 1 KiB is kept), and Redeliver (the same event id again) once it is no
// longer pending.
import type { Delivery } from '../custom';
import { eventLabel } from '../custom';
import { formatShortDateTime } from '../format';
import { DeliveryStatusBadge } from './DeliveryStatusBadge';

interface Props {
  deliveries: Delivery[];
  canOperate: boolean;
  deniedReason: string;
  busyId: number | null;
  onRedeliver: (d: Delivery) => void;
}

function outcome(d: Delivery): string {
  if (d.last_http_status !== null) return String(d.last_http_status);
  if (d.last_attempt_at) return 'No answer';
  return '—';
}

export function DeliveriesTable({ deliveries, canOperate, deniedReason, busyId, onRedeliver }: Props) {
  return (
    <div class="table-scroll">
      <table class="table table--dense" aria-labelledby="deliveries-heading">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col">HTTP</th>
            <th scope="col" class="num">
              Latency
            </th>
            <th scope="col">Response</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr key={d.id} data-delivery={d.id} data-event-id={d.event_id}>
              <td class="nowrap">
                <time dateTime={d.last_attempt_at ?? d.created_at}>{formatShortDateTime(d.last_attempt_at ?? d.created_at)}</time>
              </td>
              <td>
                <span class="cell-main">{eventLabel(d.event_type)}</span>
                <code class="cell-sub">{d.event_id}</code>
              </td>
              <td>
                <DeliveryStatusBadge status={d.status} />
                {d.status === 'pending' && d.next_attempt_at && (
                  <span class="cell-sub">next try {formatShortDateTime(d.next_attempt_at)}</span>
                )}
              </td>
              <td class="num">{d.attempts}</td>
              <td class="nowrap">
                <span class={d.last_http_status !== null && d.last_http_status >= 300 ? 'text-danger' : undefined}>
                  {outcome(d)}
                </span>
                {d.last_error && d.last_http_status === null && <span class="cell-sub">{d.last_error}</span>}
              </td>
              <td class="num nowrap">{d.last_latency_ms !== null ? `${d.last_latency_ms} ms` : '—'}</td>
              <td>
                {d.last_response ? <code class="response-excerpt">{d.last_response}</code> : <span class="text-muted">—</span>}
              </td>
              <td class="num">
                <button
                  type="button"
                  class="btn btn--secondary btn--small"
                  disabled={!canOperate || d.status === 'pending' || busyId !== null}
                  title={!canOperate ? deniedReason : d.status === 'pending' ? 'Still being delivered' : undefined}
                  onClick={() => onRedeliver(d)}
                >
                  {busyId === d.id ? 'Redelivering…' : 'Redeliver'}
                  <span class="visually-hidden"> event {d.event_id}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
