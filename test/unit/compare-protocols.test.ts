// The maths of comparing two protocols' results (src/method/compare-protocols.ts).
import { describe, expect, it } from 'vitest';
import { compareProtocols, formatComparison, pairAgreement, type ScoredCandidate } from '../../src/method/compare-protocols.ts';
import { aggregateCandidate, spearman } from '../../src/method/aggregate.ts';

function scored(caseId: string, candidateId: string, scores: [number, number, number] | null, label: number | null = null): ScoredCandidate {
  const dims = (i: number) => (scores ? { scores: [scores[i]], failed: 0 } : { scores: [], failed: 1 });
  return {
    caseId, candidateId, label,
    aggregate: aggregateCandidate({ dimensions: { resonation: dims(0), expression: dims(1), reception: dims(2) }, bystander: null, bystanderFailed: 0, injectionFlags: [] }, { bystander: false }),
  };
}

describe('pairAgreement', () => {
  it('counts pairs within a case: alike 1, opposite 0, a tie in one half, a tie in both not a pair', () => {
    expect(pairAgreement([{ group: 'c', a: 1, b: 2 }, { group: 'c', a: 3, b: 5 }])).toEqual({ agreement: 1, pairs: 1 });
    expect(pairAgreement([{ group: 'c', a: 1, b: 5 }, { group: 'c', a: 3, b: 2 }])).toEqual({ agreement: 0, pairs: 1 });
    expect(pairAgreement([{ group: 'c', a: 1, b: 4 }, { group: 'c', a: 3, b: 4 }])).toEqual({ agreement: 0.5, pairs: 1 });
    expect(pairAgreement([{ group: 'c', a: 2, b: 4 }, { group: 'c', a: 2, b: 4 }])).toEqual({ agreement: null, pairs: 0 });
    // Candidates of different cases are never paired.
    expect(pairAgreement([{ group: 'c1', a: 1, b: 5 }, { group: 'c2', a: 3, b: 2 }])).toEqual({ agreement: null, pairs: 0 });
  });
});

describe('compareProtocols', () => {
  const first = {
    protocol: 'reference', ms: 4000, usage: { calls: 12, promptTokens: 9000, completionTokens: 900 },
    results: [scored('c1', 'a', [5, 4, 4], 1), scored('c1', 'b', [2, 2, 3], 0), scored('c2', 'c', [4, 4, 4], 1), scored('c2', 'd', [3, 3, 2], 0), scored('c3', 'e', [3, 3, 3])],
  };
  const second = {
    protocol: 'fast', ms: 1000, usage: { calls: 8, promptTokens: 4000, completionTokens: 200 },
    results: [scored('c1', 'a', [4, 4, 5], 1), scored('c1', 'b', [3, 2, 2], 0), scored('c2', 'c', [2, 3, 3], 1), scored('c2', 'd', [4, 4, 4], 0), scored('c3', 'e', null)],
  };
  const c = compareProtocols(first, second);

  it('pairs candidates by id; a figure missing in either run is left out of that figure only', () => {
    expect(c.protocols).toEqual(['reference', 'fast']);
    expect(c.candidates).toBe(5);
    expect(c.figures.resonation.n).toBe(4);
    expect(c.figures.resonation.spearman).toBe(spearman([5, 2, 4, 3], [4, 3, 2, 4]));
    expect(c.figures.overall.n).toBe(4);
  });

  it('agreement on the better candidate and with human labels, per figure', () => {
    // Case 1 ordered alike, case 2 the other way round.
    expect(c.figures.resonation.pairwise).toEqual({ agreement: 0.5, pairs: 2 });
    expect(c.figures.overall.labels[0]).toMatchObject({ accuracy: 1, pairs: 2, n: 4 });
    expect(c.figures.overall.labels[1]).toMatchObject({ accuracy: 0.5, pairs: 2, n: 4 });
  });

  it('time and tokens per run and per candidate, and a readable text', () => {
    expect(c.cost[0]).toEqual({ protocol: 'reference', ms: 4000, calls: 12, promptTokens: 9000, completionTokens: 900, perCandidate: { ms: 800, promptTokens: 1800, completionTokens: 180 } });
    const text = formatComparison(c);
    expect(text).toMatch(/^reference vs fast on 5 candidates/);
    expect(text).toMatch(/resonation +n +4 +Spearman/);
    expect(text).toMatch(/human labels: reference 1\.000 \(2 pairs\), fast 0\.500 \(2 pairs\)/);
  });
});
