// The Library's conversation reader: the selected person's conversations and the selected
// conversation's messages, live from the store, shown a page at a time.
import { liveQuery } from 'dexie';
import { db } from '../../store/db.ts';
import type { Conversation, Message } from '../../domain/records.ts';
import { errorText } from './errors.ts';

export const MESSAGE_PAGE = 200;

export class ReaderStore {
  conversations = $state.raw<Conversation[]>([]);
  selectedId = $state<string | null>(null);
  selected = $derived(this.conversations.find((c) => c.id === this.selectedId) ?? null);
  messages = $state.raw<Message[]>([]);
  shown = $state(MESSAGE_PAGE);
  error = $state<string | null>(null);

  /** Follows one person's conversations; a new person clears the selection. */
  watchPerson(personId: string | null): () => void {
    this.conversations = [];
    this.selectedId = null;
    if (!personId) return () => {};
    const sub = liveQuery(() => db.listConversations(personId)).subscribe({
      next: (list) => (this.conversations = list),
      error: (e) => (this.error = errorText(e)),
    });
    return () => sub.unsubscribe();
  }

  /** Follows one conversation's messages, from the first page. */
  watchConversation(conversationId: string | null): () => void {
    this.messages = [];
    this.shown = MESSAGE_PAGE;
    if (!conversationId) return () => {};
    const sub = liveQuery(() => db.listMessages(conversationId)).subscribe({
      next: (list) => (this.messages = list),
      error: (e) => (this.error = errorText(e)),
    });
    return () => sub.unsubscribe();
  }

  select(id: string): void {
    this.selectedId = id;
  }

  showMore(): void {
    this.shown += MESSAGE_PAGE;
  }
}
