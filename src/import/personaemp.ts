// PersonaEmp data exactly as the reference's pipeline writes it (METHOD.md, "Reference data
// formats"): a sessions file, each session one person with a conversation, memories, persona and
// cases; a predictions file per system, one entry per session whose responses[j] answers that
// session's queries[j] (the older flat layout, one entry per query, is still read when the counts
// tell the two apart); and the criteria file of prepare_criteria.py, attached to cases by
// session_id / query_id. Candidates are kept verbatim (a <think> block is the method's business)
// and an empty response stays a candidate, so no reply is ever paired with another's query.
import type { CaseCriteria, ImportBundle } from '../domain/bundle.ts';
import type { ImportIssue } from './issues.ts';
import { BundleBuilder, Reader, childPath, describe, fileStem, type Turn } from './common.ts';
import type { JsonDoc } from './json.ts';
import { stableStringify } from '../lib/hash.ts';
import { DIMENSIONS, type Case, type Role } from '../domain/records.ts';

type ArrayDoc = Extract<JsonDoc, { kind: 'array' }>;

/** One session as read: its id and the case of each query, by position (queries[j] → cases[j]). */
export interface SessionCases { sessionId: string; cases: Case[] }

export interface SessionsResult {
  bundle: ImportBundle;
  sessions: SessionCases[];
}

const ROLES: Record<string, Role | null> = {
  user: 'user', human: 'user', assistant: 'assistant', gpt: 'assistant', bot: 'assistant', system: null,
};

export async function parsePersonaEmpSessions(file: string, doc: ArrayDoc): Promise<SessionsResult> {
  const r = new Reader(file);
  const b = new BundleBuilder('personaemp', file);
  const sessions: SessionCases[] = [];
  const sessionPaths = new Map<string, string>();
  for (let index = 0; index < doc.length; index++) {
    const path = `$[${index}]`;
    const session = r.object(doc.item(index), path, 'a session object');
    const sessionId = readId(r, session.session_id, childPath(path, 'session_id'), 'a session id');
    const seenAt = sessionPaths.get(sessionId);
    if (seenAt) r.fail(childPath(path, 'session_id'), `session id ${JSON.stringify(sessionId)} is also the id of ${seenAt}; predictions and criteria pair with sessions by id, so each must be unique`);
    sessionPaths.set(sessionId, path);
    const turns = readConversation(r, session.conversation, childPath(path, 'conversation'));
    // The identity keeps the id's original JSON type, so ids of earlier imports do not change.
    const person = await b.person(`PersonaEmp ${sessionId}`, { sessionId: session.session_id, turns: turns.map((t) => [t.role, t.text]) }, sessionId);
    await b.conversation(person.id, turns, { title: `session ${sessionId}`, startedAt: null, externalId: sessionId });

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
      memoryIds.push((await b.memory(person.id, label, value, evidenceList(r, m.evidence, childPath(itemPath, 'evidence')), i)).id);
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
    const cases: Case[] = [];
    const queryPaths = new Map<string, string>();
    for (let i = 0; i < queries.length; i++) {
      const qPath = childPath(queriesPath, i);
      const q = r.object(queries[i], qPath, 'a query object');
      const query = r.string(q.query, childPath(qPath, 'query'), 'the query text');
      if (query.trim() === '') r.fail(childPath(qPath, 'query'), 'expected the query text, found an empty string');
      const situation = q.situation && typeof q.situation === 'object' && !Array.isArray(q.situation) ? q.situation as Record<string, unknown> : undefined;
      const scenario = readScenario(r, q.situation, childPath(qPath, 'situation'));
      const relevantRaw = q.relevant_mem ?? situation?.relevant_mem ?? [];
      const relPath = q.relevant_mem !== undefined ? childPath(qPath, 'relevant_mem') : childPath(childPath(qPath, 'situation'), 'relevant_mem');
      const relevantMemoryIds = r.array(relevantRaw, relPath, 'an array of 1-based memory numbers').map((n, k) => {
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > memoryIds.length) {
          r.fail(childPath(relPath, k), `expected a memory number from 1 to ${memoryIds.length}, found ${JSON.stringify(n)}`);
        }
        return memoryIds[(n as number) - 1];
      });
      const queryId = q.query_id === undefined || q.query_id === null ? undefined : readId(r, q.query_id, childPath(qPath, 'query_id'), 'a query id');
      if (queryId !== undefined) {
        const seen = queryPaths.get(queryId);
        if (seen) r.fail(childPath(qPath, 'query_id'), `query id ${JSON.stringify(queryId)} is also the id of ${seen}; criteria pair with queries by id, so each must be unique within its session`);
        queryPaths.set(queryId, qPath);
      }
      const category = r.category(q.category, childPath(qPath, 'category'));
      cases.push(await b.case(person.id, {
        query,
        category,
        categoryLabel: q.category === category ? undefined : q.category as string,
        scenario: scenario && scenario.trim() !== '' ? scenario : undefined,
        relevantMemoryIds: [...new Set(relevantMemoryIds)],
        referenceCriteria: embeddedCriteria(r, q.criteria, childPath(qPath, 'criteria')),
        sessionId,
        queryId,
      }, queryId));
    }
    sessions.push({ sessionId, cases });
  }
  return { bundle: b.finish(), sessions };
}

/** A session or query id: text, or a number written as its decimal text. */
function readId(r: Reader, value: unknown, path: string, what: string): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  r.fail(path, `expected ${what} (text or a number), found ${describe(value)}`);
}

/** The reference's `situation: {situation: "text", …}`; other data writes the text alone. */
function readScenario(r: Reader, value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  const situation = r.object(value, path, 'a situation: an object {situation: "text"} or the text itself');
  return r.optionalString(situation.situation, childPath(path, 'situation'), 'the situation text');
}

// ---- predictions ----

/** The responses of every entry of a predictions file, read once. */
export interface PredictionEntries { file: string; responses: unknown[][]; entries: Record<string, unknown>[] }

export function readPredictionEntries(file: string, doc: ArrayDoc): PredictionEntries {
  const r = new Reader(file);
  const entries: Record<string, unknown>[] = [];
  const responses: unknown[][] = [];
  for (let i = 0; i < doc.length; i++) {
    const entry = r.object(doc.item(i), `$[${i}]`, 'a prediction entry {responses: [{response}]}');
    responses.push(r.array(entry.responses, childPath(`$[${i}]`, 'responses'), 'an array of {response}'));
    entries.push(entry);
  }
  return { file, responses, entries };
}

export type PredictionsLayout = 'per-session' | 'flat';

/** How the entries fit a sessions file: a layout, or why neither fits (with counts and the first mismatch). */
export function predictionsLayout(
  p: PredictionEntries, sessionsFile: string, sessions: SessionCases[],
): { layout: PredictionsLayout } | { where: string; message: string } {
  const sessionCount = sessions.length;
  const queryCount = sessions.reduce((n, s) => n + s.cases.length, 0);
  const n = p.responses.length;
  const perSessionMismatch = n === sessionCount ? sessions.findIndex((s, i) => p.responses[i].length !== s.cases.length) : -1;
  if (n === sessionCount && perSessionMismatch < 0) return { layout: 'per-session' };
  const emptyEntry = n === queryCount ? p.responses.findIndex((list) => list.length === 0) : -1;
  // The flat layout needs at least one response per entry, so when both fit every session has
  // exactly one query and both pair alike: the choice never changes a pairing.
  if (n === queryCount && emptyEntry < 0) return { layout: 'flat' };
  if (n === sessionCount) {
    const i = perSessionMismatch;
    const list = (values: number[]) => values.slice(0, 12).join(', ') + (values.length > 12 ? ', …' : '');
    return {
      where: childPath(`$[${i}]`, 'responses'),
      message: `entry ${i} answers session ${JSON.stringify(sessions[i].sessionId)} of ${sessionsFile}, which has ${sessions[i].cases.length} queries, `
        + `but holds ${p.responses[i].length} responses (responses[j] answers queries[j]; queries per session: ${list(sessions.map((s) => s.cases.length))}; `
        + `responses found: ${list(p.responses.map((x) => x.length))})`,
    };
  }
  if (n === queryCount) {
    return {
      where: childPath(`$[${emptyEntry}]`, 'responses'),
      message: `${n} entries, one per query of ${sessionsFile} (the older flat layout), but entry ${emptyEntry} has no response`,
    };
  }
  return {
    where: '$',
    message: `expected one entry per session of ${sessionsFile} (${sessionCount}), or in the older flat layout one entry per query (${queryCount}), found ${n}`,
  };
}

/** One candidate per response, each of the system named after the predictions file. */
export async function parsePersonaEmpPredictions(p: PredictionEntries, layout: PredictionsLayout, sessions: SessionCases[]): Promise<ImportBundle> {
  const r = new Reader(p.file);
  const b = new BundleBuilder('personaemp-predictions', p.file);
  const system = fileStem(p.file);
  const read = (i: number, k: number) => {
    const path = childPath(childPath(`$[${i}]`, 'responses'), k);
    const item = r.object(p.responses[i][k], path, 'an object {response}');
    const text = r.string(item.response, childPath(path, 'response'), 'the response text');
    if (text.trim() === '') b.count('empty responses (kept as empty replies, each paired with its own query)');
    return { item, path, text };
  };
  /** An id written beside a response must be the one it is paired with: pairing is by position, checked by id. */
  const checkId = (value: unknown, expected: string | undefined, path: string, what: string) => {
    if (value === undefined || value === null || expected === undefined || String(value) === expected) return;
    r.fail(path, `expected ${what} ${JSON.stringify(expected)} at this position, found ${describe(value)}`);
  };
  if (layout === 'per-session') {
    for (let i = 0; i < sessions.length; i++) {
      checkId(p.entries[i].session_id, sessions[i].sessionId, childPath(`$[${i}]`, 'session_id'), 'session');
      for (let j = 0; j < sessions[i].cases.length; j++) {
        const { item, path, text } = read(i, j);
        const c = sessions[i].cases[j];
        checkId(item.query_id, c.queryId, childPath(path, 'query_id'), 'query');
        await b.candidate(c, text, system, null, system);
      }
    }
  } else {
    b.note(`older flat layout: one entry per query, in file order (${p.responses.length} entries)`);
    const cases = sessions.flatMap((s) => s.cases);
    for (let i = 0; i < cases.length; i++) {
      checkId(p.entries[i].query_id, cases[i].queryId, childPath(`$[${i}]`, 'query_id'), 'query');
      for (let k = 0; k < p.responses[i].length; k++) {
        const { text } = read(i, k);
        await b.candidate(cases[i], text, p.responses[i].length > 1 ? `${system} #${k + 1}` : system, null, system);
      }
    }
  }
  return b.finish();
}

// ---- criteria (prepare_criteria.py) ----

/** One criteria entry as read, with the place it was read from. */
export interface CriteriaEntry {
  sessionId: string;
  queryId: string;
  criteria: NonNullable<Case['referenceCriteria']>;
  /** JSON paths of the entry's session and query ids. */
  sessionPath: string;
  queryPath: string;
}

export function readCriteriaFile(file: string, doc: ArrayDoc): { entries: CriteriaEntry[]; missingDimensions: number } {
  const r = new Reader(file);
  const entries: CriteriaEntry[] = [];
  const seen = new Map<string, string>();
  let missingDimensions = 0;
  for (let i = 0; i < doc.length; i++) {
    const path = `$[${i}]`;
    const session = r.object(doc.item(i), path, 'a criteria entry {session_id, criterias: [...]}');
    const sessionPath = childPath(path, 'session_id');
    const sessionId = readId(r, session.session_id, sessionPath, 'a session id');
    const listPath = childPath(path, 'criterias');
    r.array(session.criterias, listPath, 'an array of {query_id, resonation, expression, reception}').forEach((item, j) => {
      const itemPath = childPath(listPath, j);
      const c = r.object(item, itemPath, 'criteria {query_id, resonation, expression, reception}');
      const queryPath = childPath(itemPath, 'query_id');
      const queryId = readId(r, c.query_id, queryPath, 'a query id');
      const key = JSON.stringify([sessionId, queryId]);
      const before = seen.get(key);
      if (before) r.fail(queryPath, `query ${JSON.stringify(queryId)} of session ${JSON.stringify(sessionId)} already has criteria at ${before}`);
      seen.set(key, itemPath);
      const criteria: CriteriaEntry['criteria'] = {};
      for (const d of DIMENSIONS) {
        const text = r.optionalString(c[d], childPath(itemPath, d), `the ${d} criteria text`);
        if (text === undefined) missingDimensions++;
        else criteria[d] = text;
      }
      entries.push({ sessionId, queryId, criteria, sessionPath, queryPath });
    });
  }
  return { entries, missingDimensions };
}

const LIBRARY = 'the library';

/**
 * Pairs a criteria file's entries with cases by (session_id, query_id): the sessions parsed in the
 * same call first, then (in the app) cases already stored. Every id that matches nothing is an
 * issue, and a file with an issue attaches nothing. On success the cases parsed in this call also
 * carry the criteria themselves, for readers of the bundles that have no store (the CLI).
 */
export function attachCriteria(
  file: string,
  read: { entries: CriteriaEntry[]; missingDimensions: number },
  parsed: { file: string; sessions: SessionCases[] }[],
  stored: Case[] | undefined,
  /** Files of the same call that could not be read (one may be the sessions file). */
  failed: string[] = [],
): { bundle?: ImportBundle; issues: ImportIssue[] } {
  // Session id → where its cases are and, per query id, every case with that id (a session
  // imported twice from edited files is two people).
  const bySession = new Map<string, { source: string; queries: Map<string, Case[]>; all: Case[] }>();
  const add = (source: string, c: Case) => {
    let session = bySession.get(c.sessionId!);
    if (!session) bySession.set(c.sessionId!, session = { source, queries: new Map(), all: [] });
    session.all.push(c);
    if (c.queryId !== undefined) session.queries.set(c.queryId, [...(session.queries.get(c.queryId) ?? []), c]);
  };
  for (const p of parsed) for (const s of p.sessions) for (const c of s.cases) add(p.file, c);
  const inCall = new Set(bySession.keys());
  for (const c of stored ?? []) if (c.sessionId !== undefined && !inCall.has(c.sessionId)) add(LIBRARY, c);

  const looked = [...parsed.map((p) => p.file), ...(stored ? [LIBRARY] : [])].join(', ') || 'this import';
  if (read.entries.length > 0 && !read.entries.some((e) => bySession.has(e.sessionId))) {
    const ids = [...new Set(read.entries.map((e) => e.sessionId))];
    const shown = ids.slice(0, 3).map((id) => JSON.stringify(id)).join(', ') + (ids.length > 3 ? `, … (${ids.length} sessions)` : '');
    return {
      issues: [{
        file, where: '$',
        message: `criteria for sessions ${shown}, but none of these sessions is in ${looked}`
          + (failed.length ? ` (could not be read: ${failed.join(', ')})` : '')
          + '; a criteria file attaches to the cases of its sessions file: '
          + (stored ? 'import the sessions file first, or choose both files at once' : 'give both files together'),
      }],
    };
  }
  const issues: ImportIssue[] = [];
  const updates: CaseCriteria[] = [];
  const unknownSessions = new Set<string>();
  for (const e of read.entries) {
    const session = bySession.get(e.sessionId);
    if (!session) {
      // One issue per unknown session, not one per query of it.
      if (!unknownSessions.has(e.sessionId)) issues.push({ file, where: e.sessionPath, message: `session ${JSON.stringify(e.sessionId)} is not in ${looked}` });
      unknownSessions.add(e.sessionId);
      continue;
    }
    const cases = session.queries.get(e.queryId);
    if (!cases) {
      const known = [...session.queries.keys()];
      issues.push({
        file, where: e.queryPath,
        message: `query ${JSON.stringify(e.queryId)} is not a query of session ${JSON.stringify(e.sessionId)} in ${session.source} `
          + `(its queries: ${known.slice(0, 6).join(', ') || 'none with an id'}${known.length > 6 ? ', …' : ''})`,
      });
      continue;
    }
    for (const c of cases) updates.push({ caseId: c.id, sessionId: e.sessionId, queryId: e.queryId, referenceCriteria: e.criteria });
  }
  if (issues.length) return { issues };

  const b = new BundleBuilder('personaemp-criteria', file);
  b.bundle.caseCriteria = updates;
  const byCase = new Map(updates.map((u) => [u.caseId, u]));
  const covered = new Set(updates.map((u) => u.sessionId));
  let replaced = 0;
  let uncovered = 0;
  for (const id of covered) {
    const session = bySession.get(id)!;
    for (const c of session.all) {
      const u = byCase.get(c.id);
      if (!u) { uncovered++; continue; }
      if (c.referenceCriteria && stableStringify(c.referenceCriteria) !== stableStringify(u.referenceCriteria)) replaced++;
      if (session.source !== LIBRARY) c.referenceCriteria = u.referenceCriteria;
    }
  }
  const fromStore = updates.filter((u) => bySession.get(u.sessionId)!.source === LIBRARY).length;
  b.note(`criteria for ${updates.length} queries of ${covered.size} sessions${fromStore ? ` (${fromStore} of them already in the library)` : ''}`);
  if (replaced) b.note(`${replaced} queries had other criteria in their sessions file; this file's replace them`);
  if (uncovered) b.note(`${uncovered} queries of these sessions have no criteria in this file`);
  if (read.missingDimensions) b.note(`${read.missingDimensions} dimension texts were missing or null (those dimensions have no fixed criteria)`);
  return { bundle: b.finish(), issues: [] };
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

function embeddedCriteria(r: Reader, value: unknown, path: string): Case['referenceCriteria'] {
  if (value === undefined || value === null) return undefined;
  const c = r.object(value, path, 'an object {resonation, expression, reception}');
  const out: NonNullable<Case['referenceCriteria']> = {};
  for (const key of ['resonation', 'expression', 'reception'] as const) {
    const v = c[key];
    if (v !== undefined && v !== null) out[key] = typeof v === 'string' ? v : stableStringify(v);
  }
  return out;
}
