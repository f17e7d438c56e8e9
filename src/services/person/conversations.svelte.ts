// The shown person's conversations and the messages of the one being read; a memory's evidence
// link names a conversation and a message to bring into view.
import { db } from '../../store/db.ts';
import type { Conversation, Message } from '../../domain/records.ts';
import { live } from '../live.svelte.ts';

interface Routed {
  conversationId: string | null;
  messageId: string | null;
}

/** Created in a component's script: it subscribes to the store for as long as the component lives. */
export class PersonConversations {
  readonly conversations = live(() => this.personId(), (id) => (id ? db.listConversations(id) : Promise.resolve([])), [] as Conversation[]);
  /** The conversation last clicked; one the route names comes first. */
  selectedId = $state<string | null>(null);
  readonly conversationId = $derived.by(() => this.routed().conversationId ?? this.selectedId ?? this.conversations.value[0]?.id ?? null);
  readonly messages = live(() => this.conversationId, (id) => (id ? db.listMessages(id) : Promise.resolve([])), [] as Message[]);
  /** The message an evidence link points at. */
  readonly highlighted = $derived.by(() => this.routed().messageId);
  readonly #indexOf = $derived(new Map(this.messages.value.map((m, i) => [m.id, i])));

  constructor(private personId: () => string | null, private routed: () => Routed) {}

  select(conversationId: string): void {
    this.selectedId = conversationId;
  }

  /** Where a message is in the shown conversation; undefined until that conversation has loaded. */
  indexOf(messageId: string): number | undefined {
    return this.#indexOf.get(messageId);
  }
}
