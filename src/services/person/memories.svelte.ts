// The shown person's memories, the messages each rests on, and the hand edits: add, edit,
// delete (after a yes).
import { db } from '../../store/db.ts';
import type { Memory, Message } from '../../domain/records.ts';
import { deleteMemory, saveMemory } from '../person.ts';
import { live } from '../live.svelte.ts';

/** Created in a component's script: it subscribes to the store for as long as the component lives. */
export class MemoryList {
  readonly memories = live(() => this.personId(), (id) => (id ? db.listMemories(id) : Promise.resolve([])), [] as Memory[]);
  // Evidence ids → where they live, for links (only this person's messages are looked up).
  readonly evidence = live(() => this.memories.value, (mems) => db.getMessages(mems.flatMap((m) => m.evidence)), new Map<string, Message>());
  readonly anyExtracted = $derived(this.memories.value.some((m) => m.origin === 'extracted'));
  /** The memory being written: a new one (id null) or an edit of a stored one. */
  draft = $state<{ id: string | null; label: string; value: string } | null>(null);
  /** The memory whose Delete was pressed, waiting for the user's yes. */
  deletingId = $state<string | null>(null);

  constructor(private personId: () => string | null) {}

  startAdd(): void {
    this.draft = { id: null, label: '', value: '' };
  }

  startEdit(m: Memory): void {
    this.draft = { id: m.id, label: m.label, value: m.value };
  }

  cancelEdit(): void {
    this.draft = null;
  }

  async save(): Promise<void> {
    const personId = this.personId();
    const draft = this.draft;
    if (!personId || !draft || !draft.label.trim() || !draft.value.trim()) return;
    const old = draft.id ? this.memories.value.find((m) => m.id === draft.id) : undefined;
    await saveMemory(personId, draft, old);
    this.draft = null;
  }

  askDelete(id: string): void {
    this.deletingId = id;
  }

  keep(): void {
    this.deletingId = null;
  }

  confirmDelete(id: string): void {
    void deleteMemory(id);
    this.deletingId = null;
  }
}
