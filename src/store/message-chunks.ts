// The store keeps a conversation's messages in chunks (MessageChunk) rather than one record each:
// Chromium's IndexedDB spends ~90 µs per record written whatever its size, and its indexes add
// little, so fewer, larger records are what makes a large import fast (measured in issue 9).
// Pure functions between the two shapes, used by the store, its upgrade and backups.
import type { Message, MessageChunk } from '../domain/records.ts';

/** Bounds of one chunk: small enough that reading a conversation's start stays cheap. */
export const CHUNK_MAX_MESSAGES = 200;
export const CHUNK_MAX_CHARS = 32_000;

/**
 * Groups messages into chunks, each of one conversation, keeping their order; a conversation
 * whose messages exceed a chunk's bounds spans several chunks.
 */
export function toMessageChunks(messages: readonly Message[]): MessageChunk[] {
  const chunks: MessageChunk[] = [];
  const open = new Map<string, { chunk: MessageChunk; chars: number }>();
  for (const { conversationId, personId, ...message } of messages) {
    let current = open.get(conversationId);
    if (!current || current.chunk.messages.length >= CHUNK_MAX_MESSAGES || current.chars + message.text.length > CHUNK_MAX_CHARS) {
      current = { chunk: { id: message.id, conversationId, personId, messageIds: [], messages: [] }, chars: 0 };
      chunks.push(current.chunk);
      open.set(conversationId, current);
    }
    current.chunk.messageIds.push(message.id);
    current.chunk.messages.push(message);
    current.chars += message.text.length;
  }
  return chunks;
}

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** By conversation, then position, then id: the order IndexedDB's [conversationId+index] index kept. */
export function inConversationOrder(a: Message, b: Message): number {
  return compareIds(a.conversationId, b.conversationId) || a.index - b.index || compareIds(a.id, b.id);
}

/** The messages of chunks as Message records, in conversation order. */
export function messagesOfChunks(chunks: readonly MessageChunk[]): Message[] {
  const messages = chunks.flatMap((c) => c.messages.map((m): Message => ({ ...m, conversationId: c.conversationId, personId: c.personId })));
  return messages.sort(inConversationOrder);
}
