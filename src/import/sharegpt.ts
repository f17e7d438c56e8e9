// ShareGPT: `[{conversations: [{from, value}]}]`. A file is taken as one person's history
// (the owner who exported it), so all its conversations go to one person named after the file.
import type { ImportBundle } from '../domain/bundle.ts';
import { BundleBuilder, Reader, childPath, fileStem, type Turn } from './common.ts';
import type { JsonDoc } from './json.ts';
import type { Role } from '../domain/records.ts';

const ROLES: Record<string, Role | null> = {
  human: 'user', user: 'user',
  gpt: 'assistant', chatgpt: 'assistant', assistant: 'assistant', bing: 'assistant', bard: 'assistant', model: 'assistant', claude: 'assistant',
  // Not part of the dialogue between the person and the assistant.
  system: null, function_call: null, observation: null, tool: null, function: null,
};

export async function parseShareGpt(file: string, doc: Extract<JsonDoc, { kind: 'array' }>, identity: unknown): Promise<ImportBundle> {
  const r = new Reader(file);
  const b = new BundleBuilder('sharegpt', file);
  const person = await b.person(`ShareGPT: ${fileStem(file)}`, identity);
  for (let index = 0; index < doc.length; index++) {
    const path = `$[${index}]`;
    const item = r.object(doc.item(index), path, 'a ShareGPT item {conversations: [...]}');
    const listPath = childPath(path, 'conversations');
    const turns: Turn[] = [];
    r.array(item.conversations, listPath, 'an array of {from, value} turns').forEach((value, i) => {
      const turnPath = childPath(listPath, i);
      const turn = r.object(value, turnPath, 'a turn {from, value}');
      const from = r.string(turn.from, childPath(turnPath, 'from'), 'a speaker ("human" or "gpt")');
      const role = ROLES[from.toLowerCase()];
      if (role === undefined) {
        r.fail(childPath(turnPath, 'from'), `expected a speaker such as "human", "user", "gpt" or "assistant", found ${JSON.stringify(from)}`);
      }
      const text = r.string(turn.value, childPath(turnPath, 'value'), 'the turn text');
      if (role && text.trim() !== '') turns.push({ role, text, time: null });
    });
    const externalId = typeof item.id === 'string' || typeof item.id === 'number' ? String(item.id) : undefined;
    const added = await b.conversation(person.id, turns, { title: '', startedAt: null, externalId });
    if (!added) b.count('items without text were skipped');
  }
  return b.finish();
}
