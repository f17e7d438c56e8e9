// Big imports in real Chromium with real IndexedDB: an import interrupted mid-write (the page
// closed, or cancelled, which ends its worker) leaves nothing behind, and the same file then
// imports whole; progress shows while reading and writing; a CSV over the row limit is refused
// up front with the limit and the reason.
import { writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './library-net.ts';

test.setTimeout(240_000);

async function openLibrary(page: Page) {
  await page.goto('/#/library');
  await expect(page.getByRole('heading', { name: 'Library', level: 2 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'People' })).toBeVisible();
}

/**
 * Record counts of every object store, read with plain IndexedDB (not the app's code), and
 * `messages`: the entries of the chunks' index of message ids, one per stored message.
 */
function storeCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('attune');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const names = [...db.objectStoreNames];
    const tx = db.transaction(names);
    const counts: Record<string, number> = {};
    await Promise.all(names.map((name) => new Promise<void>((resolve) => {
      const q = tx.objectStore(name).count();
      q.onsuccess = () => { counts[name] = q.result; resolve(); };
    })));
    await new Promise<void>((resolve) => {
      const q = tx.objectStore('messageChunks').index('messageIds').count();
      q.onsuccess = () => { counts.messages = q.result; resolve(); };
    });
    db.close();
    return counts;
  });
}

/**
 * Counts once the first run's demo data is in (it is imported like any file, in the background):
 * nothing pending in the journal, people present, and two reads in a row the same.
 */
async function settledCounts(page: Page): Promise<Record<string, number>> {
  let last = '';
  await expect.poll(async () => {
    const counts = await storeCounts(page);
    const settled = counts.importJournal === 0 && counts.people > 0 && JSON.stringify(counts) === last;
    last = JSON.stringify(counts);
    return settled;
  }, { timeout: 30_000, intervals: [200] }).toBe(true);
  return JSON.parse(last);
}

/** Keeps every text the import panel's status line shows, to check progress was reported. */
async function recordStatus(page: Page) {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __statusSeen: string[] }).__statusSeen = seen;
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[role="status"]')) {
        const text = el.textContent?.trim() ?? '';
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
}
const statusSeen = (page: Page) => page.evaluate(() => (window as unknown as { __statusSeen: string[] }).__statusSeen);

/** A ChatGPT export of `conversations` linear chats of 12 messages (about 2.5 kB each). */
function chatGptExport(conversations: number): Buffer {
  const words = 'I keep thinking about what my brother said at dinner and it still stings a little honestly'.split(' ');
  const text = (seed: number, n: number) => Array.from({ length: n }, (_, i) => words[(seed * 7 + i * 3) % words.length]).join(' ');
  const items: string[] = [];
  for (let c = 0; c < conversations; c++) {
    const mapping: Record<string, unknown> = { root: { id: 'root', message: null, parent: null, children: ['m0'] } };
    for (let m = 0; m < 12; m++) {
      const role = m % 2 === 0 ? 'user' : 'assistant';
      mapping[`m${m}`] = {
        id: `m${m}`, parent: m === 0 ? 'root' : `m${m - 1}`, children: m < 11 ? [`m${m + 1}`] : [],
        message: { id: `m${m}`, author: { role }, create_time: 1.7e9 + c * 100 + m, content: { content_type: 'text', parts: [`${c}/${m}: ${text(c + m, 40)}`] } },
      };
    }
    items.push(JSON.stringify({ id: `conv-${c}`, title: `Chat ${c}`, create_time: 1.7e9 + c * 100, current_node: 'm11', mapping }));
  }
  return Buffer.from(`[${items.join(',\n')}]`);
}

/** Chooses a file (a path for those over Playwright's 50 MB in-memory limit) and waits for the preview. */
async function chooseAndPreview(page: Page, file: { name: string; buffer: Buffer } | string) {
  await page.getByLabel('Choose files to import').setInputFiles(typeof file === 'string' ? file : { ...file, mimeType: 'application/octet-stream' });
  const preview = page.getByRole('region', { name: /Preview/ });
  await expect(preview).toBeVisible({ timeout: 120_000 });
  return preview;
}

/** Clicks Import and waits until some chunks are really in IndexedDB, with the import still going. */
async function importUntilPartlyWritten(page: Page, before: Record<string, number>) {
  await page.getByRole('region', { name: /Preview/ }).getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Writing: [1-9]/ })).toBeVisible({ timeout: 120_000 });
  await expect.poll(async () => (await storeCounts(page)).messages - before.messages, { timeout: 60_000, intervals: [50] }).toBeGreaterThan(0);
  await expect(page.getByRole('status').filter({ hasText: /^Added / })).toHaveCount(0);
}

// Large enough that its writing lasts seconds (messages are stored in chunks, one per conversation here).
const EXPORT = { name: 'conversations.json', buffer: chatGptExport(6000) };
const PERSON = 'ChatGPT export (conversations.json)';

test('an import interrupted by closing the page leaves nothing after a reload, and the same file then imports whole', async ({ page, context }) => {
  await openLibrary(page);
  const before = await settledCounts(page);
  await chooseAndPreview(page, EXPORT);
  await importUntilPartlyWritten(page, before);
  // No person while the import runs: people are written with the commit.
  await expect(page.getByRole('list', { name: 'People' }).getByRole('button', { name: PERSON, exact: true })).toHaveCount(0);
  await page.close(); // ends the page and its import worker mid-write

  const next = await context.newPage();
  await openLibrary(next);
  await expect(next.getByRole('list', { name: 'People' }).getByRole('button', { name: PERSON, exact: true })).toHaveCount(0);
  expect(await storeCounts(next)).toEqual(before);

  await chooseAndPreview(next, EXPORT);
  await next.getByRole('region', { name: /Preview/ }).getByRole('button', { name: 'Import' }).click();
  await expect(next.getByRole('status').filter({ hasText: 'Added 1 people, 6000 conversations, 72000 messages.' })).toBeVisible({ timeout: 180_000 });
  const after = await storeCounts(next);
  expect(after.messages - before.messages).toBe(72_000);
  expect(after.importJournal).toBe(0);
});

test('a second tab opened during an import leaves it running (its lock says it is alive), and it completes whole', async ({ page, context }) => {
  await openLibrary(page);
  const before = await settledCounts(page);
  await chooseAndPreview(page, EXPORT);
  await importUntilPartlyWritten(page, before);
  const other = await context.newPage();
  await openLibrary(other); // its store opens and sweeps abandoned imports: not this one
  await expect(page.getByRole('status').filter({ hasText: 'Added 1 people, 6000 conversations, 72000 messages.' })).toBeVisible({ timeout: 180_000 });
  const after = await storeCounts(other);
  expect(after.messages - before.messages).toBe(72_000);
  expect(after.conversations - before.conversations).toBe(6_000);
  expect(after.importJournal).toBe(0);
  await expect(other.getByRole('list', { name: 'People' }).getByRole('button', { name: PERSON, exact: true })).toBeVisible();
});

test('cancelling an import mid-write ends its worker and leaves the store as it was', async ({ page }) => {
  await openLibrary(page);
  const before = await settledCounts(page);
  await recordStatus(page);
  await chooseAndPreview(page, EXPORT);
  await importUntilPartlyWritten(page, before);
  await page.getByRole('button', { name: 'Cancel import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Import cancelled: nothing was written.' })).toBeVisible({ timeout: 60_000 });
  expect(await storeCounts(page)).toEqual(before);
  const seen = await statusSeen(page);
  expect(seen.some((s) => /^Reading conversations\.json: [\d,]+ of 6,000 items$/.test(s)), seen.join(' | ')).toBe(true);
  expect(seen.some((s) => /^Writing: [\d,]+ of 78,001 records$/.test(s)), seen.join(' | ')).toBe(true);
  await page.reload();
  await openLibrary(page);
  expect(await storeCounts(page)).toEqual(before);
});

/** `rows` data rows of a cases CSV, each about 60 bytes. */
function casesCsv(rows: number): Buffer {
  const lines = ['query,response,label'];
  for (let i = 0; i < rows; i++) lines.push(`"I feel left out at work, week ${i}",That sounds lonely; what happened this week?,${i % 2}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

test('a CSV of 1,000,000 rows is refused up front with the limit and the reason, and the store is unchanged', async ({ page }, testInfo) => {
  await openLibrary(page);
  const before = await settledCounts(page);
  const path = testInfo.outputPath('million.csv');
  writeFileSync(path, casesCsv(1_000_000));
  const started = Date.now();
  const preview = await chooseAndPreview(page, path);
  await expect(preview.getByRole('alert')).toContainText('million.csv');
  await expect(preview.getByRole('alert')).toContainText('has 1,000,000 rows; the limit is 100,000 rows per CSV file, because every row becomes two records');
  expect(Date.now() - started).toBeLessThan(60_000);
  await expect(preview.getByRole('button', { name: 'Import' })).toBeDisabled();
  expect(await storeCounts(page)).toEqual(before);
});

test('a CSV under the limit shows its progress and can be cancelled mid-write, leaving the store unchanged', async ({ page }) => {
  await openLibrary(page);
  const before = await settledCounts(page);
  await recordStatus(page);
  const preview = await chooseAndPreview(page, { name: 'cases.csv', buffer: casesCsv(60_000) });
  await expect(preview.getByRole('row', { name: /cases\.csv/ }).getByRole('cell')).toHaveText(['csv', '1', '0', '0', '0', '60000', '60000', '0']);
  await preview.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Writing: [1-9]/ })).toBeVisible({ timeout: 120_000 });
  await expect.poll(async () => (await storeCounts(page)).cases - before.cases, { timeout: 60_000, intervals: [50] }).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Cancel import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Import cancelled: nothing was written.' })).toBeVisible({ timeout: 60_000 });
  expect(await storeCounts(page)).toEqual(before);
  const seen = await statusSeen(page);
  expect(seen.some((s) => /^Reading cases\.csv: [\d.]+ MiB of [\d.]+ MiB$/.test(s)), seen.join(' | ')).toBe(true);
  expect(seen.some((s) => /^Writing: [\d,]+ of 120,001 records$/.test(s)), seen.join(' | ')).toBe(true);
});
