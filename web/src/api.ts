// The portal's only way to talk to the server: a small fetch wrapper over the
// documented REST API (docs/api/portal.md).
//
// - Same-origin cookies carry the session (credentials: 'same-origin').
// - Bodies are JSON; state-changing methods carry X-CSRF-Token, taken from the
//   most recent "me" object (sign-up, log-in or GET /api/me).
// - Every failure becomes an ApiError whose message is readable by a person:
//   the server's hint plus its detail, or a plain sentence when the server
//   could not be reached or did not answer with the documented error shape.
// - A 401 on a session request tells the app (onUnauthorized) so it can send
//   the user back to the log-in page.

export class ApiError extends Error {
  readonly status: number;
  readonly code: number | null;
  readonly hint: string;
  readonly detail: string;

  constructor(status: number, code: number | null, hint: string, detail: string) {
    super(formatMessage(hint, detail));
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.hint = hint;
    this.detail = detail;
  }
}

// "hint (detail)", leaving out a detail that only repeats the hint
// (e.g. hint "The email or password is wrong." with detail "email or password is wrong").
function formatMessage(hint: string, detail: string): string {
  const h = hint.trim();
  const d = detail.trim();
  const norm = (s: string) => s.toLowerCase().replace(/[.\s]+$/, '');
  if (!d || norm(h).includes(norm(d))) return h;
  if (!h) return d;
  return `${h} (${d})`;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken: string | null = null;
let unauthorizedHandler: (() => void) | null = null;

/** Remember the CSRF token of the current session (null after log-out). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

let refusalHandler: ((e: ApiError) => void) | null = null;

/** Called when a request was refused 402 by the plan (seats full, licence expired). */
export function onPaymentRequired(handler: ((e: ApiError) => void) | null): void {
  refusalHandler = handler;
}

/** Called when a request that needed a session was answered 401. */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

interface RequestOptions {
  body?: unknown;
  /** Do not report a 401 to onUnauthorized (log-in, the first GET /api/me). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin', signal: opts.signal };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, null, 'Could not reach the server.', 'Check your connection and try again.');
  }

  if (res.ok) {
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, null, 'The server sent a reply the portal cannot read.', `HTTP ${res.status}`);
    }
  }

  const err = await readError(res);
  if (res.status === 401 && !opts.quiet401 && unauthorizedHandler) unauthorizedHandler();
  if (res.status === 402 && refusalHandler) refusalHandler(err);
  throw err;
}

async function readError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (body && typeof body === 'object') {
    const b = body as { code?: unknown; hint?: unknown; detail?: unknown };
    const hint = typeof b.hint === 'string' ? b.hint : '';
    const detail = typeof b.detail === 'string' ? b.detail : '';
    const code = typeof b.code === 'number' ? b.code : null;
    if (hint || detail) return new ApiError(res.status, code, hint, detail);
  }
  const statusText = res.statusText ? ` ${res.statusText}` : '';
  return new ApiError(res.status, null, 'The server could not complete the request.', `HTTP ${res.status}${statusText}`);
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body }),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PATCH', path, { ...opts, body }),
  del: <T>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
};

/** Path segment escaping for codes that go into URLs. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
