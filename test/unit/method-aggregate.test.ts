import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  aggregateCandidate, bystanderScore, dimensionScore, empathyScore, pairwiseAccuracy, rewardScore, scoresFromJudgments, spearman, summarize,
  type CandidateScores,
} from '../../src/method/aggregate.ts';
import type { Judgment } from '../../src/domain/records.ts';

const sub = (a: number, b: number, c: number, d: number, e: number) => ({
  'Content Effectiveness': a, 'Logical Structure & Clarity': b, 'Communication Efficiency': c,
  'Objectivity & Neutrality': d, 'Information Accuracy & Verifiability': e,
});

function scores(r: number[], e: number[], c: number[], by: Record<string, number> | null, failed = [0, 0, 0], injectionFlags: string[] = []): CandidateScores {
  return {
    dimensions: { resonation: { scores: r, failed: failed[0] }, expression: { scores: e, failed: failed[1] }, reception: { scores: c, failed: failed[2] } },
    bystander: by,
    bystanderFailed: by ? 0 : 1,
    injectionFlags,
  };
}

describe('reference formulas, hand-computed', () => {
  // Each row: trial scores per dimension, bystander sub-scores, λ, expected empathy and reward (computed by hand).
  const table = [
    // s = 4/5, 4/5, 4/5 → H = 0.8; b = 0.8 → reward = 0.8 + 0.5·(−0.2) = 0.7
    { r: [4], e: [4], c: [4], by: sub(16, 16, 16, 16, 16), lambda: 0.5, empathy: 0.8, reward: 0.7 },
    // trial averaging: r = mean(5,3)/5 = 0.8, e = mean(4,4,4,4)/5 = 0.8, c = mean(2,4)/5 = 0.6
    // H = 3/(1/0.8 + 1/0.8 + 1/0.6) = 3/4.1667 = 0.72; b = 1 → reward = 0.72
    { r: [5, 3], e: [4, 4, 4, 4], c: [2, 4], by: sub(20, 20, 20, 20, 20), lambda: 0.5, empathy: 0.72, reward: 0.72 },
    // s = 1, 0.4, 0.2 → H = 3/(1 + 2.5 + 5) = 0.352941...; b = 0.5, λ = 0 → reward = empathy
    { r: [5], e: [2], c: [1], by: sub(10, 10, 10, 10, 10), lambda: 0, empathy: 3 / 8.5, reward: 3 / 8.5 },
    // same with λ = 0.5: reward = 0.352941 − 0.25 = 0.102941
    { r: [5], e: [2], c: [1], by: sub(10, 10, 10, 10, 10), lambda: 0.5, empathy: 3 / 8.5, reward: 3 / 8.5 - 0.25 },
    // b = 0 with λ = 0.5: reward = 1 − 0.5 = 0.5
    { r: [5], e: [5], c: [5], by: sub(0, 0, 0, 0, 0), lambda: 0.5, empathy: 1, reward: 0.5 },
  ];
  for (const [i, row] of table.entries()) {
    it(`row ${i + 1}`, () => {
      const a = aggregateCandidate(scores(row.r, row.e, row.c, row.by), { lambda: row.lambda });
      expect(a.empathy).toBeCloseTo(row.empathy, 10);
      expect(a.reward).toBeCloseTo(row.reward, 10);
    });
  }

  it('a zero dimension gives empathy 0', () => {
    expect(empathyScore([0.8, 0, 1])).toBe(0);
    expect(rewardScore(0, 1, 0.5)).toBe(0);
  });

  it('s_d is the mean of score/5 over ok trials', () => {
    expect(dimensionScore([5, 4, 3, 2])).toBeCloseTo(0.7, 12);
    expect(dimensionScore([])).toBeNull();
  });

  it('bystander is the sum of sub-scores over 100', () => {
    expect(bystanderScore(sub(16, 15, 14, 17, 18))).toBeCloseTo(0.8, 12);
    expect(bystanderScore(null)).toBeNull();
  });

  it('a dimension without ok trials has no empathy and no reward, never a default', () => {
    const a = aggregateCandidate(scores([4, 4], [], [5], sub(20, 20, 20, 20, 20), [0, 2, 1]));
    expect(a.dimensions.expression).toEqual({ score: null, meanRaw: null, nOk: 0, nFailed: 2 });
    expect(a.dimensions.reception.nFailed).toBe(1);
    expect(a.empathy).toBeNull();
    expect(a.reward).toBeNull();
    expect(a.failures).toBe(3);
  });

  it('a failed bystander leaves empathy but no reward', () => {
    const a = aggregateCandidate(scores([4], [4], [4], null));
    expect(a.empathy).toBeCloseTo(0.8, 12);
    expect(a.reward).toBeNull();
    expect(a.failures).toBe(1);
  });

  it('summarizes like the reference, with failures counted', () => {
    const s = summarize([
      aggregateCandidate(scores([4], [3], [5], sub(20, 20, 20, 20, 20))),
      aggregateCandidate(scores([2, 4], [5], [], sub(10, 10, 10, 10, 10), [0, 0, 2])),
    ]);
    // dimension means of raw scores: resonation (4 + 3)/2 = 3.5, expression (3 + 5)/2 = 4, reception 5 (one missing)
    expect(s.dimensionMeans.resonation).toEqual({ mean: 3.5, nOk: 2, nMissing: 0 });
    expect(s.dimensionMeans.expression.mean).toBe(4);
    expect(s.dimensionMeans.reception).toEqual({ mean: 5, nOk: 1, nMissing: 1 });
    // overall empathy = (3.5 + 4 + 5)/3/5 = 0.8333…
    expect(s.overallEmpathy).toBeCloseTo(12.5 / 15, 12);
    expect(s.meanEmpathy.nMissing).toBe(1);
    expect(s.failedJudgments).toBe(2);
    expect(s.candidatesWithFailures).toBe(1);
    expect(s.flaggedReplies).toBe(0);
  });

  it('counts the replies flagged as prompt injection, by either source, once each', () => {
    const s = summarize([
      aggregateCandidate(scores([5], [5], [5], null, [0, 0, 0], ['prompt-injection', 'judge-says-addresses-evaluator'])),
      aggregateCandidate(scores([5], [5], [5], null, [0, 0, 0], ['judge-says-addresses-evaluator'])),
      aggregateCandidate(scores([3], [3], [3], null)),
    ]);
    expect(s.flaggedReplies).toBe(2);
  });

  it("takes a candidate's injection flags from its judgments, leaving other flags out", () => {
    const base = { runId: 'r', caseId: 'c', candidateId: 'x', mode: 'fixed' as const, model: 'm', seed: 1, raw: '{}', attempts: 1, usage: { promptTokens: 1, completionTokens: 1 }, createdAt: 1 };
    const judgments: Judgment[] = [
      { ...base, id: 'j1', kind: 'resonation', trial: 0, status: 'ok', score: 5, flags: ['logprobs-unavailable'] },
      { ...base, id: 'j2', kind: 'expression', trial: 0, status: 'ok', score: 5, flags: ['prompt-injection'] },
      { ...base, id: 'j3', kind: 'reception', trial: 0, status: 'ok', score: 5, flags: ['prompt-injection'] },
    ];
    expect(scoresFromJudgments(judgments).injectionFlags).toEqual(['prompt-injection']);
    expect(aggregateCandidate(scoresFromJudgments(judgments)).injectionFlags).toEqual(['prompt-injection']);
    expect(scoresFromJudgments(judgments.slice(0, 1)).injectionFlags).toEqual([]);
  });
});

describe('properties', () => {
  const dim = fc.double({ min: 0.2, max: 1, noNaN: true });
  it('empathy lies between the smallest and largest dimension score', () => {
    fc.assert(fc.property(dim, dim, dim, (a, b, c) => {
      const h = empathyScore([a, b, c])!;
      return h >= Math.min(a, b, c) - 1e-12 && h <= Math.max(a, b, c) + 1e-12;
    }));
  });
  it('reward never exceeds empathy for λ ≥ 0 and b in [0, 1]', () => {
    fc.assert(fc.property(dim, dim, dim, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), (a, b, c, by, lambda) => {
      const h = empathyScore([a, b, c])!;
      return rewardScore(h, by, lambda)! <= h + 1e-12;
    }));
  });
});

describe('agreement with human labels', () => {
  it('pairwise accuracy counts only pairs with different labels, within a case', () => {
    const r = pairwiseAccuracy([
      { group: 'a', label: 1, score: 0.9 }, { group: 'a', label: 0, score: 0.5 }, // right
      { group: 'b', label: 1, score: 0.2 }, { group: 'b', label: 0, score: 0.6 }, // wrong
      { group: 'c', label: 1, score: 0.4 }, { group: 'c', label: 0, score: 0.4 }, // tie: half
      { group: 'd', label: 1, score: 0.4 }, { group: 'd', label: 1, score: 0.9 }, // same label: not a pair
    ]);
    expect(r).toEqual({ accuracy: 1.5 / 3, pairs: 3 });
  });
  it('spearman: perfect, reversed, with ties', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // ranks a = 1, 2.5, 2.5, 4 ; b = 1, 2, 3, 4 → r = 4.5 / sqrt(4.5 · 5)
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(4.5 * 5), 12);
    expect(spearman([1], [1])).toBeNull();
  });
});
