import { expect, test } from '@playwright/test';
import { buildScriptedEngine, openWithScriptedEngine } from './support/app.ts';

test.beforeAll(buildScriptedEngine);

test('Person screen: evidence links, extraction with progress, persona versions', async ({ page }) => {
  await openWithScriptedEngine(page);
  await page.getByRole('link', { name: 'Person' }).first().click();
  await page.getByRole('navigation', { name: 'People' }).getByRole('link', { name: 'Maya Okafor' }).click();
  await expect(page.getByRole('heading', { name: 'Maya Okafor', level: 2 })).toBeVisible();

  // A memory links to the message it rests on; following it shows and focuses that message.
  const memory = page.locator('li.card', { hasText: 'wrong heparin dose' });
  await memory.getByRole('link', { name: /^message 3/ }).click();
  const target = page.locator('article.msg.highlight');
  await expect(target).toBeVisible();
  await expect(target).toContainText('wrong heparin dose');
  await expect(target).toBeFocused();

  // Extraction with the loaded (scripted) model: progress, then extracted memories appear.
  await page.getByRole('button', { name: 'Extract memories' }).click();
  await expect(page.getByText(/^Done/)).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('li.card', { hasText: 'extracted' }).first()).toBeVisible();

  // Regenerating keeps the old persona; editing adds another version.
  await page.getByRole('button', { name: 'Regenerate persona' }).click();
  await expect(page.getByText('Persona version 2 saved.')).toBeVisible({ timeout: 30_000 });
  const versions = page.getByRole('combobox', { name: 'Version' });
  await expect(versions.locator('option')).toHaveCount(2);
  await page.getByRole('button', { name: 'Edit', exact: true }).first().click();
  await page.getByLabel('Topics (comma separated)').fill('night shifts, family');
  await page.getByRole('button', { name: 'Save as new version' }).click();
  await expect(versions.locator('option')).toHaveCount(3);
  await expect(versions).toHaveValue('3');
  await versions.selectOption('1');
  await expect(page.getByText('Topics: night shifts, sleep')).toBeVisible();
});

test('Person screen: evidence lists read as text, memories in any script, deleting one asks first', async ({ page }) => {
  await openWithScriptedEngine(page);
  await page.getByRole('link', { name: 'Person' }).first().click();
  await page.getByRole('navigation', { name: 'People' }).getByRole('link', { name: 'Maya Okafor' }).click();

  // Two pieces of evidence: "message 1, message 5", with the comma outside the links.
  const boundaries = page.locator('li.card', { hasText: 'just relax' });
  await expect(boundaries.locator('.evidence')).toHaveText('Evidence: message 1, message 5');
  await expect(boundaries.getByRole('link', { name: 'message 1', exact: true })).toBeVisible();

  // A memory in Hebrew reads right to left.
  await page.getByRole('button', { name: 'Add a memory' }).click();
  await page.getByLabel('Label').fill('social relationships');
  await page.getByLabel('Fact').fill('אחותה מתחתנת בדצמבר');
  await page.getByRole('button', { name: 'Save memory' }).click();
  const hebrew = page.locator('li.card', { hasText: 'אחותה מתחתנת בדצמבר' });
  await expect(hebrew.locator('p[dir="auto"]')).toHaveText('אחותה מתחתנת בדצמבר');
  expect(await hebrew.locator('p[dir="auto"]').evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');

  // Delete asks first; Keep keeps it, yes deletes it.
  await hebrew.getByRole('button', { name: /^Delete memory/ }).click();
  const confirm = hebrew.getByRole('group', { name: 'Confirm deleting this memory' });
  await confirm.getByRole('button', { name: 'Keep' }).click();
  await expect(hebrew).toBeVisible();
  await hebrew.getByRole('button', { name: /^Delete memory/ }).click();
  await confirm.getByRole('button', { name: 'Yes, delete it' }).click();
  await expect(hebrew).toHaveCount(0);
});
