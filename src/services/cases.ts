// What the Evaluate screen writes: cases, candidates and hand-edited criteria. Records are built
// here so the screen only displays state; the store validates each one against its schema.
import { db } from '../store/db.ts';
import { contentId } from '../lib/hash.ts';
import type { Case, Candidate, CandidateSource, CriteriaSet, Criterion, QueryCategory } from '../domain/records.ts';

/** Adds a hand-written query; its id is the hash of its content, so the same query is one case. */
export async function createCase(personId: string, input: { query: string; category: QueryCategory; scenario: string }): Promise<string> {
  const body = { personId, query: input.query.trim(), category: input.category, scenario: input.scenario.trim() || undefined };
  const id = await contentId('case', body);
  const record: Case = { id, ...body, relevantMemoryIds: [], source: { format: 'manual' }, createdAt: Date.now() };
  await db.cases.put(record);
  return id;
}

/** Adds a reply to judge; the same text under the same case is one candidate. */
export async function addCandidate(of: Pick<Case, 'id' | 'personId'>, text: string, source: CandidateSource, name: string): Promise<string> {
  const id = await contentId('cand', { caseId: of.id, text });
  const record: Candidate = { id, caseId: of.id, personId: of.personId, text, source, name: name.trim() || undefined, label: null, createdAt: Date.now() };
  await db.candidates.put(record);
  return id;
}

export function removeCandidate(id: string): Promise<void> {
  return db.deleteCandidate(id);
}

/**
 * Replaces a criteria set's items with a hand edit. Weights are shares of 100; they are rescaled
 * so a quick edit cannot skew the judge, and `renormalized` records that they did not sum to 100.
 * Items without a name are dropped.
 */
export async function saveEditedCriteria(set: CriteriaSet, draft: Criterion[]): Promise<void> {
  const sum = draft.reduce((s, c) => s + (Number(c.weight) || 0), 0);
  if (sum <= 0) throw new Error(`The weights of the ${set.dimension} criteria sum to ${sum}: give at least one a positive weight.`);
  const items = draft.filter((c) => c.name.trim()).map((c) => ({ ...c, weight: Math.round((Number(c.weight) / sum) * 1000) / 10 }));
  // An edited data-set set is judged by its items from now on, no longer by the data set's text.
  const { text: _verbatim, ...rest } = set;
  await db.criteria.put({ ...rest, items, edited: true, renormalized: Math.abs(sum - 100) > 0.01, createdAt: Date.now() });
}
