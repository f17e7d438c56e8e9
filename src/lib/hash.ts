// Content hashes used as record ids, so the same content imported or computed twice lands on
// the same id. Web Crypto exists in browsers, workers and Node ≥ 19, so this runs everywhere.

/** Deterministic JSON: object keys sorted, so equal values hash equally. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** SHA-256 of a string or of a value's stable JSON, as lowercase hex. */
export async function sha256(input: unknown): Promise<string> {
  const text = typeof input === 'string' ? input : stableStringify(input);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A short id derived from content: a prefix naming the kind, then 20 hex chars of SHA-256. */
export async function contentId(kind: string, content: unknown): Promise<string> {
  return `${kind}_${(await sha256(content)).slice(0, 20)}`;
}
