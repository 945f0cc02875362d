// billing.mjs - helpers of the licensing suites: activation keys (issued with `fiscalhub admin
// keys issue` on the server's own store, and made up in the test with the same check-character
// rule), the billing API, and the trial allowance the product ships with.

// The free trial as shipped (tests/lib/server.mjs raises it for the other suites).
export const TRIAL = { FISCALHUB_TRIAL_CONNECTIONS: '1', FISCALHUB_TRIAL_INVOICES: '50' };

const ALPHA = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

// The check character of 11 key characters: sum((i + 1) * value) mod 31 (src/billing/keys.c).
export function checkChar(eleven) {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (sum + (i + 1) * ALPHA.indexOf(eleven[i])) % 31;
  return ALPHA[sum];
}

// A well-formed key that was never issued.
export function madeUpKey() {
  let body = '';
  for (let i = 0; i < 11; i++) body += ALPHA[Math.floor(Math.random() * 31)];
  body += checkChar(body);
  return `INT-${body.slice(0, 4)}-${body.slice(4, 8)}-${body.slice(8)}`;
}

// The key with its character at body position i replaced by another alphabet character.
export function typo(key, i = 5) {
  const body = key.slice(4).replace(/-/g, '').split('');
  body[i] = ALPHA[(ALPHA.indexOf(body[i]) + 7) % 31];
  const b = body.join('');
  return `INT-${b.slice(0, 4)}-${b.slice(4, 8)}-${b.slice(8)}`;
}

export const KEY_RE = /^INT-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/;

// Issues keys on srv's store: { tier, seats, months, count, validDays } -> array of keys.
export function issueKeys(srv, { tier = 'growth', seats = 3, months = 12, count = 1, validDays } = {}) {
  const args = ['keys', 'issue', '--tier', tier, '--seats', String(seats), '--months', String(months), '--count', String(count)];
  if (validDays) args.push('--valid-days', String(validDays));
  return srv.admin(args).trim().split('\n').filter(Boolean);
}

export const billing = (c) => c.get(`/api/orgs/${c.org}/billing`);
export const validateKey = (c, key) => c.post(`/api/orgs/${c.org}/billing/keys/validate`, { key });
export const activateKey = (c, key) => c.post(`/api/orgs/${c.org}/billing/keys/activate`, { key });
