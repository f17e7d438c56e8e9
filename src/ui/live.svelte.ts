// Store queries that stay current: a Dexie liveQuery re-runs when the tables it read change.
// `key` is read synchronously inside the effect, so a new key (another person) re-subscribes.
import { liveQuery } from 'dexie';

export interface Live<T> {
  value: T;
  error: string | null;
  loaded: boolean;
}

export function live<K, T>(key: () => K, query: (key: K) => Promise<T>, initial: T): Live<T> {
  const state = $state<Live<T>>({ value: initial, error: null, loaded: false });
  $effect(() => {
    const k = key();
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
