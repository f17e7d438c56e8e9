// The Library's people list: every person with their counts, live from the store; which one is
// selected; renaming and deleting (with a confirmation step the panel shows).
import { liveQuery } from 'dexie';
import { db } from '../../store/db.ts';
import type { Person } from '../../domain/records.ts';
import { errorText } from './errors.ts';
import { StatusLine } from '../status-line.svelte.ts';

export type PersonRow = Person & { conversations: number; messages: number; cases: number };

export class PeopleStore {
  people = $state.raw<PersonRow[] | null>(null);
  error = $state<string | null>(null);
  #status = new StatusLine();
  /** The outcome of the last rename or delete, for a while. */
  get status(): string | null {
    return this.#status.text;
  }
  selectedId = $state<string | null>(null);
  selected = $derived(this.people?.find((p) => p.id === this.selectedId) ?? null);
  renamingId = $state<string | null>(null);
  newName = $state('');
  deletingId = $state<string | null>(null);

  /** Keeps `people` current; returns the unsubscribe for the caller's effect teardown. */
  watch(): () => void {
    const sub = liveQuery(async () => {
      const list = await db.listPeople();
      const counts = await Promise.all(list.map((p) => db.personCounts(p.id)));
      return list.map((p, i) => ({ ...p, ...counts[i] }));
    }).subscribe({
      next: (rows) => {
        this.people = rows;
        if (this.selectedId && !rows.some((p) => p.id === this.selectedId)) this.selectedId = null;
      },
      error: (e) => (this.error = errorText(e)),
    });
    return () => sub.unsubscribe();
  }

  select(id: string | null): void {
    this.selectedId = id;
  }

  startRename(p: Person): void {
    this.renamingId = p.id;
    this.newName = p.name;
    this.deletingId = null;
  }

  async saveRename(): Promise<void> {
    if (!this.renamingId) return;
    try {
      await db.renamePerson(this.renamingId, this.newName);
      this.#status.done(`Renamed to ${this.newName.trim()}.`);
      this.renamingId = null;
    } catch (e) {
      this.#status.hold(`Could not rename: ${errorText(e)}`);
    }
  }

  askDelete(p: Person): void {
    this.deletingId = p.id;
    this.renamingId = null;
  }

  async confirmDelete(p: Person): Promise<void> {
    try {
      await db.deletePerson(p.id);
      this.#status.done(`Deleted ${p.name} and everything that belonged to them.`);
    } catch (e) {
      this.#status.hold(`Could not delete ${p.name}: ${errorText(e)}`);
    }
    this.deletingId = null;
  }
}
