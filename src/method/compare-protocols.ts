// How two protocols' results on the same candidates agree (issue 9, `attune compare` and the
// Batch screen's comparison): per dimension and overall, Spearman correlation between the two
// protocols' scores, agreement on which candidate of a case is better, each protocol's agreement
// with human labels where the data has them, and what each run cost. Pure: results in, figures out.
import { DIMENSIONS, type Dimension } from '../domain/records.ts';
import { eachPairInGroup, labelAgreement, spearman, type CandidateAggregate, type LabelAgreement } from './aggregate.ts';

/** One candidate's result under one protocol. */
export interface ScoredCandidate {
  caseId: string;
  candidateId: string;
  label: number | null;
  aggregate: CandidateAggregate;
}

export interface ProtocolRun {
  protocol: string;
  results: ScoredCandidate[];
  /** Wall-clock time of the run, and its model calls (criteria included). */
  ms: number;
  usage: { calls: number; promptTokens: number; completionTokens: number };
}

/** The figures compared: each dimension's mean raw 1–5 score, and overall the empathy (harmonic mean of the three). */
export const COMPARED = [...DIMENSIONS, 'overall'] as const;
export type Compared = (typeof COMPARED)[number];

export function comparedScore(a: CandidateAggregate, what: Compared): number | null {
  return what === 'overall' ? a.empathy : a.dimensions[what as Dimension].meanRaw;
}

export interface PairAgreement {
  /** Share of candidate pairs of a case that the two protocols order the same way (one tie: half). */
  agreement: number | null;
  /** Pairs within a case that at least one protocol tells apart. */
  pairs: number;
}

export interface ComparedFigures {
  /** Candidates both protocols scored (on this figure). */
  n: number;
  spearman: number | null;
  pairwise: PairAgreement;
  /** Per protocol, in the order given: agreement with human labels; null when no candidate has one. */
  labels: (LabelAgreement | null)[];
}

export interface ProtocolComparison {
  protocols: string[];
  /** Candidates in both runs. */
  candidates: number;
  figures: Record<Compared, ComparedFigures>;
  cost: { protocol: string; ms: number; calls: number; promptTokens: number; completionTokens: number; perCandidate: { ms: number; promptTokens: number; completionTokens: number } | null }[];
}

/** Within each case: the share of candidate pairs both protocols order alike (ties in one only count half). */
export function pairAgreement(items: { group: string; a: number; b: number }[]): PairAgreement {
  let pairs = 0;
  let same = 0;
  eachPairInGroup(items, (p, q) => {
    const x = Math.sign(p.a - q.a);
    const y = Math.sign(p.b - q.b);
    if (x === 0 && y === 0) return;
    pairs++;
    same += x === y ? 1 : x === 0 || y === 0 ? 0.5 : 0;
  });
  return { agreement: pairs ? same / pairs : null, pairs };
}

export function compareProtocols(first: ProtocolRun, second: ProtocolRun): ProtocolComparison {
  const other = new Map(second.results.map((r) => [r.candidateId, r]));
  const paired = first.results.filter((r) => other.has(r.candidateId)).map((r) => ({ a: r, b: other.get(r.candidateId)! }));
  const figures = {} as Record<Compared, ComparedFigures>;
  for (const what of COMPARED) {
    const both = paired
      .map(({ a, b }) => ({ group: a.caseId, label: a.label, x: comparedScore(a.aggregate, what), y: comparedScore(b.aggregate, what) }))
      .filter((p): p is { group: string; label: number | null; x: number; y: number } => p.x !== null && p.y !== null);
    const labels = (pick: (p: (typeof both)[number]) => number) => {
      const labelled = both.filter((p) => p.label !== null);
      return labelled.length ? labelAgreement(labelled.map((p) => ({ group: p.group, label: p.label!, score: pick(p) }))) : null;
    };
    figures[what] = {
      n: both.length,
      spearman: spearman(both.map((p) => p.x), both.map((p) => p.y)),
      pairwise: pairAgreement(both.map((p) => ({ group: p.group, a: p.x, b: p.y }))),
      labels: [labels((p) => p.x), labels((p) => p.y)],
    };
  }
  return {
    protocols: [first.protocol, second.protocol],
    candidates: paired.length,
    figures,
    cost: [first, second].map((r) => ({
      protocol: r.protocol, ms: r.ms, calls: r.usage.calls, promptTokens: r.usage.promptTokens, completionTokens: r.usage.completionTokens,
      perCandidate: r.results.length
        ? { ms: r.ms / r.results.length, promptTokens: r.usage.promptTokens / r.results.length, completionTokens: r.usage.completionTokens / r.results.length }
        : null,
    })),
  };
}

const fixed = (x: number | null, digits = 3) => (x === null ? 'n/a' : x.toFixed(digits));

/** The comparison as readable text (the CLI without --json). */
export function formatComparison(c: ProtocolComparison): string {
  const [a, b] = c.protocols;
  const rows = COMPARED.map((what) => {
    const f = c.figures[what];
    const labels = f.labels.map((l, i) => (l ? `${c.protocols[i]} ${fixed(l.accuracy)} (${l.pairs} pairs)` : null)).filter(Boolean).join(', ');
    return `  ${what.padEnd(11)} n ${String(f.n).padStart(4)}  Spearman ${fixed(f.spearman).padStart(6)}  same better candidate ${fixed(f.pairwise.agreement).padStart(6)} (${f.pairwise.pairs} pairs)${labels ? `  human labels: ${labels}` : ''}`;
  });
  const cost = c.cost.map((r) => `  ${r.protocol.padEnd(10)} ${(r.ms / 1000).toFixed(1)} s, ${r.calls} calls, ${r.promptTokens} prompt + ${r.completionTokens} completion tokens${r.perCandidate ? ` (per candidate: ${(r.perCandidate.ms / 1000).toFixed(2)} s, ${Math.round(r.perCandidate.promptTokens)} + ${Math.round(r.perCandidate.completionTokens)} tokens)` : ''}`);
  return [
    `${a} vs ${b} on ${c.candidates} candidates (dimensions: mean 1-5 score; overall: empathy, the harmonic mean of the three)`,
    ...rows,
    'Time and tokens of this run (work reused from the cache costs none):',
    ...cost,
  ].join('\n') + '\n';
}
