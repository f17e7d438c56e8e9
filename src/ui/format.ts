// Dates shown in the app, formatted without Intl: the first Intl date format in a page loads
// the locale data on the main thread (50–200 ms in Chromium), which on the Batch screen
// happened exactly when the first run appeared in the list, just after "Run batch".

const pad = (n: number) => String(n).padStart(2, '0');

/** Local date and time to the minute, e.g. "2026-01-05 09:07". */
export function localDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
