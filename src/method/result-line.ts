// The result line: everything about one candidate's evaluation, as `attune evaluate` writes it
// to JSONL (after the run header on the file's first line) and the app exports it. One builder,
// so both files read the same. Every trial keeps the judge's raw answer, and the reference's
// ids (session_id, query_id) and the system under test are carried, so a line can be paired
// with the reference's own results by id.
import { DIMENSIONS, type Candidate, type Case, type CriteriaSet, type Dimension, type Judgment } from '../domain/records.ts';
import type { ProtocolName } from '../domain/settings.ts';
import type { CandidateAggregate } from './aggregate.ts';

export interface TrialLine {
  trial: number;
  seed: number;
  status: string;
  score: number | null;
  analysis?: string;
  error?: string;
  /** The judge's whole answer, as it came. */
  raw: string;
  flags: string[];
}

export interface ResultLine {
  type: 'result';
  caseId: string;
  candidateId: string;
  personId: string;
  sessionId: string | null;
  queryId: string | null;
  /** The system under test (a predictions file's name), null when the data names none. */
  system: string | null;
  name?: string;
  label: number | null;
  query: string;
  category: string;
  protocol: ProtocolName;
  model: string;
  scores: Record<string, { trials: TrialLine[]; score: number | null; meanRaw: number | null; nOk: number; nFailed: number }>;
  criteria: Record<string, { source: CriteriaSet['source']; text?: string; items: CriteriaSet['items']; renormalized: boolean } | null>;
  bystander: { status: string; subscores: Record<string, number> | null; b: number | null; error?: string; raw: string | null };
  empathy: number | null;
  reward: number | null;
  failures: { kind: string; trial: number; error?: string; raw: string; attempts: number }[];
  flags: string[];
  truncation: string[];
  notes: string[];
  tokens: { prompt: number; completion: number; calls: number; cachedJudgments: number };
  /** The sum of max_tokens asked for this candidate in this run, and the protocol's cap on it. */
  decode: { asked: number; cap: number | null };
  aggregate: CandidateAggregate;
}

export interface ResultLineInput {
  case: Pick<Case, 'id' | 'personId' | 'query' | 'category' | 'sessionId' | 'queryId'>;
  candidate: Pick<Candidate, 'id' | 'name' | 'label' | 'system'>;
  protocol: ProtocolName;
  model: string;
  judgments: Judgment[];
  criteria: Partial<Record<Dimension, CriteriaSet>>;
  aggregate: CandidateAggregate;
  notes?: string[];
  /** Model calls made for this candidate now, and judgments taken from the cache. */
  calls: number;
  cachedJudgments: number;
  decode?: { asked: number; cap: number | null };
}

export function resultLine(r: ResultLineInput): ResultLine {
  const scores: ResultLine['scores'] = {};
  const criteria: ResultLine['criteria'] = {};
  for (const d of DIMENSIONS) {
    scores[d] = {
      trials: r.judgments.filter((j) => j.kind === d).map((j) => ({
        trial: j.trial, seed: j.seed, status: j.status, score: j.score ?? null, analysis: j.analysis, error: j.error, raw: j.raw, flags: j.flags,
      })),
      ...r.aggregate.dimensions[d],
    };
    const set = r.criteria[d];
    criteria[d] = set ? { source: set.source, text: set.text, items: set.items, renormalized: set.renormalized } : null;
  }
  const by = r.judgments.find((j) => j.kind === 'bystander');
  const prompt = r.judgments.reduce((n, j) => n + j.usage.promptTokens, 0);
  const completion = r.judgments.reduce((n, j) => n + j.usage.completionTokens, 0);
  return {
    type: 'result',
    caseId: r.case.id, candidateId: r.candidate.id, personId: r.case.personId,
    sessionId: r.case.sessionId ?? null, queryId: r.case.queryId ?? null, system: r.candidate.system ?? null,
    name: r.candidate.name, label: r.candidate.label, query: r.case.query, category: r.case.category,
    protocol: r.protocol, model: r.model,
    scores, criteria,
    bystander: { status: by?.status ?? 'not run', subscores: by?.subscores ?? null, b: r.aggregate.bystander, error: by?.error, raw: by?.raw ?? null },
    empathy: r.aggregate.empathy,
    reward: r.aggregate.reward,
    failures: r.judgments.filter((j) => j.status === 'failed').map((j) => ({ kind: j.kind, trial: j.trial, error: j.error, raw: j.raw, attempts: j.attempts })),
    flags: [...new Set(r.judgments.flatMap((j) => j.flags))],
    truncation: [...new Set(r.judgments.flatMap((j) => (j.truncation ? [j.truncation] : [])))],
    notes: r.notes ?? [],
    // Tokens the judgments cost when they were made (cached ones included), and calls made now.
    tokens: { prompt, completion, calls: r.calls, cachedJudgments: r.cachedJudgments },
    decode: r.decode ?? { asked: 0, cap: null },
    aggregate: r.aggregate,
  };
}
