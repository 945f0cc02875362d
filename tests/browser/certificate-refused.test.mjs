// A certificate the V-SDC refuses, in the portal. Starts its own sandbox (the V-SDC) and server.
// The certificate is revoked at the V-SDC (the sandbox answers its requests with 403), so an
// invoice of a Custom Integration fails: Certificates then shows it "Refused by the V-SDC" with
// the V-SDC's words, since when and what to do, and the integration's row says the same next to
// the certificate. Reinstated at the V-SDC, a retried invoice is signed and both go back to
// Active. axe-core: no serious or critical violations on either page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { invoice, issueCert } from '../lib/fiscal.mjs';
import { addCustomIntegration, apiGet, apiSend, assertNoCspViolations, invoiceSettled, noSerious, openPage, signUp, startWorld, uniqueEmail, uploadIssuedCert } from './helpers.mjs';

let sb, srv, browser, world;

before(async () => {
  world = await startWorld();
  ({ sb, srv, browser } = world);
});
after(async () => {
  await world?.stop();
});

test('a certificate the V-SDC refuses: Refused by the V-SDC on Certificates and on its integration, until it signs again', async () => {
  const { context, page } = await openPage(browser, { baseURL: srv.url });
  try {
    await signUp(page, { email: uniqueEmail('refused'), company: 'Refused d.o.o.' });
    const org = (await apiGet(page, '/api/me')).body.orgs[0].code;
    const cert = await issueCert(sb);
    await uploadIssuedCert(page, org, cert);
    const { uid } = await addCustomIntegration(page, org, cert.uid);

    await sb.control('POST', `/vsdc/control/taxpayers/${cert.uid}/revoke`, {});
    const sent = await apiSend(page, 'POST', `/api/orgs/${org}/fiscal-invoices`, {
      certificate_uid: cert.uid,
      source_id: `REF-${Date.now()}`,
      invoice: invoice({ pos_invoice_number: 'REF-1' }),
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const failed = await invoiceSettled(page, org, sent.body.id, (s) => s === 'failed');
    assert.match(failed.last_error, /refused the certificate/);

    await page.goto('/integrations/certificates');
    const certRow = page.locator(`tr[data-uid="${cert.uid}"]`);
    await certRow.getByText('Refused by the V-SDC', { exact: true }).waitFor();
    const note = certRow.getByTestId('cert-refused');
    const text = (await note.innerText()).trim();
    assert.match(text, /^Since .+: The V-SDC refused the certificate \(403: The client certificate has been revoked\.\); it may be revoked or not issued for this V-SDC\. /, text);
    assert.ok(text.endsWith('Invoices fail until it signs again: upload a valid certificate and use Change certificate on its integrations.'), text);
    assert.ok(Date.parse(await note.locator('time').getAttribute('datetime')) <= Date.now());
    await noSerious(page, 'Certificates with a refused certificate');
    await page.screenshot({ path: '/tmp/fh-certificate-refused.png', fullPage: true });

    await page.goto('/integrations');
    const fact = page.locator(`tbody[data-uid="${uid}"]`).getByTestId('certificate');
    await fact.waitFor();
    const said = (await fact.innerText()).replace(/\s+/g, ' ');
    assert.ok(said.includes(`${cert.uid} was refused by the V-SDC: invoices fail until it signs again. Upload a valid certificate and use Change certificate. The V-SDC refused the certificate (403`), said);
    assert.match(await fact.getAttribute('class'), /row-fact--problem/);
    await noSerious(page, 'Integrations with a refused certificate');

    // reinstated at the V-SDC: a retry signs, and the certificate is Active again
    await sb.control('POST', `/vsdc/control/taxpayers/${cert.uid}/unrevoke`, {});
    const retry = await apiSend(page, 'POST', `/api/orgs/${org}/fiscal-invoices/${sent.body.id}/retry`);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    await invoiceSettled(page, org, sent.body.id, (s) => s === 'signed');
    await page.reload();
    await fact.waitFor();
    assert.ok(!(await fact.innerText()).includes('refused'), await fact.innerText());
    await page.goto('/integrations/certificates');
    await certRow.getByText('Active', { exact: true }).waitFor();
    assert.equal(await certRow.getByTestId('cert-refused').count(), 0);
    await assertNoCspViolations(page);
  } finally {
    await context.close();
  }
});
