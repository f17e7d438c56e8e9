// PersonaEmp-style data (METHOD.md): a sessions file, each session one person with a
// conversation, memories, persona and cases; and a predictions file aligned by index with the
// sessions' queries flattened in order, which adds one candidate per response. Candidates are
// kept verbatim (a leading <think> block is the method's business, not the importer's).
// Reference criteria that are not plain text are kept as their JSON text.
import type { ImportBundle } from '../domain/bundle.ts';
import { BundleBuilder, Reader, childPath, fileStem, type Turn } from './common.ts';
import type { JsonDoc } from './json.ts';
import { stableStringify } from '../lib/hash.ts';
import type { Case, Role } from '../domain/records.ts';

type ArrayDoc = Extract<JsonDoc, { kind: 'array' }>;

export interface SessionsResult {
  bundle: ImportBundle;
  /** Every query's case in file order, for aligning a predictions file. */
  casesInOrder: Case[];
}

const ROLES: Record<string, Role | null> = {
  user: 'user', human: 'user', assistant: 'assistant', gpt: 'assistant', bot: 'assistant', system: null,
};

export async function parsePersonaEmpSessions(file: string, doc: ArrayDoc): Promise<SessionsResult> {
  const r = new Reader(file);
  const b = new BundleBuilder('personaemp', file);
  const casesInOrder: Case[] = [];
  for (let index = 0; index < doc.length; index++) {
    const path = `$[${index}]`;
    const session = r.object(doc.item(index), path, 'a session object');
    const sessionId = session.session_id;
    if (typeof sessionId !== 'string' && typeof sessionId !== 'number') {
      r.fail(childPath(path, 'session_id'), `expected a session id (string or number), found ${JSON.stringify(sessionId) ?? 'nothing'}`);
    }
    const turns = readConversation(r, session.conversation, childPath(path, 'conversation'));
    const person = await b.person(`PersonaEmp ${sessionId}`, { sessionId, turns: turns.map((t) => [t.role, t.text]) }, String(sessionId));
    await b.conversation(person.id, turns, { title: `session ${sessionId}`, startedAt: null, externalId: String(sessionId) });

    const memoryIds: string[] = [];
    const memPath = childPath(path, 'extracted_memory');
    const memories = session.extracted_memory === undefined ? [] : r.array(session.extracted_memory, memPath, 'an array of memories');
    for (let i = 0; i < memories.length; i++) {
      const itemPath = childPath(memPath, i);
      const m = r.object(memories[i], itemPath, 'a memory {label, value, evidence}');
      const label = (typeof m.label === 'string' ? m.label.trim() : '') || (typeof m.label_suggestion === 'string' ? m.label_suggestion.trim() : '');
      if (!label) r.fail(childPath(itemPath, 'label'), `expected a memory label, found ${JSON.stringify(m.label) ?? 'nothing'}`);
      const value = r.string(m.value, childPath(itemPath, 'value'), 'the remembered fact');
      if (value.trim() === '') r.fail(childPath(itemPath, 'value'), 'expected the remembered fact, found an empty string');
      memoryIds.push((await b.memory(person.id, label, value, evidenceList(r, m.evidence, childPath(itemPath, 'evidence')))).id);
    }

    if (session.persona !== undefined && session.persona !== null) {
      const personaPath = childPath(path, 'persona');
      const p = r.object(session.persona, personaPath, 'a persona object');
      await b.persona(person.id, {
        profile: r.string(p.persona_profile, childPath(personaPath, 'persona_profile'), 'the persona profile text'),
        topics: r.array(p.topics ?? [], childPath(personaPath, 'topics'), 'an array of topics')
          .map((t, i) => r.string(t, childPath(childPath(personaPath, 'topics'), i), 'a topic')),
        isDeep: yesNo(r, p.is_deep_persona, childPath(personaPath, 'is_deep_persona')),
        gateReason: r.optionalString(p.gate_reason, childPath(personaPath, 'gate_reason')) ?? '',
      });
    } else {
      b.count('sessions had no persona (one can be inferred later)');
    }

    const queriesPath = childPath(path, 'queries');
    const queries = r.array(session.queries ?? [], queriesPath, 'an array of queries');
    for (let i = 0; i < queries.length; i++) {
      const qPath = childPath(queriesPath, i);
      const q = r.object(queries[i], qPath, 'a query object');
      const query = r.string(q.query, childPath(qPath, 'query'), 'the query text');
      if (query.trim() === '') r.fail(childPath(qPath, 'query'), 'expected the query text, found an empty string');
      const situation = q.situation && typeof q.situation === 'object' ? q.situation as Record<string, unknown> : undefined;
      const scenario = situation ? r.optionalString(situation.situation, childPath(childPath(qPath, 'situation'), 'situation'), 'the situation text') : undefined;
      const relevantRaw = q.relevant_mem ?? situation?.relevant_mem ?? [];
      const relPath = q.relevant_mem !== undefined ? childPath(qPath, 'relevant_mem') : childPath(childPath(qPath, 'situation'), 'relevant_mem');
      const relevantMemoryIds = r.array(relevantRaw, relPath, 'an array of 1-based memory numbers').map((n, k) => {
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > memoryIds.length) {
          r.fail(childPath(relPath, k), `expected a memory number from 1 to ${memoryIds.length}, found ${JSON.stringify(n)}`);
        }
        return memoryIds[(n as number) - 1];
      });
      const externalId = typeof q.query_id === 'string' || typeof q.query_id === 'number' ? String(q.query_id) : undefined;
      const item = await b.case(person.id, {
        query,
        category: r.category(q.category, childPath(qPath, 'category')),
        scenario: scenario && scenario.trim() !== '' ? scenario : undefined,
        relevantMemoryIds: [...new Set(relevantMemoryIds)],
        referenceCriteria: criteria(r, q.criteria, childPath(qPath, 'criteria')),
      }, externalId);
      casesInOrder.push(item);
    }
  }
  return { bundle: b.finish(), casesInOrder };
}

export async function parsePersonaEmpPredictions(file: string, doc: ArrayDoc, sessions: { file: string; casesInOrder: Case[] }): Promise<ImportBundle> {
  const r = new Reader(file);
  const b = new BundleBuilder('personaemp-predictions', file);
  if (doc.length !== sessions.casesInOrder.length) {
    r.fail('$', `expected one prediction per query of ${sessions.file} (${sessions.casesInOrder.length}), found ${doc.length}`);
  }
  for (let index = 0; index < doc.length; index++) {
    const path = `$[${index}]`;
    const item = r.object(doc.item(index), path, 'a prediction {responses: [{response}]}');
    const responsesPath = childPath(path, 'responses');
    const responses = r.array(item.responses, responsesPath, 'an array of {response}');
    for (let k = 0; k < responses.length; k++) {
      const rPath = childPath(responsesPath, k);
      const text = r.string(r.object(responses[k], rPath, 'an object {response}').response, childPath(rPath, 'response'), 'the response text');
      const name = responses.length > 1 ? `${fileStem(file)} #${k + 1}` : fileStem(file);
      await b.candidate(sessions.casesInOrder[index], text, name, null);
    }
  }
  return b.finish();
}

function readConversation(r: Reader, value: unknown, path: string): Turn[] {
  const turns: Turn[] = [];
  r.array(value ?? [], path, 'an array of {role, text} turns').forEach((item, i) => {
    const turnPath = childPath(path, i);
    const turn = r.object(item, turnPath, 'a turn {role, text}');
    const role = ROLES[r.string(turn.role, childPath(turnPath, 'role'), 'a role').toLowerCase()];
    if (role === undefined) r.fail(childPath(turnPath, 'role'), `expected a role "user" or "assistant", found ${JSON.stringify(turn.role)}`);
    const text = r.string(turn.text ?? turn.content, childPath(turnPath, 'text'), 'the turn text');
    if (role && text.trim() !== '') turns.push({ role, text, time: null });
  });
  return turns;
}

function evidenceList(r: Reader, value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.trim() === '' ? [] : [value];
  return r.array(value, path, 'evidence text or an array of texts').map((e, i) => {
    if (typeof e === 'number') return String(e);
    return r.string(e, childPath(path, i), 'evidence text');
  });
}

function yesNo(r: Reader, value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (text === 'yes' || text === 'true') return true;
  if (text === 'no' || text === 'false') return false;
  r.fail(path, `expected yes/no or true/false, found ${JSON.stringify(value) ?? 'nothing'}`);
}

function criteria(r: Reader, value: unknown, path: string): Case['referenceCriteria'] {
  if (value === undefined || value === null) return undefined;
  const c = r.object(value, path, 'an object {resonation, expression, reception}');
  const out: NonNullable<Case['referenceCriteria']> = {};
  for (const key of ['resonation', 'expression', 'reception'] as const) {
    const v = c[key];
    if (v !== undefined && v !== null) out[key] = typeof v === 'string' ? v : stableStringify(v);
  }
  return out;
}
