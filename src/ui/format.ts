// Dates shown in the app, formatted without Intl: the first Intl date format in a page loads
// the locale data on the main thread (50–200 ms in Chromium), which on the Batch screen
// happened exactly when the first run appeared in the list, just after "Run batch".

const pad = (n: number) => String(n).padStart(2, '0');

/** Local date and time to the minute, e.g. "2026-01-05 09:07". */
export function localDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Two significant digits, without an exponent (e.g. 0.31, 2.5, 25, 120). */
export function twoDigits(v: number): string {
  return String(Number(v.toPrecision(2)));
}

/**
 * A generation speed: tokens per second with two significant digits, or seconds per token
 * when slower than one token a second (a software GPU adapter gives 0.06 tokens/s, which
 * reads better as "16 s per token" than as "0.0 tokens/s").
 */
export function formatRate(tokensPerSecond: number): string {
  if (!Number.isFinite(tokensPerSecond) || tokensPerSecond <= 0) return 'no tokens yet';
  return tokensPerSecond >= 1 ? `${twoDigits(tokensPerSecond)} tokens/s` : `${twoDigits(1 / tokensPerSecond)} s per token`;
}
