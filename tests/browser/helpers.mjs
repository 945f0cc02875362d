// Shared setup for the Client Portal browser tests.
//
// The tests drive Debian's Chromium through playwright-core against a running
// `fiscalhub serve` whose address is FH_BASE_URL. Each test gets a fresh
// browser context (no cookies, no storage). axe-core is evaluated through the
// DevTools protocol (page.evaluate(source)), which the page's strict
// Content-Security-Policy does not apply to; page.addScriptTag would insert an
// inline <script> that the CSP blocks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startFiscalServer, startSandbox } from '../lib/fiscal.mjs';

const require = createRequire(import.meta.url);

export const BASE_URL = (process.env.FH_BASE_URL || '').replace(/\/+$/, '');
export const ORIGIN = BASE_URL ? new URL(BASE_URL).origin : '';
export const PASSWORD = 'correct horse battery';

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails loudly (rather than skipping) when no server is configured or reachable. */
export async function requireServer() {
  assert.ok(BASE_URL, 'Set FH_BASE_URL to the address of a running `fiscalhub serve` (e.g. http://127.0.0.1:18080).');
  let res;
  try {
    res = await fetch(`${BASE_URL}/login`);
  } catch (e) {
    assert.fail(`fiscalhub is not reachable at ${BASE_URL}: ${e.cause?.message ?? e.message}`);
  }
  assert.equal(res.status, 200, `GET ${BASE_URL}/login should serve the portal`);
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/**
 * A fresh context and page. Console errors that report a Content-Security-
 * Policy violation are collected in page.cspViolations so tests can assert the
 * built portal runs under the server's CSP untouched. baseURL defaults to
 * FH_BASE_URL; tests that start a server of their own pass its address.
 */
export async function openPage(browser, { clipboard = false, baseURL = BASE_URL } = {}) {
  // Reduced motion: no button colour transitions, so axe never measures a
  // colour halfway through one.
  const context = await browser.newContext({
    baseURL,
    locale: 'en-GB',
    viewport: { width: 1280, height: 860 },
    reducedMotion: 'reduce',
  });
  if (clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(baseURL).origin });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.cspViolations = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) page.cspViolations.push(msg.text());
  });
  page.on('pageerror', (err) => page.cspViolations.push(`uncaught: ${err.message}`));
  return { context, page };
}

export function uniqueEmail(tag) {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Fills and submits the sign-up form; does not wait for the result. */
export async function submitSignup(page, { email, password = PASSWORD, name = 'Ana Tester', company = 'Acme d.o.o.' }) {
  await page.goto('/signup');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Company name').fill(company);
  await page.getByRole('button', { name: 'Create account' }).click();
}

export async function signUp(page, opts) {
  await submitSignup(page, opts);
  await page.waitForURL('**/integrations');
  await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
}

export async function logIn(page, email, password = PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/**
 * A world of its own for a browser test file that needs partners: fiscalhub-sandbox, a
 * `fiscalhub serve` trusting its V-SDC with quick job retries and env on top (an object, or a
 * function of the sandbox giving one; tests/lib/fiscal.mjs startFiscalServer), and Chromium.
 * Returns { sb, srv, browser, stop() }.
 */
export async function startWorld(env = {}) {
  const world = { sb: await startSandbox() };
  if (typeof env === 'function') env = env(world.sb); /* settings that need the sandbox's address */
  world.stop = async () => {
    await world.browser?.close();
    await world.srv?.stop();
    await world.sb.stop();
  };
  try {
    world.srv = await startFiscalServer(world.sb, env);
    world.browser = await launch();
  } catch (e) {
    await world.stop();
    throw e;
  }
  return world;
}

/** GET a portal API path from inside the page (with its cookies). */
export async function apiGet(page, path) {
  return page.evaluate(async (p) => {
    const res = await fetch(p, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, path);
}

/** The organization's integration uid (active or pending setup) as the API lists it, or null. */
export async function integrationOf(page, org, uid) {
  const r = await apiGet(page, `/api/orgs/${org}/integrations`);
  assert.equal(r.status, 200);
  return [...r.body.integrations, ...r.body.pending].find((i) => i.uid === uid) ?? null;
}

/**
 * Polls a fiscal invoice's details (portal API) until want(status) holds - by default until it
 * is no longer pending (signed, failed or on_hold) - and returns them; fails with the last
 * answer after timeoutMs.
 */
export async function invoiceSettled(page, org, id, want = (s) => s !== 'pending', timeoutMs = 30000) {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const r = await apiGet(page, `/api/orgs/${org}/fiscal-invoices/${id}`);
    if (r.status === 200 && want(r.body.status)) return r.body;
    assert.ok(Date.now() < deadline, `invoice ${id}: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/**
 * Uploads a certificate the sandbox issued to the organization (sb.issueCert of
 * tests/lib/sandbox.mjs, with its PFX in a file, or issueCert of tests/lib/fiscal.mjs, with it
 * in base64); its uid.
 */
export async function uploadIssuedCert(page, org, cert) {
  const added = await apiSend(page, 'POST', `/api/orgs/${org}/certificates`, {
    pfx_base64: cert.pfx_base64 ?? readFileSync(cert.pfxPath).toString('base64'),
    password: cert.password.trim(),
    pac: cert.pac.trim(),
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  return added.body.uid;
}

/** Creates a Custom Integration signing with the certificate certUid; the API's answer (uid, ...). */
export async function addCustomIntegration(page, org, certUid) {
  const made = await apiSend(page, 'POST', `/api/orgs/${org}/integrations`, { type: 'custom', certificate_uid: certUid });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return made.body;
}

/**
 * A state-changing API call from inside the page, as the portal makes it: the
 * session cookie plus the X-CSRF-Token of GET /api/me. Returns { status, body }.
 */
export async function apiSend(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const me = await fetch('/api/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      const { csrf_token: csrf } = await me.json();
      const headers = { Accept: 'application/json', 'X-CSRF-Token': csrf };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: res.status, body: json };
    },
    { method, path, body },
  );
}

/** Runs axe-core on the current page; returns serious and critical violations. */
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }),
  );
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(violations) {
  return violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n` + v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.replace(/\n/g, ' ')}`).join('\n'))
    .join('\n');
}

/** Fails with the list when axe finds serious or critical violations on the page. */
export async function noSerious(page, label) {
  const v = await seriousViolations(page);
  assert.equal(v.length, 0, `${label}: serious/critical axe violations:\n${describeViolations(v)}`);
}

/** Points the sandbox's demo Xero app (fiscalhub's default client) at this fiscalhub's callback. */
export async function pointXeroDemoApp(control, serverUrl) {
  const info = await control('GET', '/xero/control/info');
  const demo = info.apps.find((a) => a.client_id === 'D3A0D3A0D3A0D3A0D3A0D3A0D3A00001') ?? info.apps[0];
  assert.ok(demo, 'the sandbox has a demo app');
  await control('PUT', `/xero/control/apps/${demo.client_id}`, { redirect_uris: [`${serverUrl}/oauth/xero/callback`] });
}

export function assertNoCspViolations(page) {
  assert.deepEqual(page.cspViolations, [], `CSP violations or page errors:\n${page.cspViolations.join('\n')}`);
}
