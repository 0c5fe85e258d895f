// Display formats for the page's figures.

export const pct = (v: number | undefined | null) => (v === undefined || v === null || Number.isNaN(v) ? '—' : `${(Math.round(v * 10) / 10).toFixed(1)}%`);

export function usd(v: number | undefined | null): string {
  if (v === undefined || v === null) return '—';
  if (v === 0) return '$0';
  if (v < 0.01) return `$${v.toPrecision(2)}`;
  return `$${v.toFixed(v < 10 ? 3 : 2)}`;
}

export function ms(v: number | undefined | null): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(v / 60_000);
  return `${m} min ${Math.round((v % 60_000) / 1000)} s`;
}

export const int = (v: number | undefined | null) => (v === undefined || v === null ? '—' : v.toLocaleString('en-US'));

export function when(t: number | string | null | undefined): string {
  if (t === null || t === undefined) return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Any output as one line of text (strings as they are, anything else as JSON). */
export function asText(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
