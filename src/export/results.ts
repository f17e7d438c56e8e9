// Results as the screens and every export see them: per candidate, the method's aggregate of
// its judgments (no value where a judge failed, failures counted), plus the data-set summary
// and, where candidates carry human labels, agreement. Pure: no DOM, no store.
import { DIMENSIONS, type Candidate, type Case, type CriteriaSet, type Dimension, type Judgment, type Person, type RunSettings } from '../domain/records.ts';
import { stableStringify } from '../lib/hash.ts';
import {
  aggregateCandidate, labelAgreement, scoresFromJudgments, summarize, DEFAULT_LAMBDA,
  type CandidateAggregate, type DatasetSummary,
} from '../method/aggregate.ts';

export interface CandidateResult {
  personId: string;
  personName: string;
  caseId: string;
  category: Case['category'];
  query: string;
  scenario?: string;
  candidateId: string;
  candidateName: string;
  candidateText: string;
  label: number | null;
  aggregate: CandidateAggregate;
  /** Bystander's five 0–20 sub-scores (mean over ok trials), null when none succeeded. */
  subscores: Record<string, number> | null;
  /** Every judgment behind the numbers, failures included, in kind/trial order. */
  judgments: Judgment[];
  /** Per dimension, whether the fixed criteria's weights had to be rescaled (when known). */
  criteriaRenormalized?: Partial<Record<Dimension, boolean>>;
}

export interface Agreement {
  pairwiseAccuracy: number | null;
  pairs: number;
  spearman: number | null;
  /** Labelled candidates with a reward, i.e. the points the figures rest on. */
  n: number;
}

export interface ResultsReport {
  title: string;
  createdAt: number;
  lambda: number;
  settings?: RunSettings;
  results: CandidateResult[];
  summary: DatasetSummary;
  agreement: Agreement | null;
}

const KIND_ORDER = [...DIMENSIONS, 'bystander'] as const;

export interface BuildInput {
  title: string;
  people: Person[];
  cases: Case[];
  candidates: Candidate[];
  judgments: Judgment[];
  /** Stored criteria sets, to report whether weights were rescaled. */
  criteria?: CriteriaSet[];
  lambda?: number;
  settings?: RunSettings;
  now?: number;
}

export function buildResults(input: BuildInput): ResultsReport {
  const lambda = input.lambda ?? input.settings?.lambda ?? DEFAULT_LAMBDA;
  const people = new Map(input.people.map((p) => [p.id, p]));
  const cases = new Map(input.cases.map((c) => [c.id, c]));
  const sets = input.criteria ?? [];
  const byCandidate = new Map<string, Judgment[]>();
  for (const j of input.judgments) byCandidate.set(j.candidateId, [...(byCandidate.get(j.candidateId) ?? []), j]);

  const results: CandidateResult[] = [];
  for (const cand of input.candidates) {
    const c = cases.get(cand.caseId);
    if (!c) continue;
    const judgments = (byCandidate.get(cand.id) ?? []).sort((a, b) =>
      KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.trial - b.trial);
    const scores = scoresFromJudgments(judgments);
    const criteriaRenormalized: Partial<Record<Dimension, boolean>> = {};
    for (const d of DIMENSIONS) {
      const used = judgments.find((j) => j.kind === d && j.criteria?.length)?.criteria;
      const set = used && sets.find((x) => x.caseId === c.id && x.dimension === d && stableStringify(x.items) === stableStringify(used));
      if (set) criteriaRenormalized[d] = set.renormalized;
    }
    results.push({
      personId: c.personId,
      personName: people.get(c.personId)?.name ?? c.personId,
      caseId: c.id,
      category: c.category,
      query: c.query,
      scenario: c.scenario,
      candidateId: cand.id,
      candidateName: cand.name ?? cand.source,
      candidateText: cand.text,
      label: cand.label,
      aggregate: aggregateCandidate(scores, lambda),
      subscores: scores.bystander,
      judgments,
      criteriaRenormalized,
    });
  }
  return {
    title: input.title,
    createdAt: input.now ?? Date.now(),
    lambda,
    settings: input.settings,
    results,
    summary: summarize(results.map((r) => r.aggregate)),
    agreement: agreement(results),
  };
}

/** Agreement of rewards with human labels, over candidates that have both; null when none do. */
export function agreement(results: CandidateResult[]): Agreement | null {
  const labelled = results.filter((r) => r.label !== null && r.aggregate.reward !== null);
  if (!labelled.length) return null;
  const a = labelAgreement(labelled.map((r) => ({ group: r.caseId, label: r.label!, score: r.aggregate.reward! })));
  return { pairwiseAccuracy: a.accuracy, pairs: a.pairs, spearman: a.spearman, n: a.n };
}

export interface JudgmentFilter {
  model: string;
  mode: Judgment['mode'];
  /** Trials per dimension; the bystander always has one. */
  k: number;
}

/**
 * The judgments a result view shows: those of one model and mode, trials below k, and for each
 * (candidate, kind, trial) only the newest (criteria edited later give newer judgments).
 */
export function selectJudgments(judgments: Judgment[], f: JudgmentFilter): Judgment[] {
  const newest = new Map<string, Judgment>();
  for (const j of judgments) {
    if (j.model !== f.model || j.mode !== f.mode) continue;
    if (j.kind === 'bystander' ? j.trial !== 0 : j.trial >= (f.mode === 'logprob' ? 1 : f.k)) continue;
    const key = `${j.candidateId}|${j.kind}|${j.trial}`;
    const seen = newest.get(key);
    if (!seen || j.createdAt > seen.createdAt || (j.createdAt === seen.createdAt && j.status === 'ok')) newest.set(key, j);
  }
  return [...newest.values()];
}
