// Client-side checks that mirror the API's documented limits, so the user
// hears about an empty or too-short field before a round trip. The server
// remains the authority; its message is shown when it disagrees.

export function checkEmail(v: string): string | null {
  const s = v.trim();
  if (!s) return 'Enter your email address.';
  if (!/^[^\s@]+@[^\s@]+$/.test(s)) return 'Enter an email address like ana@example.com.';
  if (s.length > 254) return 'That email address is too long.';
  return null;
}

export function checkNewPassword(v: string): string | null {
  if (!v) return 'Choose a password.';
  if (v.length < 10) return `Use at least 10 characters (you have ${v.length}).`;
  if (v.length > 200) return 'Use at most 200 characters.';
  return null;
}

export function checkPassword(v: string): string | null {
  return v ? null : 'Enter your password.';
}

export function checkText(v: string, what: string, max: number): string | null {
  const s = v.trim();
  if (!s) return `Enter ${what}.`;
  if (s.length > max) return `Use at most ${max} characters.`;
  return null;
}

export type Errors<K extends string> = Partial<Record<K, string | null>>;

export function firstInvalid<K extends string>(order: K[], errors: Errors<K>): K | null {
  return order.find((k) => !!errors[k]) ?? null;
}
