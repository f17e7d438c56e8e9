// The demo people, as the app shell shows them: loaded on a first open (unless the user removed
// them), whether they are present now, and the header's remove / restore button.
import { db } from '../store/db.ts';
import { ensureDemo, hasDemo, loadDemo, removeDemo } from '../demo/load.ts';
import { live } from './live.svelte.ts';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Construct during a component's initialisation: it keeps `present` current while that lives. */
export class DemoPeople {
  readonly #present = live(() => 0, () => hasDemo(db), false);
  busy = $state(false);
  error = $state<string | null>(null);

  get present(): boolean {
    return this.#present.value;
  }

  /** Loads the demo set on a first open; safe on every start. */
  ensure(): void {
    ensureDemo(db).catch((e) => (this.error = `Could not load the demo data: ${message(e)}`));
  }

  /** Removes the demo people (remembered) or brings them back. */
  async toggle(): Promise<void> {
    this.busy = true;
    try {
      if (this.present) await removeDemo(db);
      else await loadDemo(db);
    } catch (e) {
      this.error = `Could not change the demo data: ${message(e)}`;
    } finally {
      this.busy = false;
    }
  }
}
