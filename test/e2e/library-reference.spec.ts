// The PersonaEmp reference's own files through the Library screen, in real Chromium with real
// IndexedDB: a sessions file, its criteria file and three predictions files previewed and
// imported together; a criteria file imported after its sessions; one without them refused.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './library-net.ts';

const DIR = 'test/fixtures/reference';
const SYSTEMS = ['qwen2.5-7b-instruct', 'deepseek-r1-distill-8b', 'llama-3.1-8b-instruct'];
const SESSIONS = `${DIR}/English.json`;
const CRITERIA = `${DIR}/English_criteria.json`;
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

interface StoredCase { id: string; sessionId?: string; queryId?: string; category: string; categoryLabel?: string; scenario?: string; referenceCriteria?: Record<string, string> }
interface StoredCandidate { caseId: string; text: string; system?: string; name?: string }

/** Reads a table of the app's IndexedDB store as the app wrote it. */
async function storedRecords<T>(page: Page, table: string): Promise<T[]> {
  return page.evaluate((name) => new Promise<T[]>((resolve, reject) => {
    const open = indexedDB.open('attune');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const request = open.result.transaction(name).objectStore(name).getAll();
      request.onsuccess = () => { resolve(request.result as T[]); open.result.close(); };
      request.onerror = () => reject(request.error);
    };
  }), table);
}

/** Criteria texts per query id, as the criteria file writes them. */
function criteriaByQuery(): Record<string, Record<string, string>> {
  const file = json(CRITERIA) as { criterias: ({ query_id: string } & Record<string, string>)[] }[];
  return Object.fromEntries(file.flatMap((s) => s.criterias.map(({ query_id, ...texts }) => [query_id, texts])));
}

async function openLibrary(page: Page) {
  await page.goto('/#/library');
  await expect(page.getByRole('heading', { name: 'Library', level: 2 })).toBeVisible();
}

const preview = (page: Page) => page.getByRole('region', { name: /Preview/ });
const cells = (page: Page, file: string) => preview(page).getByRole('row', { name: new RegExp(file.replace(/[.]/g, '\\.')) }).getByRole('cell');

test('imports sessions, criteria and three predictions files: preview, then every reply stored on its own query', async ({ page }) => {
  await openLibrary(page);
  await page.getByLabel('Choose files to import').setInputFiles([SESSIONS, CRITERIA, ...SYSTEMS.map((s) => `${DIR}/${s}.json`)]);
  // format, people, conversations, messages, memories, cases, candidates, criteria
  await expect(cells(page, 'English.json')).toHaveText(['personaemp', '3', '3', '13', '6', '6', '0', '0']);
  await expect(cells(page, 'English_criteria.json')).toHaveText(['personaemp-criteria', '0', '0', '0', '0', '0', '0', '6']);
  for (const system of SYSTEMS) {
    await expect(cells(page, `${system}.json`)).toHaveText(['personaemp-predictions', '0', '0', '0', '0', '0', '6', '0']);
  }
  await expect(preview(page).getByText('English_criteria.json: criteria for 6 queries of 3 sessions; 1 queries had other criteria in their sessions file')).toBeVisible();
  await expect(preview(page).getByText('deepseek-r1-distill-8b.json: 1 × empty responses (kept as empty replies, each paired with its own query)')).toBeVisible();
  await expect(preview(page).getByRole('alert')).toHaveCount(0);
  await preview(page).getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added 3 people, 3 conversations, 13 messages, 6 memories, 3 personas, 6 cases, 18 candidates.' })).toBeVisible();

  await page.reload();
  const cases = (await storedRecords<StoredCase>(page, 'cases')).filter((c) => c.sessionId);
  const sessions = json(SESSIONS) as { session_id: string; queries: { query_id: string; category: string }[] }[];
  const expectedCriteria = criteriaByQuery();
  expect(cases.map((c) => [c.sessionId, c.queryId, c.category, c.categoryLabel ?? c.category]).sort()).toEqual(
    sessions.flatMap((s) => s.queries.map((q) => [s.session_id, q.query_id, expect.any(String), q.category])).sort(),
  );
  for (const c of cases) expect(c.referenceCriteria).toEqual(expectedCriteria[c.queryId!]);
  expect(cases.find((c) => c.queryId === 'english_1:1')?.scenario).toBe('Late evening after another appointment; the user is alone in the car in the hospital car park.');

  const candidates = await storedRecords<StoredCandidate>(page, 'candidates');
  const queryOf = new Map(cases.map((c) => [c.id, c.queryId]));
  const mine = candidates.filter((x) => queryOf.has(x.caseId));
  expect(mine).toHaveLength(18);
  for (const system of SYSTEMS) {
    const written = json(`${DIR}/${system}.json`) as { responses: { response: string }[] }[];
    const expected = sessions.flatMap((s, i) => s.queries.map((q, j) => [q.query_id, written[i].responses[j].response]));
    const stored = mine.filter((x) => x.system === system).map((x) => [queryOf.get(x.caseId), x.text]);
    expect(stored.sort()).toEqual(expected.sort());
  }
  expect(mine.find((x) => x.system === 'deepseek-r1-distill-8b' && queryOf.get(x.caseId) === 'english_1:1')?.text).toBe('');
});

test('a criteria file imported after its sessions updates the stored cases', async ({ page }) => {
  await openLibrary(page);
  await page.getByLabel('Choose files to import').setInputFiles(SESSIONS);
  await preview(page).getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added 3 people' })).toBeVisible();

  await page.getByLabel('Choose files to import').setInputFiles(CRITERIA);
  await expect(cells(page, 'English_criteria.json')).toHaveText(['personaemp-criteria', '0', '0', '0', '0', '0', '0', '6']);
  await expect(preview(page).getByText('English_criteria.json: criteria for 6 queries of 3 sessions (6 of them already in the library)', { exact: false })).toBeVisible();
  await preview(page).getByRole('button', { name: 'Import' }).click();
  // Two queries had criteria in the sessions file; one of them was the same text.
  await expect(page.getByRole('status').filter({ hasText: 'Added criteria for 5 stored cases.' })).toBeVisible();
  const expectedCriteria = criteriaByQuery();
  const cases = (await storedRecords<StoredCase>(page, 'cases')).filter((c) => c.sessionId);
  expect(cases).toHaveLength(6);
  for (const c of cases) expect(c.referenceCriteria).toEqual(expectedCriteria[c.queryId!]);
});

test('a criteria file without its sessions is refused and writes nothing', async ({ page }) => {
  await openLibrary(page);
  await page.getByLabel('Choose files to import').setInputFiles(CRITERIA);
  const alert = preview(page).getByRole('alert');
  await expect(alert).toContainText('English_criteria.json, $: criteria for sessions "english_0", "english_1", "english_2", but none of these sessions is in the library');
  await expect(preview(page).getByText('Nothing could be read from these files.')).toBeVisible();
  await expect(preview(page).getByRole('button', { name: 'Import' })).toBeDisabled();
  // No reference case exists, and none was made up for the criteria (the demo's cases have no ids).
  expect((await storedRecords<StoredCase>(page, 'cases')).filter((c) => c.sessionId || c.referenceCriteria)).toEqual([]);
  expect(await storedRecords<{ name: string }>(page, 'people').then((p) => p.filter((x) => x.name.startsWith('PersonaEmp')))).toEqual([]);
});
