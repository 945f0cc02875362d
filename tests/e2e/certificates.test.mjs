// Taxpayer certificates: upload (PFX + password + PAC), list, revoke; every refusal has its own
// code and writes nothing; roles and tenants are enforced; secrets never leave the server and are
// not stored in plain text. Test PFX files are made here, at test time, with the openssl CLI
// (`openssl ca` for chosen validity dates); no private key is committed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, Client, signup, storeQuery, storeExec, uniqueEmail } from '../lib/server.mjs';

const PW = 'Xq7pW2zK';
const PAC = 'K9Q2ZT';
const VSDC = 'https://vsdc.sandbox.taxcore.online/';
const API = 'https://api.sandbox.taxcore.online/';
const TIN = '104356789';
const USER_PW = 'long enough password';

let srv, owner, work, caDir;
let seq = 0;
const users = {};

const CA_CNF = `[ca]
default_ca = d
[d]
dir = .
database = ./index.txt
serial = ./serial
new_certs_dir = .
default_md = sha256
policy = p
preserve = yes
copy_extensions = copy
unique_subject = no
[p]
countryName = optional
localityName = optional
streetAddress = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
serialNumber = optional
`;

function openssl(args, cwd = work) {
  return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

function asn1Time(ms) {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

// Makes a PFX and returns { uid, der, b64, notAfter }. Options: uid, taxcore (extensions),
// start/end (Unix ms), legacy (RC2/3DES encryption), nokeys (certificate only), password.
function makePfx(o = {}) {
  seq += 1;
  const uid = o.uid || `UT${process.pid % 1000}X${seq}`.slice(0, 15);
  const name = `c${seq}`;
  const subj = `/C=RS/L=Beograd/street=Kneza Milosa 1/O=Test Org/OU=Prodavnica 7/CN=Test Taxpayer ${seq}/serialNumber=${uid}`;
  const ext = o.taxcore === false ? [] : [
    '-addext', `1.3.6.1.4.1.49952.5.8.7=ASN1:UTF8String:${VSDC}`,
    '-addext', `1.3.6.1.4.1.49952.5.8.6=ASN1:UTF8String:${TIN}`,
    '-addext', `1.3.6.1.4.1.49952.5.8.5=ASN1:IA5String:${API}`,
  ];
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(work, `${name}.key`), '-out', join(work, `${name}.csr`), '-subj', subj, ...ext]);
  const start = o.start ?? Date.now() - 3600e3;
  const end = o.end ?? Date.now() + 365 * 86400e3;
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', join(work, `${name}.key`),
    '-in', join(work, `${name}.csr`), '-out', join(work, `${name}.pem`), '-notext',
    '-startdate', asn1Time(start), '-enddate', asn1Time(end)], caDir);
  const pfx = join(work, `${name}.pfx`);
  openssl(['pkcs12', '-export', '-in', join(work, `${name}.pem`),
    ...(o.nokeys ? ['-nokeys'] : ['-inkey', join(work, `${name}.key`)]),
    ...(o.legacy ? ['-legacy'] : []), '-name', 'taxpayer', '-passout', `pass:${o.password ?? PW}`, '-out', pfx]);
  rmSync(join(work, `${name}.key`));
  const der = readFileSync(pfx);
  return { uid, der, b64: der.toString('base64'), notAfter: Math.floor(end / 1000) * 1000 };
}

const path = (c, rest = '') => `/api/orgs/${c.org}/certificates${rest}`;
const upload = (c, pfx, extra = {}) => c.post(path(c), { pfx_base64: pfx.b64, password: PW, pac: PAC, ...extra });
const list = async (c) => {
  const r = await c.get(path(c));
  assert.equal(r.status, 200, r.text);
  return r.json.certificates;
};

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fh-cert-'));
  caDir = join(work, 'ca');
  execFileSync('mkdir', [caDir]);
  writeFileSync(join(caDir, 'index.txt'), '');
  writeFileSync(join(caDir, 'serial'), '1000\n');
  writeFileSync(join(caDir, 'ca.cnf'), CA_CNF);
  srv = await startServer();
  owner = await signup(srv.url, 'certs');
  for (const role of ['admin', 'member', 'viewer']) {
    const email = uniqueEmail(role);
    const r = await owner.post(`/api/orgs/${owner.org}/members`, { email, role, name: role, password: USER_PW });
    assert.equal(r.status, 201, r.text);
    const c = new Client(srv.url);
    assert.equal((await c.post('/api/auth/login', { email, password: USER_PW })).status, 200);
    c.org = owner.org;
    users[role] = c;
  }
});
after(async () => {
  if (srv) await srv.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

let good; // uploaded by the first test, used by the later ones

test('an admin uploads a certificate; the list shows it without any secret', async () => {
  good = makePfx();
  const r = await upload(users.admin, good);
  assert.equal(r.status, 201, r.text);
  const c = r.json;
  assert.equal(c.uid, good.uid);
  assert.match(c.taxpayer, /^Test Taxpayer \d+$/);
  assert.equal(c.tin, TIN);
  assert.equal(c.location, 'Prodavnica 7');
  assert.equal(c.address, 'Kneza Milosa 1, Beograd, RS');
  assert.equal(c.vsdc_url, VSDC);
  assert.equal(c.api_url, API);
  assert.equal(c.status, 'active');
  assert.equal(c.expires_at, new Date(good.notAfter).toISOString());
  assert.equal(c.revoked_at, null);
  assert.ok(Math.abs(Date.parse(c.created_at) - Date.now()) < 60e3);
  const all = await list(users.viewer);
  assert.equal(all.length, 1);
  assert.deepEqual(all[0], c);
  const text = JSON.stringify(all);
  for (const secret of [PW, PAC, good.b64.slice(100, 140)]) assert.ok(!text.includes(secret));
  for (const k of ['password', 'pac', 'pfx', 'pfx_base64', 'pfx_sealed']) assert.ok(!(k in all[0]), k);
});

test('an old RC2/3DES (legacy) PFX file is accepted', async () => {
  const pfx = makePfx({ legacy: true });
  const r = await upload(owner, pfx);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.uid, pfx.uid);
});

test('each refusal has its own code, and nothing is stored', async () => {
  const beforeList = JSON.stringify(await list(owner));
  const expired = makePfx({ start: Date.UTC(2020, 0, 1), end: Date.UTC(2021, 0, 1) });
  const future = makePfx({ start: Date.now() + 2 * 86400e3 });
  const plain = makePfx({ taxcore: false });
  const certOnly = makePfx({ nokeys: true });
  const fresh = makePfx();
  const big = { b64: randomBytes(64 * 1024 + 1).toString('base64') };
  const cases = [
    ['garbage bytes', { pfx_base64: randomBytes(600).toString('base64') }, 422, 4000],
    ['a PEM file', { pfx_base64: Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n').toString('base64') }, 422, 4000],
    ['wrong password', { pfx_base64: fresh.b64, password: 'Xq7pW2zk' }, 422, 4001, /password/],
    ['expired', { pfx_base64: expired.b64 }, 422, 4002, /2021-01-01T00:00:00\.000Z/],
    ['not yet valid', { pfx_base64: future.b64 }, 422, 4003, /valid from \d{4}-/],
    ['no private key', { pfx_base64: certOnly.b64 }, 422, 4004, /no private key/],
    ['no TaxCore extensions', { pfx_base64: plain.b64 }, 422, 4005, /TaxCore/],
    ['file over 64 KiB', { pfx_base64: big.b64 }, 422, 4006],
    ['PAC too short', { pfx_base64: fresh.b64, pac: 'K9Q2Z' }, 422, 4007],
    ['PAC too long', { pfx_base64: fresh.b64, pac: 'K9Q2ZT1' }, 422, 4007],
    ['PAC with a symbol', { pfx_base64: fresh.b64, pac: 'K9Q2Z!' }, 422, 4007],
    ['not base64', { pfx_base64: '!!!not base64!!!' }, 400, 1003, /pfx_base64/],
    ['PAC missing', { pfx_base64: fresh.b64, pac: undefined }, 400, 1001],
    ['an unknown field', { pfx_base64: fresh.b64, pin: '1234' }, 400, 1006],
    ['duplicate UID', { pfx_base64: makePfx({ uid: good.uid }).b64 }, 409, 4008, new RegExp(good.uid)],
  ];
  for (const [what, body, status, code, detail] of cases) {
    const r = await owner.post(path(owner), { pfx_base64: fresh.b64, password: PW, pac: PAC, ...body }).catch((e) => { throw new Error(`${what}: ${e.cause}`); });
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.equal(r.json.code, code, what);
    if (detail) assert.match(r.json.detail, detail, what);
    for (const secret of [PW, PAC]) assert.ok(!r.text.includes(secret), `${what} echoes a secret`);
  }
  // a body over the route's limit (100 KiB) is refused before it is read
  const huge = await owner.post(path(owner), { pfx_base64: randomBytes(80 * 1024).toString('base64'), password: PW, pac: PAC });
  assert.equal(huge.status, 413);
  assert.equal(huge.json.code, 1007);
  assert.equal(JSON.stringify(await list(owner)), beforeList);
  // the certificate refused for its PAC alone uploads fine with a good one
  assert.equal((await upload(owner, fresh)).status, 201);
});

test('viewers and members may list but not upload or revoke', async () => {
  const pfx = makePfx();
  for (const role of ['viewer', 'member']) {
    const c = users[role];
    assert.equal((await c.get(path(c))).status, 200);
    const r = await upload(c, pfx);
    assert.equal(r.status, 403, `${role}: ${r.text}`);
    assert.equal(r.json.code, 3003);
    const v = await c.post(path(c, `/${good.uid}/revoke`));
    assert.equal(v.status, 403);
    assert.equal(v.json.code, 3003);
  }
  assert.ok(!(await list(owner)).some((c) => c.uid === pfx.uid));
  assert.equal((await list(owner)).find((c) => c.uid === good.uid).status, 'active');
});

test('another tenant sees nothing: 404 for the organization and for the UID', async () => {
  const b = await signup(srv.url, 'other-tenant');
  const beforeList = JSON.stringify(await list(owner));
  const pfx = makePfx();
  const calls = [
    ['GET', path(owner)],
    ['POST', path(owner), { pfx_base64: pfx.b64, password: PW, pac: PAC }],
    ['POST', path(owner, `/${good.uid}/revoke`)],
  ];
  for (const [m, p, body] of calls) {
    const r = await b.req(m, p, body);
    assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
    assert.equal(r.json.code, 2000);
  }
  // through its own organization, tenant B cannot reach A's UID either
  const r = await b.post(path(b, `/${good.uid}/revoke`));
  assert.equal(r.status, 404);
  assert.equal(r.json.code, 2000);
  assert.deepEqual(await list(b), []);
  // the same certificate may be uploaded by another organization: UIDs are per organization
  assert.equal((await upload(b, good)).status, 201);
  assert.equal(JSON.stringify(await list(owner)), beforeList);
});

test('revoke: status revoked, idempotent, and the UID cannot be uploaded again', async () => {
  const r = await owner.post(path(owner, `/${good.uid}/revoke`));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.uid, good.uid);
  assert.equal(r.json.status, 'revoked');
  assert.ok(r.json.revoked_at);
  const again = await users.admin.post(path(owner, `/${good.uid}/revoke`));
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, r.json);
  assert.equal((await list(owner)).find((c) => c.uid === good.uid).status, 'revoked');
  const up = await upload(owner, good);
  assert.equal(up.status, 409);
  assert.equal(up.json.code, 4008);
  assert.match(up.json.detail, /revoked/);
  let n = await owner.post(path(owner, '/NOSUCH99/revoke'));
  assert.equal(n.status, 404);
  assert.equal(n.json.code, 2000);
  n = await owner.post(path(owner, '/bad%20uid/revoke'));
  assert.equal(n.status, 400);
  assert.equal(n.json.code, 1010);
});

test('"expired" and "refused" are derived when the certificate is read, alike on its integration', async () => {
  const soon = makePfx({ end: Date.now() + 5000 });
  const r = await upload(owner, soon);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'active');
  const made = await owner.post(`/api/orgs/${owner.org}/integrations`, { type: 'custom', certificate_uid: soon.uid });
  assert.equal(made.status, 201, made.text);
  const integ = async () => {
    const x = await owner.get(`/api/orgs/${owner.org}/integrations`);
    assert.equal(x.status, 200, x.text);
    const it = x.json.integrations.find((i) => i.uid === made.json.uid);
    return [it.certificate_status, it.certificate_refused_reason];
  };
  assert.deepEqual(await integ(), ['active', null]);
  // the V-SDC refused it the last time it was used (as fh_cert_refused records it)
  storeExec(srv, `UPDATE certificates SET refused_at = ${Date.now()}, refused_reason = 'certificate unknown' WHERE uid = '${soon.uid}'`);
  assert.equal((await list(owner)).find((c) => c.uid === soon.uid).status, 'refused');
  assert.deepEqual(await integ(), ['refused', 'certificate unknown']);
  const wait = soon.notAfter - Date.now() + 300;
  if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  // past its expiry it is expired, whatever the V-SDC said before
  assert.equal((await list(owner)).find((c) => c.uid === soon.uid).status, 'expired');
  assert.deepEqual(await integ(), ['expired', null]);
});

test('the store holds no plaintext PFX, password or PAC', async (t) => {
  const db = join(srv.dir, 'fiscalhub.db');
  if (!existsSync(db)) {
    t.skip('the byte check reads the SQLite file; this run uses PostgreSQL');
    return;
  }
  const dbBytes = () => Buffer.concat([db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f)));
  const pfx = makePfx();
  assert.equal((await upload(owner, pfx)).status, 201);
  const bytes = dbBytes();
  // the PFX's DER (every 32-byte window) and base64, the password and the PAC are not in the file
  for (let off = 0; off + 32 <= pfx.der.length; off += 16)
    assert.equal(bytes.indexOf(pfx.der.subarray(off, off + 32)), -1, `PFX bytes at ${off} found in the database`);
  assert.equal(bytes.indexOf(Buffer.from(pfx.b64.slice(0, 40))), -1, 'PFX base64 found in the database');
  for (const s of [PW, PAC]) assert.equal(bytes.indexOf(Buffer.from(s)), -1, `${s} found in the database`);
});

const hasTool = (tool) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const query = (sql) => storeQuery(srv, sql);

test('stored secrets are sealed text; a revoked certificate has none left', async (t) => {
  const tool = existsSync(join(srv.dir, 'fiscalhub.db')) ? 'sqlite3' : 'psql';
  if (!hasTool(tool)) {
    t.skip(`the ${tool} command is not installed`);
    return;
  }
  const active = query("SELECT uid, pfx_sealed, password_sealed, pac_sealed FROM certificates WHERE status = 'active'");
  assert.ok(active.length >= 3);
  for (const row of active) {
    for (const k of ['pfx_sealed', 'password_sealed', 'pac_sealed']) assert.match(row[k], /^v1:[A-Za-z0-9+/=]+$/);
    assert.ok(!row.password_sealed.includes(PW) && !row.pac_sealed.includes(PAC));
  }
  const revoked = query("SELECT pfx_sealed, password_sealed, pac_sealed FROM certificates WHERE status = 'revoked'");
  assert.ok(revoked.length >= 1);
  for (const row of revoked) assert.deepEqual([row.pfx_sealed, row.password_sealed, row.pac_sealed], [null, null, null]);
});

test('the server log never shows a password or a PAC', async () => {
  const log = readFileSync(srv.logFile, 'utf8');
  for (const s of [PW, PAC, 'Xq7pW2zk']) assert.ok(!log.includes(s), `${s} in the log`);
});
