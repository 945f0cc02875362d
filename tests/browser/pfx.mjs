// Test PFX files for the browser tests, made at test time with the openssl
// CLI (no private key is committed): a self-signed taxpayer certificate with
// the TaxCore extensions (V-SDC URL, TIN, API URL) and a subject like the tax
// authority's (SERIALNUMBER = UID, CN = taxpayer, OU = location). `openssl ca`
// is used so that the validity dates can be chosen (a certificate that
// expires seconds after upload).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PFX_PASSWORD = 'Xq7pW2zK';
export const PAC = 'K9Q2ZT';

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

function asn1Time(ms) {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** A scratch directory for PFX files; call dispose() when done. */
export function pfxMaker() {
  const work = mkdtempSync(join(tmpdir(), 'fh-web-pfx-'));
  const caDir = join(work, 'ca');
  mkdirSync(caDir);
  writeFileSync(join(caDir, 'index.txt'), '');
  writeFileSync(join(caDir, 'serial'), '1000\n');
  writeFileSync(join(caDir, 'ca.cnf'), CA_CNF);
  let seq = 0;
  const openssl = (args, cwd = work) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

  /**
   * Makes a PFX; returns { uid, taxpayer, location, buffer, notAfter }. Options: uid, end
   * (Unix ms of notAfter), password.
   */
  function make(o = {}) {
    seq += 1;
    const uid = o.uid || `BW${process.pid % 10000}X${seq}${Date.now() % 1000}`.slice(0, 15);
    const taxpayer = `Browser Taxpayer ${seq}`;
    const location = `Prodavnica ${seq}`;
    const name = `c${seq}`;
    const subj = `/C=RS/L=Beograd/street=Kneza Milosa 1/O=Test Org/OU=${location}/CN=${taxpayer}/serialNumber=${uid}`;
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(work, `${name}.key`), '-out', join(work, `${name}.csr`), '-subj', subj,
      '-addext', '1.3.6.1.4.1.49952.5.8.7=ASN1:UTF8String:https://vsdc.sandbox.taxcore.online/',
      '-addext', '1.3.6.1.4.1.49952.5.8.6=ASN1:UTF8String:104356789',
      '-addext', '1.3.6.1.4.1.49952.5.8.5=ASN1:IA5String:https://api.sandbox.taxcore.online/']);
    const end = o.end ?? Date.now() + 365 * 86400e3;
    openssl(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', join(work, `${name}.key`),
      '-in', join(work, `${name}.csr`), '-out', join(work, `${name}.pem`), '-notext',
      '-startdate', asn1Time(Date.now() - 3600e3), '-enddate', asn1Time(end)], caDir);
    const pfx = join(work, `${name}.pfx`);
    openssl(['pkcs12', '-export', '-in', join(work, `${name}.pem`), '-inkey', join(work, `${name}.key`),
      '-name', 'taxpayer', '-passout', `pass:${o.password ?? PFX_PASSWORD}`, '-out', pfx]);
    rmSync(join(work, `${name}.key`));
    return { uid, taxpayer, location, buffer: readFileSync(pfx), notAfter: Math.floor(end / 1000) * 1000 };
  }

  return { make, dispose: () => rmSync(work, { recursive: true, force: true }) };
}
