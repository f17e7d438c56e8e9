// Claude export conversations.json: `chat_messages` with `sender` human/assistant and either
// `content[]` (text items; thinking and tool items skipped) or plain `text`.
// Attachments: their `extracted_content` is what the assistant saw, so it is kept, appended to
// the human message after a marker line `[Attached file: NAME]`; files without extracted text
// (images) are only named as `[Attached file: NAME (no text)]`. Uploaded images and files listed
// under `files` / `files_v2` are not in the export at all: they are named in their message as
// `[Image or file not in the export: NAME]`, and the preview's notes count both kinds.
import type { ImportBundle, RecordSink } from '../domain/bundle.ts';
import { BundleBuilder, Reader, childPath, type Turn } from './common.ts';
import type { ExportOwner } from './chatgpt.ts';
import type { JsonDoc } from './json.ts';

export async function parseClaude(
  file: string, doc: Extract<JsonDoc, { kind: 'array' }>, owner: ExportOwner, identity: unknown, sink?: RecordSink,
): Promise<ImportBundle> {
  const r = new Reader(file);
  const b = new BundleBuilder('claude', file, sink);
  let person: Awaited<ReturnType<BundleBuilder['person']>> | null = null;
  for (let index = 0; index < doc.length; index++) {
    const path = `$[${index}]`;
    const conv = r.object(doc.item(index), path, 'a Claude conversation object');
    if (!person) {
      const account = conv.account && typeof conv.account === 'object' ? conv.account as Record<string, unknown> : {};
      const accountId = owner.id ?? (typeof account.uuid === 'string' ? account.uuid : undefined);
      person = await b.person(owner.name ?? `Claude export (${owner.archive ?? file})`, accountId ?? identity, accountId);
    }
    const messages = r.array(conv.chat_messages, childPath(path, 'chat_messages'), 'an array of chat messages');
    const turns: Turn[] = [];
    messages.forEach((value, i) => {
      const turn = readMessage(r, b, value, childPath(childPath(path, 'chat_messages'), i));
      if (turn) turns.push(turn);
    });
    const added = await b.conversation(person.id, turns, {
      title: r.optionalString(conv.name, childPath(path, 'name')) ?? '',
      startedAt: r.isoTime(conv.created_at, childPath(path, 'created_at')),
      externalId: r.optionalString(conv.uuid, childPath(path, 'uuid')),
    });
    if (!added) b.count('conversations without text were skipped');
  }
  return b.finish();
}

function readMessage(r: Reader, b: BundleBuilder, value: unknown, path: string): Turn | null {
  const message = r.object(value, path, 'a chat message object');
  const sender = r.string(message.sender, childPath(path, 'sender'), 'a sender "human" or "assistant"');
  if (sender !== 'human' && sender !== 'assistant') {
    r.fail(childPath(path, 'sender'), `expected a sender "human" or "assistant", found ${JSON.stringify(sender)}`);
  }
  const pieces: string[] = [];
  if (Array.isArray(message.content) && message.content.length > 0) {
    message.content.forEach((item, i) => {
      const itemPath = childPath(childPath(path, 'content'), i);
      const part = r.object(item, itemPath, 'a content item');
      const type = r.string(part.type, childPath(itemPath, 'type'), 'a content item type');
      if (type === 'text') pieces.push(r.string(part.text, childPath(itemPath, 'text'), 'the item text'));
      else b.count(`content items of type "${type}" were skipped (only text is imported)`);
    });
  } else {
    pieces.push(r.optionalString(message.text, childPath(path, 'text'), 'the message text') ?? '');
  }
  const attachments = message.attachments === undefined ? [] : r.array(message.attachments, childPath(path, 'attachments'));
  attachments.forEach((item, i) => {
    const itemPath = childPath(childPath(path, 'attachments'), i);
    const att = r.object(item, itemPath, 'an attachment object');
    const name = r.optionalString(att.file_name, childPath(itemPath, 'file_name')) ?? 'unnamed';
    const extracted = r.optionalString(att.extracted_content, childPath(itemPath, 'extracted_content'));
    pieces.push(extracted ? `[Attached file: ${name}]\n${extracted}` : `[Attached file: ${name} (no text)]`);
    if (!extracted) b.count('attachments without text (such as images) are only named in their message');
  });
  for (const key of ['files', 'files_v2'] as const) {
    const files = message[key] === undefined ? [] : r.array(message[key], childPath(path, key));
    files.forEach((item, i) => {
      const itemPath = childPath(childPath(path, key), i);
      const f = r.object(item, itemPath, 'a file object');
      const name = r.optionalString(f.file_name, childPath(itemPath, 'file_name')) ?? 'unnamed';
      pieces.push(`[Image or file not in the export: ${name}]`);
      b.count('images or files that Claude exports without their content are only named in their message');
    });
  }
  const text = pieces.filter((p) => p.trim() !== '').join('\n\n');
  if (text === '') return null;
  return {
    role: sender === 'human' ? 'user' : 'assistant',
    text,
    time: r.isoTime(message.created_at, childPath(path, 'created_at')),
  };
}
