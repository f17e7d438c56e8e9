// The Library's import panel (split out of the Library screen), rendered on its own in jsdom
// over its store: progress with Cancel while reading or writing, and the preview per file with
// its problems before anything is imported.
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import ImportPanel from '../../src/ui/components/library/ImportPanel.svelte';
import { ImportStore } from '../../src/services/library/import.svelte.ts';
import type { PendingImport } from '../../src/import/client.ts';

const counts = (c: Partial<Record<string, number>>) => ({ people: 0, conversations: 0, messages: 0, memories: 0, personas: 0, cases: 0, candidates: 0, criteria: 0, ...c });

describe('ImportPanel', () => {
  it('shows the progress of a running import and cancels it from its button', async () => {
    const store = new ImportStore();
    const cancel = vi.spyOn(store, 'cancel').mockImplementation(() => {});
    store.busy = 'Importing…';
    store.progress = { phase: 'writing', done: 34_000, total: 92_850, unit: 'records' };
    const view = within(render(ImportPanel, { store }).container);
    await tick();
    expect(view.getByRole('status').textContent).toBe('Writing: 34,000 of 92,850 records');
    const bar = view.getByRole('progressbar', { name: 'Import progress' }) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([34_000, 92_850]);
    expect((view.getByLabelText('Choose files to import') as HTMLInputElement).disabled).toBe(true);
    await fireEvent.click(view.getByRole('button', { name: 'Cancel import' }));
    expect(cancel).toHaveBeenCalledOnce();
  });

  it('previews each file with its counts and notes, lists the problems, and imports only on confirm', async () => {
    const store = new ImportStore();
    const confirm = vi.spyOn(store, 'confirm').mockImplementation(() => {});
    store.pending = {
      preview: {
        files: [
          { file: 'English.json', formats: ['personaemp'], counts: counts({ people: 3, conversations: 3, messages: 13, memories: 6, personas: 3, cases: 6 }), notes: [] },
          { file: 'qwen.json', formats: ['personaemp-predictions'], counts: counts({ candidates: 6 }), notes: ['1 × empty responses (kept as empty replies)'] },
        ],
        issues: [{ file: 'broken.csv', where: 'line 4', message: 'expected a "query" column' }],
        total: counts({ people: 3 }),
        bundleCount: 2,
      },
    } as unknown as PendingImport;
    const view = within(render(ImportPanel, { store }).container);
    await tick();
    const row = (name: string) => view.getByRole('row', { name: new RegExp(`^${name.replace('.', '\\.')}`) });
    expect(within(row('English.json')).getAllByRole('cell').map((c) => c.textContent)).toEqual(['personaemp', '3', '3', '13', '6', '6', '0', '0']);
    expect(within(row('qwen.json')).getAllByRole('cell').map((c) => c.textContent)).toEqual(['personaemp-predictions', '0', '0', '0', '0', '0', '6', '0']);
    expect(view.getByText('qwen.json: 1 × empty responses (kept as empty replies)')).toBeTruthy();
    expect(view.getByRole('alert').textContent).toContain('broken.csv, line 4: expected a "query" column');
    expect(confirm).not.toHaveBeenCalled();
    await fireEvent.click(view.getByRole('button', { name: 'Import' }));
    expect(confirm).toHaveBeenCalledOnce();
  });
});
