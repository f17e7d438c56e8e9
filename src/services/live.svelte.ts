// Store queries that stay current: a Dexie liveQuery re-runs when the tables it read change.
// `key` is read synchronously inside the effect, so a new key (another person) re-subscribes.
// Values are raw (not deeply proxied): they are replaced whole on every change, which keeps
// thousands of rows cheap and lets them be posted to a worker as they are.
import { liveQuery } from 'dexie';

export class Live<T> {
  value = $state.raw<T>() as T;
  error = $state<string | null>(null);
  loaded = $state(false);
  constructor(initial: T) {
    this.value = initial;
  }
}

/** With `live: false` the query runs once per key, not again on every change of its tables. */
export function live<K, T>(key: () => K, query: (key: K) => Promise<T>, initial: T, options: { live?: boolean } = {}): Live<T> {
  const state = new Live<T>(initial);
  $effect(() => {
    const k = key();
    if (options.live === false) {
      let current = true;
      query(k).then(
        (v) => {
          if (!current) return;
          state.value = v;
          state.error = null;
          state.loaded = true;
        },
        (e) => current && (state.error = e instanceof Error ? e.message : String(e)),
      );
      return () => {
        current = false;
      };
    }
    const subscription = liveQuery(() => query(k)).subscribe({
      next: (v) => {
        state.value = v;
        state.error = null;
        state.loaded = true;
      },
      error: (e) => (state.error = e instanceof Error ? e.message : String(e)),
    });
    return () => subscription.unsubscribe();
  });
  return state;
}
