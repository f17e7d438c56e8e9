// Turns the authored demo people into store records, the same shape importers produce, so the
// store writes them with its usual validation. Ids are content hashes and times are fixed, so
// building twice gives identical records and re-loading the demo adds nothing.
import {
  Candidate, Case, Conversation, Memory, Message, Person, Persona,
} from '../domain/records.ts';
import type { CandidateSource, Source } from '../domain/records.ts';
import { contentId } from '../lib/hash.ts';
import { emptyBundle, type ImportBundle } from '../domain/bundle.ts';
import { DEMO_PEOPLE, type DemoPerson } from './people.ts';

export const DEMO_FILE = 'attune-demo';
const source: Source = { format: 'demo', file: DEMO_FILE };
/** When the demo set was written; every createdAt uses it so records are stable. */
const WRITTEN_AT = Date.parse('2026-11-01T12:00:00Z');
const TURN_GAP_MS = 3 * 60_000;

const CANDIDATE_KINDS: { key: 'generic' | 'personalized' | 'poor'; name: string; label: number }[] = [
  { key: 'generic', name: 'generic', label: 2 },
  { key: 'personalized', name: 'personalized', label: 3 },
  { key: 'poor', name: 'poor', label: 1 },
];

async function personRecords(p: DemoPerson, bundle: ImportBundle): Promise<void> {
  const personId = await contentId('person', { format: 'demo', name: p.name });
  bundle.people.push(Person.parse({ id: personId, name: p.name, source, demo: true, createdAt: WRITTEN_AT }));

  const messageIds: string[][] = [];
  for (const [ci, c] of p.conversations.entries()) {
    const conversationId = await contentId('conv', { personId, title: c.title, turns: c.turns });
    const start = Date.parse(c.startedAt);
    bundle.conversations.push(Conversation.parse({
      id: conversationId, personId, title: c.title, startedAt: start, source, messageCount: c.turns.length,
    }));
    messageIds[ci] = [];
    for (const [index, t] of c.turns.entries()) {
      const id = await contentId('msg', { conversationId, index, role: t.role, text: t.text });
      messageIds[ci].push(id);
      bundle.messages.push(Message.parse({
        id, conversationId, personId, index, role: t.role, text: t.text, time: start + index * TURN_GAP_MS,
      }));
    }
  }

  const memoryIds: string[] = [];
  for (const m of p.memories) {
    const evidence = m.evidence.map(([c, t]) => {
      const mid = messageIds[c]?.[t];
      if (!mid) throw new Error(`demo data: ${p.name}, memory "${m.label}": no message [${c}, ${t}]`);
      return mid;
    });
    const id = await contentId('mem', { personId, label: m.label, value: m.value });
    memoryIds.push(id);
    bundle.memories.push(Memory.parse({
      id, personId, label: m.label, value: m.value, evidence, origin: 'imported', updatedAt: WRITTEN_AT,
    }));
  }

  bundle.personas.push(Persona.parse({
    id: await contentId('persona', { personId, ...p.persona }),
    personId, version: 1, ...p.persona, origin: 'imported', createdAt: WRITTEN_AT,
  }));

  for (const c of p.cases) {
    const caseId = await contentId('case', { personId, query: c.query, category: c.category, scenario: c.scenario });
    bundle.cases.push(Case.parse({
      id: caseId, personId, query: c.query, category: c.category, scenario: c.scenario,
      relevantMemoryIds: c.relevant.map((i) => memoryIds[i]), source, createdAt: WRITTEN_AT,
    }));
    for (const kind of CANDIDATE_KINDS) {
      const text = c[kind.key];
      bundle.candidates.push(Candidate.parse({
        id: await contentId('cand', { caseId, text }),
        caseId, personId, text, source: 'demo' satisfies CandidateSource, name: kind.name,
        label: kind.label, createdAt: WRITTEN_AT,
      }));
    }
  }
}

/** The whole demo data set as one import bundle (people carry `demo: true`). */
export async function buildDemoBundle(): Promise<ImportBundle> {
  const bundle = emptyBundle('demo', DEMO_FILE);
  for (const p of DEMO_PEOPLE) await personRecords(p, bundle);
  return bundle;
}
