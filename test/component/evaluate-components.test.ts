// The components split out of the Evaluate screen, rendered on their own in jsdom.
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/svelte';
import ResultsTable from '../../src/ui/components/evaluate/ResultsTable.svelte';
import { buildResults } from '../../src/export/results.ts';
import { BYSTANDER_KEYS } from '../../src/method/steps/bystander.ts';
import { CASE1, makeCandidate } from '../helpers/method-fixtures.ts';
import type { Judgment, Person } from '../../src/domain/records.ts';

const T = 1_700_000_000_000;
const person: Person = { id: 'p1', name: 'Robin', source: { format: 'manual' }, demo: false, createdAt: T };
const warm = { ...makeCandidate(CASE1.id, 1, 'That sounds exhausting.'), name: 'warm' };
const flat = { ...makeCandidate(CASE1.id, 2, 'Try harder next time.'), name: 'flat' };

function judgment(candidateId: string, kind: Judgment['kind'], fields: Partial<Judgment>): Judgment {
  return {
    id: `${candidateId}-${kind}`, caseId: CASE1.id, candidateId, kind, mode: 'fixed', trial: 0, model: 'm', seed: 42,
    status: 'ok', raw: '{}', attempts: 1, flags: [], usage: { promptTokens: 1, completionTokens: 1 }, createdAt: T, ...fields,
  };
}

describe('ResultsTable', () => {
  it('shows each candidate\'s scores as the method aggregates them, and a failed judgment as a missing value', () => {
    const sub = Object.fromEntries(BYSTANDER_KEYS.map((k) => [k, 16])); // 80 / 100
    const judgments = [
      judgment(warm.id, 'resonation', { score: 4 }), judgment(warm.id, 'expression', { score: 5 }),
      judgment(warm.id, 'reception', { score: 3 }), judgment(warm.id, 'bystander', { subscores: sub }),
      judgment(flat.id, 'resonation', { score: 2 }), judgment(flat.id, 'expression', { score: 2 }),
      judgment(flat.id, 'reception', { score: 2 }), judgment(flat.id, 'bystander', { status: 'failed', raw: 'nope', error: 'not JSON' }),
    ];
    const report = buildResults({ title: 't', people: [person], cases: [CASE1], candidates: [warm, flat], judgments, lambda: 0.5 });
    const { container } = render(ResultsTable, { report });
    const rows = [...container.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent?.trim()));
    // warm: 0.8, 1.0, 0.6; empathy = harmonic mean = 3 / (1.25 + 1 + 1.667) = 0.766; reward = 0.766 + 0.5·(0.8 − 1) = 0.666.
    expect(rows).toEqual([
      ['warm', '0.80', '1.00', '0.60', '0.80', '0.77', '0.67', '0'],
      ['flat', '0.40', '0.40', '0.40', '—', '0.40', '—', '1'],
    ]);
    const headers = [...container.querySelectorAll('thead th')].map((th) => th.textContent);
    expect(headers).toEqual(['Candidate', 'resonation', 'expression', 'reception', 'bystander', 'empathy', 'reward', 'failures']);
  });
});
