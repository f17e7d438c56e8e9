// Pasted or saved chat text: turns start with "User:" or "Assistant:" (any case; "Human:" and
// "AI:" too) and run until the next such line, so a turn may span many lines.
import type { ImportBundle } from '../domain/bundle.ts';
import { BundleBuilder, fail, type Turn } from './common.ts';
import type { Role } from '../domain/records.ts';

export const TURN_MARKER = /^[ \t]*(user|human|assistant|ai)[ \t]*:[ \t]?/i;

export async function parsePlainText(file: string, text: string, identity: unknown, personName: string): Promise<ImportBundle> {
  const lines = text.split(/\r?\n/);
  const turns: { role: Role; lines: string[] }[] = [];
  lines.forEach((line, i) => {
    const marker = TURN_MARKER.exec(line);
    if (marker) {
      const who = marker[1].toLowerCase();
      turns.push({ role: who === 'user' || who === 'human' ? 'user' : 'assistant', lines: [line.slice(marker[0].length)] });
    } else if (turns.length > 0) {
      turns[turns.length - 1].lines.push(line);
    } else if (line.trim() !== '') {
      fail(file, `line ${i + 1}`, 'expected chat text whose turns begin with "User:" or "Assistant:", found text before the first turn');
    }
  });
  const kept: Turn[] = turns
    .map((t) => ({ role: t.role, text: t.lines.join('\n').trim(), time: null }))
    .filter((t) => t.text !== '');
  if (kept.length === 0) fail(file, 'line 1', 'expected at least one "User:" or "Assistant:" turn with text');
  const b = new BundleBuilder('plaintext', file);
  const person = await b.person(personName, identity);
  await b.conversation(person.id, kept, { title: personName, startedAt: null });
  return b.finish();
}
