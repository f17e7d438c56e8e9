// The reference's formulas, exactly (METHOD.md "Aggregation"), with one difference: a missing
// value stays missing. A dimension without any ok trial has no score, a candidate without all
// three has no empathy, and failures are counted beside every mean instead of being replaced
// (where peregrm_reward.py substitutes 0.6 or 0.8, and eval.py drops the item from its mean).
import { DIMENSIONS, type Dimension, type Judgment } from '../domain/records.ts';
import type { EvaluationSettings } from '../domain/settings.ts';
import { injectionFlagsOf } from './injection.ts';

export const DEFAULT_LAMBDA = 0.5;

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;
}

/** s_d = mean over ok trials of min(1, score/5) (peregrm_reward.py clamps each trial); null when no trial succeeded. */
export function dimensionScore(scores: number[]): number | null {
  return mean(scores.map((s) => Math.min(1, s / 5)));
}

/** Harmonic mean of the three dimension scores; 0 if any is 0; null if any is missing. */
export function empathyScore(s: (number | null)[]): number | null {
  if (s.some((x) => x === null)) return null;
  const v = s as number[];
  if (v.some((x) => x === 0)) return 0;
  return v.length / v.reduce((acc, x) => acc + 1 / x, 0);
}

/** b = min(1, (sum of the five 0–20 sub-scores) / 100). */
export function bystanderScore(subscores: Record<string, number> | null | undefined): number | null {
  if (!subscores) return null;
  return Math.min(1, Object.values(subscores).reduce((s, x) => s + x, 0) / 100);
}

/**
 * reward = empathy + λ·(b − 1); null when a part is missing. Without a bystander (a run that
 * does not ask for one, as the reference's evaluation split) the reward is the empathy term alone.
 */
export function rewardScore(empathy: number | null, bystander: number | null, lambda = DEFAULT_LAMBDA, withBystander = true): number | null {
  if (empathy === null) return null;
  if (!withBystander) return empathy;
  if (bystander === null) return null;
  return empathy + lambda * (bystander - 1);
}

export interface DimensionTrials {
  /** Scores (1–5) of the trials that succeeded. */
  scores: number[];
  failed: number;
}

export interface CandidateScores {
  dimensions: Record<Dimension, DimensionTrials>;
  /** Bystander sub-scores, null when it failed or was not run. */
  bystander: Record<string, number> | null;
  bystanderFailed: number;
  /** Injection flags (injection.ts) that any of its judgments carries. */
  injectionFlags: string[];
}

function meanSubscores(list: Record<string, number>[]): Record<string, number> | null {
  if (!list.length) return null;
  const keys = Object.keys(list[0]);
  return Object.fromEntries(keys.map((k) => [k, list.reduce((s, x) => s + (x[k] ?? 0), 0) / list.length]));
}

/** A candidate's judgments sorted into ok scores and failures; bystander sub-scores are the mean over ok trials. */
export function scoresFromJudgments(judgments: Judgment[]): CandidateScores {
  const dimensions = Object.fromEntries(DIMENSIONS.map((d) => [d, { scores: [] as number[], failed: 0 }])) as CandidateScores['dimensions'];
  const bystanders: Record<string, number>[] = [];
  let bystanderFailed = 0;
  for (const j of judgments) {
    if (j.kind === 'bystander') {
      if (j.status === 'ok' && j.subscores) bystanders.push(j.subscores);
      else bystanderFailed++;
      continue;
    }
    const d = dimensions[j.kind];
    if (j.status === 'ok' && j.score !== undefined) d.scores.push(j.score);
    else d.failed++;
  }
  return { dimensions, bystander: meanSubscores(bystanders), bystanderFailed, injectionFlags: injectionFlagsOf(judgments.flatMap((j) => j.flags)) };
}

export interface CandidateAggregate {
  dimensions: Record<Dimension, { score: number | null; meanRaw: number | null; nOk: number; nFailed: number }>;
  empathy: number | null;
  bystander: number | null;
  reward: number | null;
  failures: number;
  /** The reply tried to instruct the judge (pattern, judge's verdict, or both): see injection.ts. */
  injectionFlags: string[];
  /** For a flagged reply, what the run's injection policy did: scored 1 on every dimension, left out of summaries, or flagged only. */
  injection?: { policy: EvaluationSettings['injectionPolicy'] };
}

export interface AggregateOptions {
  lambda?: number;
  /** Whether the run asked for a bystander (without one, reward = empathy). */
  bystander?: boolean;
  /** What to do with a reply flagged as addressing the evaluator (default: flag only). */
  injectionPolicy?: EvaluationSettings['injectionPolicy'];
}

export function aggregateCandidate(c: CandidateScores, o: AggregateOptions = {}): CandidateAggregate {
  const lambda = o.lambda ?? DEFAULT_LAMBDA;
  const policy = c.injectionFlags.length ? o.injectionPolicy ?? 'flag' : undefined;
  const scoredOne = policy === 'score-1';
  const dims = {} as CandidateAggregate['dimensions'];
  for (const d of DIMENSIONS) {
    const t = c.dimensions[d];
    // Score-1: the judgments stay as judged, but the reply counts as failing every dimension.
    const scores = scoredOne ? [1] : t.scores;
    dims[d] = { score: dimensionScore(scores), meanRaw: mean(scores), nOk: t.scores.length, nFailed: t.failed };
  }
  const empathy = empathyScore(DIMENSIONS.map((d) => dims[d].score));
  const bystander = bystanderScore(c.bystander);
  const failures = DIMENSIONS.reduce((s, d) => s + c.dimensions[d].failed, 0) + c.bystanderFailed;
  return {
    dimensions: dims, empathy, bystander, reward: rewardScore(empathy, bystander, lambda, o.bystander ?? true), failures,
    injectionFlags: c.injectionFlags, ...(policy ? { injection: { policy } } : {}),
  };
}

export interface MeanWithCounts {
  mean: number | null;
  /** Candidates that contributed a value. */
  nOk: number;
  /** Candidates left out because their value is missing (a failure). */
  nMissing: number;
}

function meanOf(values: (number | null)[]): MeanWithCounts {
  const ok = values.filter((v): v is number => v !== null);
  return { mean: mean(ok), nOk: ok.length, nMissing: values.length - ok.length };
}

export interface DatasetSummary {
  candidates: number;
  /** Candidates left out of every figure below because they address the evaluator (policy "exclude"). */
  excludedFlagged: number;
  /** Candidates whose reply was flagged as addressing the evaluator, whatever the policy (excluded ones included). */
  flaggedReplies: number;
  /** Per-dimension mean of the candidates' mean raw 1–5 scores (the reference's figures). */
  dimensionMeans: Record<Dimension, MeanWithCounts>;
  /** The reference's overall empathy: mean of the three dimension means, divided by 5. */
  overallEmpathy: number | null;
  meanEmpathy: MeanWithCounts;
  meanBystander: MeanWithCounts;
  meanReward: MeanWithCounts;
  /** Failed judge calls (after retries), all kinds together. */
  failedJudgments: number;
  candidatesWithFailures: number;
}

export function summarize(all: CandidateAggregate[]): DatasetSummary {
  const results = all.filter((r) => r.injection?.policy !== 'exclude');
  const dimensionMeans = {} as DatasetSummary['dimensionMeans'];
  for (const d of DIMENSIONS) dimensionMeans[d] = meanOf(results.map((r) => r.dimensions[d].meanRaw));
  const means = DIMENSIONS.map((d) => dimensionMeans[d].mean);
  return {
    candidates: results.length,
    excludedFlagged: all.length - results.length,
    flaggedReplies: all.filter((r) => r.injectionFlags.length > 0).length,
    dimensionMeans,
    overallEmpathy: means.some((m) => m === null) ? null : (means as number[]).reduce((s, x) => s + x, 0) / 3 / 5,
    meanEmpathy: meanOf(results.map((r) => r.empathy)),
    meanBystander: meanOf(results.map((r) => r.bystander)),
    meanReward: meanOf(results.map((r) => r.reward)),
    failedJudgments: results.reduce((s, r) => s + r.failures, 0),
    candidatesWithFailures: results.filter((r) => r.failures > 0).length,
  };
}

/** The summary per system (the predictions file a candidate came from), in first-seen order. */
export function summarizeBySystem(results: { system: string; aggregate: CandidateAggregate }[]): { system: string; summary: DatasetSummary }[] {
  const groups = new Map<string, CandidateAggregate[]>();
  for (const r of results) groups.set(r.system, [...(groups.get(r.system) ?? []), r.aggregate]);
  return [...groups].map(([system, aggregates]) => ({ system, summary: summarize(aggregates) }));
}

/** Ranks from 1, ties sharing their average rank. */
function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1].x === order[i].x) j++;
    for (let k = i; k <= j; k++) r[order[k].i] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson on ranks); null with fewer than 2 points or no variance. */
export function spearman(a: number[], b: number[]): number | null {
  if (a.length !== b.length || a.length < 2) return null;
  const ra = ranks(a);
  const rb = ranks(b);
  const ma = mean(ra)!;
  const mb = mean(rb)!;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da === 0 || db === 0 ? null : num / Math.sqrt(da * db);
}

export interface LabelledScore {
  group: string;
  label: number;
  score: number;
}

/**
 * Within each group (a case), over pairs whose human labels differ: the share the score orders
 * the same way. A tie in score counts as half right.
 */
export function pairwiseAccuracy(items: LabelledScore[]): { accuracy: number | null; pairs: number } {
  let pairs = 0;
  let right = 0;
  eachPairInGroup(items, (x, y) => {
    if (x.label === y.label) return;
    pairs++;
    const human = Math.sign(x.label - y.label);
    const model = Math.sign(x.score - y.score);
    right += model === 0 ? 0.5 : model === human ? 1 : 0;
  });
  return { accuracy: pairs ? right / pairs : null, pairs };
}

/** Calls `visit` once for every unordered pair of items that share a group (a case), in input order. */
export function eachPairInGroup<T extends { group: string }>(items: T[], visit: (x: T, y: T) => void): void {
  const groups = new Map<string, T[]>();
  for (const it of items) groups.set(it.group, [...(groups.get(it.group) ?? []), it]);
  for (const g of groups.values()) {
    for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) visit(g[i], g[j]);
  }
}

export interface LabelAgreement {
  accuracy: number | null;
  pairs: number;
  spearman: number | null;
  /** The labelled scores the figures rest on. */
  n: number;
}

/** How scores agree with human labels: pairwise accuracy within each group, Spearman over all. */
export function labelAgreement(items: LabelledScore[]): LabelAgreement {
  const { accuracy, pairs } = pairwiseAccuracy(items);
  return { accuracy, pairs, spearman: spearman(items.map((i) => i.label), items.map((i) => i.score)), n: items.length };
}
