// Results as the screens and every export see them: per candidate, the method's aggregate of
// its judgments (no value where a judge failed, failures counted), plus the data-set summary
// and, where candidates carry human labels, agreement. Pure: no DOM, no store.
import { DIMENSIONS, type Candidate, type Case, type CriteriaSet, type Dimension, type Judgment, type Person } from '../domain/records.ts';
import type { RunHeader } from '../domain/settings.ts';
import { INJECTION_FLAGS } from '../method/injection.ts';
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
  /** The reference's ids and the system under test, when the data has them. */
  sessionId?: string;
  queryId?: string;
  system?: string;
  /** Per dimension, the stored criteria set the judgments were made against (when known). */
  criteria: Partial<Record<Dimension, CriteriaSet>>;
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
  /** How the results were produced (protocol, settings, model), shown at the top of every export. */
  header?: RunHeader;
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
  header?: RunHeader;
  now?: number;
}

export function buildResults(input: BuildInput): ResultsReport {
  const settings = input.header?.settings;
  const lambda = input.lambda ?? settings?.lambda ?? DEFAULT_LAMBDA;
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
    const criteria: Partial<Record<Dimension, CriteriaSet>> = {};
    for (const d of DIMENSIONS) {
      const judged = judgments.find((j) => j.kind === d && (j.criteriaId || j.criteria?.length));
      // Judgments made before criteria ids were kept are matched by their items.
      const set = judged && sets.find((x) => x.id === judged.criteriaId
        || (!judged.criteriaId && x.caseId === c.id && x.dimension === d && stableStringify(x.items) === stableStringify(judged.criteria)));
      if (set) criteria[d] = set;
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
      aggregate: aggregateCandidate(scores, {
        lambda, bystander: settings?.bystander,
        injectionPolicy: judgments.some((j) => j.flags.some((f) => INJECTION_FLAGS.includes(f))) ? settings?.injectionPolicy ?? 'flag' : undefined,
      }),
      subscores: scores.bystander,
      judgments,
      criteria,
      ...(c.sessionId ? { sessionId: c.sessionId } : {}),
      ...(c.queryId ? { queryId: c.queryId } : {}),
      ...(cand.system ? { system: cand.system } : {}),
    });
  }
  return {
    title: input.title,
    createdAt: input.now ?? Date.now(),
    lambda,
    header: input.header,
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
