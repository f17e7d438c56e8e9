// The reference protocol on the Batch screen: the PersonaEmp reference's own files imported
// through the Library, judged with the scripted engine, and the per-system table that eval.py
// prints, checked against eval.py's formulas applied here to the judge answers the app stored.
import { expect, test } from '@playwright/test';
import { buildScriptedEngine, openWithScriptedEngine } from './support/app.ts';

test.beforeAll(buildScriptedEngine);

const DIR = 'test/fixtures/reference';
const SYSTEMS = ['qwen2.5-7b-instruct', 'deepseek-r1-distill-8b', 'llama-3.1-8b-instruct'];
const DIMS = ['resonation', 'expression', 'reception'];

interface StoredJudgment { candidateId: string; kind: string; status: string; raw: string; score?: number }
interface StoredCandidate { id: string; system?: string }

test('Batch runs the reference protocol on an imported PersonaEmp set and shows eval.py\'s figures per system', async ({ page }) => {
  await openWithScriptedEngine(page);
  await page.getByLabel('Choose files to import').setInputFiles([`${DIR}/English.json`, `${DIR}/English_criteria.json`, ...SYSTEMS.map((s) => `${DIR}/${s}.json`)]);
  await page.getByRole('region', { name: /Preview/ }).getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Added 3 people/ })).toBeVisible();

  await page.getByRole('link', { name: 'Batch' }).first().click();
  await page.getByRole('combobox', { name: 'Data set' }).selectOption({ label: 'File English.json (6 cases)' });
  await page.getByRole('combobox', { name: 'Protocol', exact: true }).selectOption({ label: 'Reference (eval.py)' });
  await expect(page.getByText(/Reproduces the authors' evaluation/)).toBeVisible();
  await page.getByRole('button', { name: 'Run batch' }).click();
  await expect(page.getByRole('status')).toContainText('Finished: 18 candidates', { timeout: 90_000 });
  await expect(page.getByText(/How this run was judged: reference protocol, scripted-judge/)).toBeVisible();

  // eval.py's figures from the stored raw answers: the first \boxed{} number, mean per dimension
  // over the answers that have one, overall = sum of the three means / 3 / 5.
  const { judgments, candidates } = await page.evaluate(() => new Promise<{ judgments: StoredJudgment[]; candidates: StoredCandidate[] }>((resolve, reject) => {
    const open = indexedDB.open('attune');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction(['judgments', 'candidates']);
      const j = tx.objectStore('judgments').getAll();
      const c = tx.objectStore('candidates').getAll();
      tx.oncomplete = () => { resolve({ judgments: j.result, candidates: c.result }); open.result.close(); };
    };
  }));
  const systemOf = new Map(candidates.map((c) => [c.id, c.system]));
  const table = page.getByTestId('system-table');
  for (const system of SYSTEMS) {
    const mine = judgments.filter((j) => systemOf.get(j.candidateId) === system);
    // One judge call per (candidate, dimension), no bystander.
    expect(mine).toHaveLength(6 * 3);
    const means = DIMS.map((d) => {
      const scores = mine.filter((j) => j.kind === d).map((j) => /\\boxed\{([\d.]+)\}/.exec(j.raw)?.[1]).filter((x): x is string => x !== undefined).map(Number);
      return scores.reduce((s, x) => s + x, 0) / scores.length;
    });
    const overall = means.reduce((s, x) => s + x, 0) / 3 / 5;
    await expect(table.getByRole('row', { name: new RegExp(`^${system.replace(/[.]/g, '\\.')}`) }).getByRole('cell'))
      .toHaveText([...means.map((m) => m.toFixed(4)), overall.toFixed(4), '6', '0']);
  }
});
