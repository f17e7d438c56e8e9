// The components split out of the Evaluate screen (and the run settings form it shares with
// Batch), rendered on their own in jsdom.
import { describe, expect, it } from 'vitest';
import { fireEvent, render, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import ResultsTable from '../../src/ui/components/evaluate/ResultsTable.svelte';
import RunSettingsForm from '../../src/ui/components/RunSettingsForm.svelte';
import { RunSettingsStore } from '../../src/services/run-settings.svelte.ts';
import { PROTOCOLS } from '../../src/method/protocols.ts';
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

describe('RunSettingsForm', () => {
  it('fills every field from the chosen protocol, and an edited field makes a custom variant of it', async () => {
    const store = new RunSettingsStore('default');
    const { container } = render(RunSettingsForm, { store, show: ['seed', 'retries'] });
    const { getByLabelText } = within(container);
    const protocol = getByLabelText('Protocol') as HTMLSelectElement;
    const mode = getByLabelText('Mode') as HTMLSelectElement;
    const k = getByLabelText('Trials (k)') as HTMLInputElement;
    const summary = () => container.querySelector('.protocol-summary')!.textContent ?? '';
    expect(protocol.value).toBe('default');
    expect(Number(k.value)).toBe(PROTOCOLS.default.settings.k);
    expect(summary()).not.toContain('Custom variant');

    await fireEvent.change(protocol, { target: { value: 'reward' } });
    await tick();
    expect(store.settings).toEqual(PROTOCOLS.reward.settings);
    expect(mode.value).toBe('dynamic');
    expect(Number(k.value)).toBe(PROTOCOLS.reward.settings.k);
    expect((getByLabelText('λ (bystander weight)') as HTMLInputElement).value).toBe(String(PROTOCOLS.reward.settings.lambda));

    await fireEvent.input(k, { target: { value: '4' } });
    await tick();
    expect(store.settings).toMatchObject({ protocol: 'reward', k: 4 });
    expect(store.customized).toEqual(['k']);
    expect(summary()).toContain('Custom variant: k changed.');

    // Choosing the protocol again drops the edit.
    await fireEvent.change(protocol, { target: { value: 'reward' } });
    await tick();
    expect(store.customized).toEqual([]);
    expect(Number(k.value)).toBe(PROTOCOLS.reward.settings.k);
  });

  it('shows the seed on Batch and the retries on Evaluate, as each screen asks', () => {
    const batch = within(render(RunSettingsForm, { store: new RunSettingsStore(), show: ['seed'] }).container);
    expect(batch.queryByLabelText('Seed')).not.toBeNull();
    expect(batch.queryByLabelText('Retries after an unreadable answer')).toBeNull();
    const evaluate = within(render(RunSettingsForm, { store: new RunSettingsStore(), show: ['retries'] }).container);
    expect(evaluate.queryByLabelText('Seed')).toBeNull();
    expect(evaluate.queryByLabelText('Retries after an unreadable answer')).not.toBeNull();
  });
});
