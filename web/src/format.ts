// Display formatting shared by pages. Dates are shown in the browser's time
// zone with an unambiguous month name.

const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateFmt.format(d);
}

export function isPast(iso: string | null | undefined): boolean {
  if (!iso) return false;
  const t = new Date(iso).getTime();
  return !Number.isNaN(t) && t < Date.now();
}

/** The full stop after a name that ends a sentence: none when the name has one ("… d.o.o."). */
export function fullStop(name: string | null | undefined): string {
  return name && name.endsWith('.') ? '' : '.';
}

const count = new Intl.NumberFormat('en-GB');

export function plural(n: number, one: string, many: string): string {
  return `${count.format(n)} ${n === 1 ? one : many}`;
}

/** "1,250 / 50,000". */
export function ratio(n: number, limit: number): string {
  return `${count.format(n)} / ${count.format(limit)}`;
}

const dateTimeFmt = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateTimeFmt.format(d);
}

const amountFmt = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 4 });

const shortDateTimeFmt = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** Date and time to the minute, for tables. */
export function formatShortDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return shortDateTimeFmt.format(d);
}

/** A decimal string from the API ("100.87", "8.3287") for display; kept as is when it is not a number. */
export function formatAmount(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  if (!/^-?\d+(\.\d+)?$/.test(value)) return value;
  return amountFmt.format(Number(value));
}

/** A tax rate as the V-SDC gives it (a percentage, "20.0000") for display. */
export function formatRate(value: string | null | undefined): string {
  const a = formatAmount(value);
  return a ? `${a.replace(/\.?0+$/, '')} %` : '';
}

/** Only http(s) addresses become links. */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** "1 minute", "5 minutes", "2 hours", "30 seconds": a whole number of seconds in its largest
 * whole unit. */
export function formatSpan(seconds: number): string {
  const [n, unit] =
    seconds >= 3600 && seconds % 3600 === 0
      ? [seconds / 3600, 'hour']
      : seconds >= 60 && seconds % 60 === 0
        ? [seconds / 60, 'minute']
        : [seconds, 'second'];
  return n === 1 ? `1 ${unit}` : `${n} ${unit}s`;
}

/** "every minute", "every 15 minutes": how often something runs. */
export function formatEvery(seconds: number): string {
  const s = formatSpan(seconds);
  return s.startsWith('1 ') ? `every ${s.slice(2)}` : `every ${s}`;
}
