// The Library screen end to end in real Chromium with real IndexedDB: import through the UI,
// reload, and the data is still there; paste; rename, delete; backup and restore.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './library-net.ts';

const SHAREGPT = 'test/fixtures/library/sharegpt-small.json';
const PERSON = 'ShareGPT: sharegpt-small';

async function openLibrary(page: Page) {
  await page.goto('/#/library');
  await expect(page.getByRole('heading', { name: 'Library', level: 2 })).toBeVisible();
}

async function importShareGpt(page: Page) {
  await page.getByLabel('Choose files to import').setInputFiles(SHAREGPT);
  const preview = page.getByRole('region', { name: /Preview/ });
  const row = preview.getByRole('row', { name: /sharegpt-small\.json/ });
  await expect(row).toBeVisible();
  // people, conversations, messages, memories, cases, candidates, criteria
  await expect(row.getByRole('cell')).toHaveText(['sharegpt', '1', '2', '5', '0', '0', '0', '0']);
  await preview.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added 1 people, 2 conversations, 5 messages' })).toBeVisible();
}

const people = (page: Page) => page.getByRole('list', { name: 'People' });
/** The button that selects a person (its Rename/Delete buttons also carry the name). */
const personButton = (page: Page, name: string) => people(page).getByRole('button', { name, exact: true });

test('imports a file through the UI and keeps it after a reload', async ({ page }) => {
  await openLibrary(page);
  await importShareGpt(page);
  await expect(personButton(page, PERSON)).toBeVisible();

  await page.reload();
  await personButton(page, PERSON).click();
  await expect(people(page).getByText('2 conversations · 5 messages')).toBeVisible();
  const conversations = page.getByRole('list', { name: `Conversations of ${PERSON}` });
  await expect(conversations.getByRole('listitem')).toHaveCount(2);
  await conversations.getByRole('listitem').filter({ hasText: '3 messages' }).getByRole('button').click();
  const messages = page.getByRole('list', { name: 'Messages' });
  await expect(messages.locator(':scope > li')).toHaveCount(3);
  // Markdown renders: **ruin** becomes <strong>, the list becomes <li>.
  await expect(messages.locator('strong', { hasText: 'ruin' })).toBeVisible();
  await expect(messages.getByText('Water in the morning')).toBeVisible();

  // The same file again adds nothing: ids are content hashes.
  await page.getByLabel('Choose files to import').setInputFiles(SHAREGPT);
  await page.getByRole('region', { name: /Preview/ }).getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Nothing new' })).toBeVisible();
});

test('imports pasted plain text', async ({ page }) => {
  await openLibrary(page);
  await page.getByText('Paste a conversation', { exact: true }).click();
  await page.getByLabel(/Conversation text/).fill('User: I lost my keys again.\nAssistant: That is frustrating. Where did you last see them?');
  await page.getByRole('button', { name: 'Preview pasted text' }).click();
  const preview = page.getByRole('region', { name: /Preview/ });
  await expect(preview.getByRole('row', { name: /pasted text/ }).getByRole('cell')).toHaveText(['plaintext', '1', '1', '2', '0', '0', '0', '0']);
  await preview.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added 1 people' })).toBeVisible();
  await page.reload();
  const list = people(page);
  await expect(list.getByText('1 conversations · 2 messages')).toBeVisible();
});

test('shows where a bad file is wrong and writes nothing', async ({ page }) => {
  await openLibrary(page);
  await page.getByLabel('Choose files to import').setInputFiles([
    { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('[{"conversations": [{"from": "human", "value": "hi"}') },
  ]);
  const preview = page.getByRole('region', { name: /Preview/ });
  await expect(preview.getByRole('alert')).toContainText('broken.json');
  await expect(preview.getByText('Nothing could be read from these files.')).toBeVisible();
  await expect(preview.getByRole('button', { name: 'Import' })).toBeDisabled();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'People' })).toBeVisible();
  await expect(page.getByRole('button', { name: /broken/ })).toHaveCount(0);
});

test('renames and deletes a person, and both last after a reload', async ({ page }) => {
  await openLibrary(page);
  await importShareGpt(page);
  await page.getByRole('button', { name: `Rename ${PERSON}` }).click();
  await page.getByLabel(`New name for ${PERSON}`).fill('Gardener Gail');
  await page.getByRole('button', { name: 'Save' }).click();
  // Reload only once the rename is stored (a reload right after the click can cut it short).
  await expect(page.getByRole('status').filter({ hasText: 'Renamed to Gardener Gail.' })).toBeVisible();
  await page.reload();
  await expect(personButton(page, 'Gardener Gail')).toBeVisible();

  await page.getByRole('button', { name: 'Delete Gardener Gail' }).click();
  await page.getByRole('group', { name: 'Confirm deleting Gardener Gail' }).getByRole('button', { name: /Yes, delete/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Deleted Gardener Gail' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'People' })).toBeVisible();
  await expect(personButton(page, 'Gardener Gail')).toHaveCount(0);
  const stored = await page.evaluate(async () => {
    const dbs = await indexedDB.databases();
    return dbs.map((d) => d.name);
  });
  expect(stored).toContain('attune');
});

test('backs up to a file and restores from it', async ({ page }, testInfo) => {
  await openLibrary(page);
  await importShareGpt(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download backup' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^attune-backup-\d{4}-\d{2}-\d{2}\.json$/);
  const path = testInfo.outputPath('backup.json');
  await download.saveAs(path);
  const backup = JSON.parse(readFileSync(path, 'utf8'));
  expect(backup.formatName).toBe('dexie');

  await page.getByRole('button', { name: `Delete ${PERSON}` }).click();
  await page.getByRole('button', { name: /Yes, delete/ }).click();
  await expect(personButton(page, PERSON)).toHaveCount(0);

  // A file that is not a backup changes nothing.
  await page.getByLabel('Restore from a backup file').setInputFiles({ name: 'nope.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
  await expect(page.getByRole('alert').filter({ hasText: 'Nothing was changed' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Yes, restore' })).toHaveCount(0);

  await page.getByLabel('Restore from a backup file').setInputFiles(path);
  await page.getByRole('button', { name: 'Yes, restore' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Restored the library' })).toBeVisible();
  await page.reload();
  await expect(personButton(page, PERSON)).toBeVisible();
  await expect(people(page).getByText('2 conversations · 5 messages')).toBeVisible();
});

test('the Library has no accessibility violations with a preview and a conversation open', async ({ page }) => {
  await openLibrary(page);
  await importShareGpt(page);
  await personButton(page, PERSON).click();
  await page.getByRole('list', { name: `Conversations of ${PERSON}` }).getByRole('button').first().click();
  await page.getByLabel('Choose files to import').setInputFiles([
    { name: 'sharegpt-small.json', mimeType: 'application/json', buffer: readFileSync(SHAREGPT) },
    { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{') },
  ]);
  await expect(page.getByRole('region', { name: /Preview/ }).getByRole('alert')).toBeVisible();
  const results = await new AxeBuilder({ page }).include('main').analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
});

test('files dropped on the drop zone are previewed', async ({ page }) => {
  await openLibrary(page);
  const json = readFileSync(SHAREGPT, 'utf8');
  const dataTransfer = await page.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'dropped.json', { type: 'application/json' }));
    return dt;
  }, json);
  await page.getByRole('region', { name: 'Drop files here' }).dispatchEvent('drop', { dataTransfer });
  const row = page.getByRole('region', { name: /Preview/ }).getByRole('row', { name: /dropped\.json/ });
  await expect(row.getByRole('cell')).toHaveText(['sharegpt', '1', '2', '5', '0', '0', '0', '0']);
});
