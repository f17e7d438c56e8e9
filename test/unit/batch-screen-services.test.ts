// The Batch screen's pure pieces: which data sets a library offers, and how the results table sorts.
import { describe, expect, it } from 'vitest';
import type { Case, Person } from '../../src/domain/records.ts';
import type { CandidateResult } from '../../src/export/results.ts';
import { groupDataSets } from '../../src/services/batch/datasets.svelte.ts';
import { ResultOrder, sortResults } from '../../src/services/batch/result-order.svelte.ts';

const person = (id: string, name: string): Person => ({ id, name, source: { format: 'manual' }, demo: false, createdAt: 1 });
const aCase = (id: string, personId: string, file?: string): Case => ({
  id, personId, query: `query ${id}`, category: 'ES', relevantMemoryIds: [], source: { format: file ? 'csv' : 'manual', file }, createdAt: 1,
});

describe('groupDataSets', () => {
  it('offers all cases, then each person with cases, then each imported file', () => {
    const cases = [aCase('c1', 'p1', 'a.csv'), aCase('c2', 'p2', 'a.csv'), aCase('c3', 'p1'), aCase('c4', 'p2', 'b.csv')];
    const people = [person('p1', 'Ana'), person('p2', 'Ben'), person('p3', 'Cy')];
    expect(groupDataSets(cases, people)).toEqual([
      { key: 'all', label: 'All cases (4)', caseIds: ['c1', 'c2', 'c3', 'c4'] },
      { key: 'person:p1', label: 'Ana (2 cases)', caseIds: ['c1', 'c3'] },
      { key: 'person:p2', label: 'Ben (2 cases)', caseIds: ['c2', 'c4'] },
      { key: 'file:a.csv', label: 'File a.csv (2 cases)', caseIds: ['c1', 'c2'] },
      { key: 'file:b.csv', label: 'File b.csv (1 cases)', caseIds: ['c4'] },
    ]);
  });

  it('offers only the empty "all" data set for an empty library', () => {
    expect(groupDataSets([], [person('p1', 'Ana')])).toEqual([{ key: 'all', label: 'All cases (0)', caseIds: [] }]);
  });
});

const score = (value: number | null) => ({ score: value, meanRaw: null, nOk: value === null ? 0 : 1, nFailed: value === null ? 1 : 0 });
const result = (candidateName: string, reward: number | null, expression: number | null = null): CandidateResult => ({
  personId: 'p1', personName: 'Ana', caseId: 'c1', category: 'ES', query: 'q', candidateId: candidateName, candidateName, candidateText: '',
  label: null, subscores: null, judgments: [], criteria: {},
  aggregate: {
    reward, failures: reward === null ? 1 : 0, empathy: null, bystander: null, injectionFlags: [],
    dimensions: { resonation: score(null), expression: score(expression), reception: score(null) },
  },
});

describe('sortResults', () => {
  const results = [result('low', 0.1, 3), result('failed', null), result('high', 0.9, 1), result('mid', 0.5, 2)];
  const names = (list: CandidateResult[]) => list.map((r) => r.candidateName);

  it('puts missing values last in either direction, and leaves its input alone', () => {
    expect(names(sortResults(results, { key: 'reward', dir: -1 }))).toEqual(['high', 'mid', 'low', 'failed']);
    expect(names(sortResults(results, { key: 'reward', dir: 1 }))).toEqual(['low', 'mid', 'high', 'failed']);
    expect(names(results)).toEqual(['low', 'failed', 'high', 'mid']);
  });

  it('sorts by a dimension score and by text', () => {
    expect(names(sortResults(results, { key: 'expression', dir: 1 }))).toEqual(['high', 'mid', 'low', 'failed']);
    expect(names(sortResults(results, { key: 'candidate', dir: 1 }))).toEqual(['failed', 'high', 'low', 'mid']);
  });
});

describe('ResultOrder', () => {
  it('sorts a new column high to low and flips on a second press', () => {
    const order = new ResultOrder(() => []);
    expect(order.sort).toEqual({ key: 'reward', dir: -1 });
    order.sortBy('reward');
    expect(order.sort).toEqual({ key: 'reward', dir: 1 });
    order.sortBy('empathy');
    expect(order.sort).toEqual({ key: 'empathy', dir: -1 });
  });
});
