// custom.mjs - helpers of the Custom Integration and Custom / Webhook suites: integrations and API
// keys through the portal API, a client of the public API (/api/v1, HTTP Basic), and the sandbox
// webhook receiver's control API.
import { createHmac } from 'node:crypto';
import { waitFor } from './fiscal.mjs';

// A Custom Integration tied to the certificate; returns its uid.
export async function createCustom(c, certUid) {
  const r = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'custom', certificate_uid: certUid });
  if (r.status !== 201) throw new Error(`create custom: ${r.status} ${r.text}`);
  return r.json.uid;
}

// A Custom / Webhook integration; returns { uid, secret, json }.
export async function createWebhook(c, certUid, url, { events, headers } = {}) {
  const settings = { url, events: events || ['invoice.fiscalized', 'invoice.failed', 'integration.status_changed'] };
  if (headers) settings.headers = headers;
  const r = await c.post(`/api/orgs/${c.org}/integrations`, { type: 'webhook', certificate_uid: certUid, settings });
  if (r.status !== 201) throw new Error(`create webhook: ${r.status} ${r.text}`);
  return { uid: r.json.uid, secret: r.json.signing_secret, json: r.json };
}

// An API key of integration uid: { client_id, client_secret, auth } (auth: the header value).
export async function createKey(c, uid, label = 'test key') {
  const r = await c.post(`/api/orgs/${c.org}/integrations/${uid}/api-keys`, { label });
  if (r.status !== 201) throw new Error(`create key: ${r.status} ${r.text}`);
  return { ...r.json, auth: basic(r.json.client_id, r.json.client_secret) };
}

export function basic(user, pass) {
  return 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
}

// A client of the public API with one key (or none): returns { status, json, text, headers }.
export class ApiClient {
  constructor(base, key) {
    this.base = base;
    this.auth = typeof key === 'string' ? key : key?.auth;
  }
  async req(method, path, body, headers = {}) {
    const h = { ...headers };
    if (this.auth && !('authorization' in h)) h.authorization = this.auth;
    let payload;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      if (!('content-type' in h)) h['content-type'] = 'application/json';
    }
    const r = await fetch(this.base + path, { method, headers: h, body: payload });
    const text = await r.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: r.status, json, text, headers: r.headers };
  }
  get(p, h) { return this.req('GET', p, undefined, h); }
  post(p, b, h) { return this.req('POST', p, b, h); }

  // Waits until invoice id is no longer pending; returns its details.
  settled(id, timeoutMs = 30000) {
    return waitFor(async () => {
      const r = await this.get(`/api/v1/invoices/${id}`);
      return r.status === 200 && r.json.status !== 'pending' ? r.json : null;
    }, { timeoutMs, what: `invoice ${id} to settle` });
  }
}

// The sandbox receiver (sb: a sandbox of tests/lib/fiscal.mjs).
export const receiver = {
  url: (sb, name) => `${sb.url}/receiver/hooks/${name}`,
  configure: (sb, name, cfg) => sb.control('PUT', `/receiver/control/hooks/${name}`, cfg),
  get: (sb, name) => sb.control('GET', `/receiver/control/hooks/${name}`),
  // Waits until the hook has accepted events matching pred (count at least n); returns them.
  async events(sb, name, pred = () => true, n = 1, timeoutMs = 20000) {
    return waitFor(async () => {
      let h;
      try {
        h = await receiver.get(sb, name);
      } catch {
        return null;
      }
      const evs = h.requests.filter((r) => r.outcome === 'accepted').map((r) => ({ ...r, event: JSON.parse(r.body) }))
        .filter((r) => pred(r.event));
      return evs.length >= n ? evs : null;
    }, { timeoutMs, what: `${n} event(s) at receiver hook ${name}` });
  },
};

// Verifies Fiscalhub-Signature like a receiver would (docs/api/webhooks.md).
export function verifySignature(secret, header, body, toleranceS = 300) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=')));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return expected === parts.v1;
}
