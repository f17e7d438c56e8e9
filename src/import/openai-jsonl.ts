// OpenAI chat JSONL: one JSON object per line. `{"messages": [...]}` lines are conversations;
// preference lines `{input: {messages}, preferred_output, non_preferred_output}` become a case
// (query = the last user message, earlier turns = a history conversation) with two candidates
// labelled 1 (preferred) and 0 (not preferred). The file is one person's data.
// Preference data carries no query category; an optional `category` field (or
// `metadata.category`) is read, otherwise ES is used and the preview says so.
import type { ImportBundle } from '../domain/bundle.ts';
import { BundleBuilder, Reader, childPath, fail, fileStem, type Turn } from './common.ts';
import { MAX_DEPTH, locateSyntaxError, tooDeepAt } from './json.ts';
import { decodeUtf8 } from './text.ts';
import type { QueryCategory } from '../domain/records.ts';

export async function parseOpenAiJsonl(file: string, bytes: Uint8Array, identity: unknown): Promise<ImportBundle> {
  const b = new BundleBuilder('openai-jsonl', file);
  const person = await b.person(`Chat data: ${fileStem(file)}`, identity);
  let defaultedCategories = 0;
  let lineNo = 0;
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    lineNo++;
    const lineBytes = bytes.subarray(start, end);
    const lineStart = start;
    start = end + 1;
    const text = decodeUtf8(file, lineBytes, lineStart).trim();
    if (text === '') continue;
    const where = `line ${lineNo}`;
    const deep = tooDeepAt(lineBytes);
    if (deep >= 0) fail(file, where, `nesting deeper than ${MAX_DEPTH} levels at character ${deep + 1}; expected a chat line, not deeply nested data`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      const found = locateSyntaxError(text);
      fail(file, where, `expected one JSON object per line; this line is not valid JSON${found ? ` (expected ${found.expected} at character ${found.pos + 1})` : ''}`);
    }
    const r = new Reader(file);
    const line = r.object(value, where, 'a JSON object with "messages" or "input"');
    if (line.messages !== undefined) {
      const turns = readMessages(r, line.messages, `${where} $.messages`);
      const added = await b.conversation(person.id, turns, { title: '', startedAt: null });
      if (!added) b.count('lines without user or assistant text were skipped');
    } else if (line.input !== undefined) {
      const input = r.object(line.input, `${where} $.input`, 'an object with "messages"');
      const turns = readMessages(r, input.messages, `${where} $.input.messages`);
      const lastUser = turns.map((t) => t.role).lastIndexOf('user');
      if (lastUser < 0) r.fail(`${where} $.input.messages`, 'expected at least one user message (the query)');
      const history = turns.slice(0, lastUser);
      if (history.length > 0) await b.conversation(person.id, history, { title: 'preference history', startedAt: null });
      const metadata = line.metadata && typeof line.metadata === 'object' ? line.metadata as Record<string, unknown> : {};
      const rawCategory = line.category ?? metadata.category;
      let category: QueryCategory = 'ES';
      if (rawCategory === undefined) defaultedCategories++;
      else category = r.category(rawCategory, `${where} $.${line.category !== undefined ? 'category' : 'metadata.category'}`);
      const item = await b.case(person.id, { query: turns[lastUser].text, category, relevantMemoryIds: [] });
      const preferred = replyText(r, line.preferred_output, `${where} $.preferred_output`);
      const other = replyText(r, line.non_preferred_output, `${where} $.non_preferred_output`);
      await b.candidate(item, preferred, 'preferred', 1);
      await b.candidate(item, other, 'non-preferred', 0);
    } else {
      r.fail(where, `expected a "messages" array or a preference line with "input", found keys ${Object.keys(line).join(', ') || '(none)'}`);
    }
  }
  if (defaultedCategories > 0) {
    b.note(`${defaultedCategories} preference case(s) had no category; they were set to ES (emotional support)`);
  }
  return b.finish();
}

function readMessages(r: Reader, value: unknown, path: string): Turn[] {
  const turns: Turn[] = [];
  r.array(value, path, 'an array of {role, content} messages').forEach((item, i) => {
    const itemPath = childPath(path, i);
    const message = r.object(item, itemPath, 'a message {role, content}');
    const role = r.string(message.role, childPath(itemPath, 'role'), 'a role');
    if (role === 'system' || role === 'developer' || role === 'tool' || role === 'function') return;
    if (role !== 'user' && role !== 'assistant') {
      r.fail(childPath(itemPath, 'role'), `expected a role "user", "assistant", "system", "developer" or "tool", found ${JSON.stringify(role)}`);
    }
    const text = contentText(r, message.content, childPath(itemPath, 'content'));
    if (text.trim() !== '') turns.push({ role, text, time: null });
  });
  return turns;
}

/** `content` is a string, null (a tool call), or an array of parts of which text parts count. */
function contentText(r: Reader, content: unknown, path: string): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return r.array(content, path, 'a string or an array of content parts').map((part, i) => {
    const p = r.object(part, childPath(path, i), 'a content part');
    return p.type === 'text' ? r.string(p.text, childPath(childPath(path, i), 'text'), 'the part text') : '';
  }).filter((t) => t !== '').join('\n');
}

function replyText(r: Reader, value: unknown, path: string): string {
  const messages = r.array(value, path, 'an array with the assistant reply');
  if (messages.length === 0) r.fail(path, 'expected an array with the assistant reply, found an empty array');
  const text = messages.map((m, i) => {
    const message = r.object(m, childPath(path, i), 'a message {role, content}');
    return contentText(r, message.content, childPath(childPath(path, i), 'content'));
  }).join('\n');
  if (text.trim() === '') r.fail(path, 'expected a reply with text, found an empty reply');
  return text;
}
