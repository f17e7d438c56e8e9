// Restore in real Chromium with real IndexedDB: a backup that is cut, empty or inconsistent is
// refused before anything changes, naming what is wrong; a good one is previewed (now against
// after), and the library it replaced comes back with one click.
import { readFileSync } from 'node:fs';
import type { Page, TestInfo } from '@playwright/test';
import { expect, test } from './library-net.ts';
import { seriousViolations } from './support/axe.ts';

const SHAREGPT = 'test/fixtures/library/sharegpt-small.json';
const PERSON = 'ShareGPT: sharegpt-small';
type Backup = { data: { tables: { name: string; rowCount: number }[]; data: { tableName: string; rows: Record<string, unknown>[] }[] } };

const people = (page: Page) => page.getByRole('list', { name: 'People' });
const personButton = (page: Page, name: string) => people(page).getByRole('button', { name, exact: true });

async function importShareGpt(page: Page) {
  await page.getByLabel('Choose files to import').setInputFiles(SHAREGPT);
  await page.getByRole('region', { name: /Preview/ }).getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added 1 people' })).toBeVisible();
}

async function pastePerson(page: Page) {
  await page.getByText('Paste a conversation', { exact: true }).click();
  await page.getByLabel(/Conversation text/).fill('User: I failed my driving test.\nAssistant: I am sorry. How are you feeling?');
  await page.getByRole('button', { name: 'Preview pasted text' }).click();
  await page.getByRole('region', { name: /Preview/ }).getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added 1 people' })).toBeVisible();
}

async function downloadBackup(page: Page, testInfo: TestInfo): Promise<Backup> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download backup' }).click()]);
  const path = testInfo.outputPath('backup.json');
  await download.saveAs(path);
  return JSON.parse(readFileSync(path, 'utf8'));
}

function chooseBackup(page: Page, name: string, backup: unknown) {
  return page.getByLabel('Restore from a backup file').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(backup)) });
}

/** What the Library lists: every person with their counts. */
async function libraryState(page: Page): Promise<string[]> {
  return people(page).getByRole('listitem').allInnerTexts();
}

test('partial, empty and inconsistent backups are refused with the library unchanged', async ({ page }, testInfo) => {
  await page.goto('/#/library');
  await importShareGpt(page);
  const good = await downloadBackup(page, testInfo);
  const before = await libraryState(page);
  expect(before.join()).toContain('2 conversations · 5 messages');

  const partial = structuredClone(good);
  partial.data.data = partial.data.data.filter((t) => t.tableName === 'people');
  await chooseBackup(page, 'partial.json', partial);
  await expect(page.getByRole('alert')).toContainText('Nothing was changed. partial.json cannot be restored');
  await expect(page.getByRole('alert')).toContainText('conversations, messageChunks, memories, personas, cases, candidates, criteria, judgments, runs, settings missing');
  await expect(page.getByRole('button', { name: 'Yes, restore' })).toHaveCount(0);

  const empty = structuredClone(good);
  for (const t of empty.data.data) t.rows = [];
  for (const t of empty.data.tables) t.rowCount = 0;
  await chooseBackup(page, 'empty.json', empty);
  await expect(page.getByRole('alert')).toContainText('empty.json cannot be restored: Backup file (data.data): every table is empty');

  const dangling = structuredClone(good);
  // Messages are stored (and backed up) in chunks, one per conversation here.
  const chunks = dangling.data.data.find((t) => t.tableName === 'messageChunks')!;
  chunks.rows[0] = { ...chunks.rows[0], personId: 'person_nobody', conversationId: 'conv_nowhere' };
  await chooseBackup(page, 'dangling.json', dangling);
  await expect(page.getByRole('alert')).toContainText(`messageChunks record "${chunks.rows[0].id}": personId "person_nobody" names no record in people`);

  const cut = structuredClone(good);
  const rows = cut.data.data.find((t) => t.tableName === 'messageChunks')!.rows;
  const header = rows.length;
  rows.splice(1);
  await chooseBackup(page, 'cut.json', cut);
  await expect(page.getByRole('alert')).toContainText(`(messageChunks)): the header says ${header} rows, the file holds 1`);

  await page.reload();
  await expect(people(page).getByRole('listitem')).toHaveText(before);
});

test('a restore is previewed, and the library it replaced comes back with one click', async ({ page }, testInfo) => {
  await page.goto('/#/library');
  await importShareGpt(page);
  const backup = await downloadBackup(page, testInfo);
  const rowsOf = (table: string) => backup.data.data.find((t) => t.tableName === table)!.rows;
  // Records as the restore preview counts them: messages, not the chunks they are kept in.
  const inBackup = (kind: string) => (kind === 'messages'
    ? rowsOf('messageChunks').reduce((n, c) => n + (c.messageIds as string[]).length, 0)
    : rowsOf(kind).length);
  await pastePerson(page); // one more person, with two messages
  const before = await libraryState(page);
  expect(before).toHaveLength(inBackup('people') + 1);

  await chooseBackup(page, 'good.json', backup);
  const confirm = page.getByRole('group', { name: 'Confirm restore' });
  const row = (name: string) => confirm.getByRole('row', { name: new RegExp(`^${name} `) }).getByRole('cell');
  await expect(row('people')).toHaveText([String(inBackup('people') + 1), String(inBackup('people'))]);
  await expect(row('messages')).toHaveText([String(inBackup('messages') + 2), String(inBackup('messages'))]);
  expect(await seriousViolations(page), 'restore preview').toEqual([]);
  await confirm.getByRole('button', { name: 'Yes, restore' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Restored the library from good.json' })).toBeVisible();
  await expect(people(page).getByRole('listitem')).toHaveCount(inBackup('people'));
  await expect(personButton(page, PERSON)).toBeVisible();

  // The safety copy outlives a visit to another screen.
  await page.getByRole('link', { name: 'Batch' }).first().click();
  await page.getByRole('link', { name: 'Library' }).first().click();
  const safety = page.getByRole('group', { name: 'The library before the restore' });
  await expect(safety).toContainText(`${inBackup('people') + 1} people, ${inBackup('conversations') + 1} conversations, ${inBackup('messages') + 2} messages`);
  expect(await seriousViolations(page), 'safety copy').toEqual([]);
  await safety.getByRole('button', { name: 'Undo the restore' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The library is back as it was before the restore.' })).toBeVisible();
  await page.reload();
  await expect(people(page).getByRole('listitem')).toHaveText(before);
});
