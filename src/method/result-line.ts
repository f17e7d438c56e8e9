// The result line: everything about one candidate's evaluation, as `attune evaluate` writes it
// to JSONL and the app exports it. One builder, so both files read the same.
import { DIMENSIONS, type Criterion, type Dimension, type Judgment } from '../domain/records.ts';
import type { CandidateAggregate } from './aggregate.ts';
import type { JudgeMode } from './pipeline.ts';

export interface ResultLine {
  caseId: string;
  candidateId: string;
  personId: string;
  name?: string;
  label: number | null;
  query: string;
  category: string;
  model: string;
  mode: JudgeMode;
  k: number;
  lambda: number;
  seed: number;
  scores: Record<string, { trials: { trial: number; seed: number; status: string; score: number | null; analysis?: string; error?: string }[]; score: number | null; meanRaw: number | null; nOk: number; nFailed: number }>;
  criteria: Record<string, { items: Criterion[]; renormalized: boolean } | null>;
  bystander: { status: string; subscores: Record<string, number> | null; b: number | null; error?: string };
  empathy: number | null;
  reward: number | null;
  failures: { kind: string; trial: number; error?: string; raw: string; attempts: number }[];
  flags: string[];
  truncation: string[];
  tokens: { prompt: number; completion: number; calls: number; cachedJudgments: number };
  aggregate: CandidateAggregate;
}

export interface ResultLineInput extends Pick<ResultLine, 'caseId' | 'candidateId' | 'personId' | 'name' | 'label' | 'query' | 'category'> {
  settings: { model: string; mode: JudgeMode; k: number; lambda: number; seed: number };
  judgments: Judgment[];
  criteria: Partial<Record<Dimension, { items: Criterion[]; renormalized: boolean }>>;
  aggregate: CandidateAggregate;
  /** Model calls made for this candidate now, and judgments taken from the cache. */
  calls: number;
  cachedJudgments: number;
}

export function resultLine(r: ResultLineInput): ResultLine {
  const scores: ResultLine['scores'] = {};
  const criteria: ResultLine['criteria'] = {};
  for (const d of DIMENSIONS) {
    scores[d] = {
      trials: r.judgments.filter((j) => j.kind === d).map((j) => ({
        trial: j.trial, seed: j.seed, status: j.status, score: j.score ?? null, analysis: j.analysis, error: j.error,
      })),
      ...r.aggregate.dimensions[d],
    };
    criteria[d] = r.criteria[d] ?? null;
  }
  const by = r.judgments.find((j) => j.kind === 'bystander');
  const prompt = r.judgments.reduce((n, j) => n + j.usage.promptTokens, 0);
  const completion = r.judgments.reduce((n, j) => n + j.usage.completionTokens, 0);
  const { model, mode, k, lambda, seed } = r.settings;
  return {
    caseId: r.caseId, candidateId: r.candidateId, personId: r.personId, name: r.name, label: r.label,
    query: r.query, category: r.category, model, mode, k, lambda, seed,
    scores, criteria,
    bystander: { status: by?.status ?? 'not run', subscores: by?.subscores ?? null, b: r.aggregate.bystander, error: by?.error },
    empathy: r.aggregate.empathy,
    reward: r.aggregate.reward,
    failures: r.judgments.filter((j) => j.status === 'failed').map((j) => ({ kind: j.kind, trial: j.trial, error: j.error, raw: j.raw, attempts: j.attempts })),
    flags: [...new Set(r.judgments.flatMap((j) => j.flags))],
    truncation: [...new Set(r.judgments.flatMap((j) => (j.truncation ? [j.truncation] : [])))],
    // Tokens the judgments cost when they were made (cached ones included), and calls made now.
    tokens: { prompt, completion, calls: r.calls, cachedJudgments: r.cachedJudgments },
    aggregate: r.aggregate,
  };
}
