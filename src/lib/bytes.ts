// Sizes as the app shows them, in one unit system: binary (1 MiB = 1024² bytes). WebLLM's own
// progress text counts the same way ("157MB fetched" is 157 × 1024² bytes), so a figure shown
// beside it agrees with it; catalog sizes in "MB" are WebLLM's megabytes too.

export const MIB = 1024 * 1024;

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

/** e.g. "999 bytes", "1.5 GiB", "157 MiB"; "—" when unknown. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '—';
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}
