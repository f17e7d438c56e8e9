// Comparing two protocols on the Batch screen, in Chromium with the scripted engine: both run
// over the data set with the loaded engine, and the same figures as `attune compare` are shown.
import { expect, test } from '@playwright/test';
import { buildScriptedEngine, openWithScriptedEngine } from './support/app.ts';

test.beforeAll(buildScriptedEngine);

test('two protocols over one data set: agreement per dimension and overall, with labels, time and tokens', async ({ page }) => {
  test.setTimeout(240_000);
  await openWithScriptedEngine(page);
  await page.getByRole('link', { name: 'Batch' }).first().click();
  await page.getByRole('combobox', { name: 'Data set' }).selectOption({ label: 'All cases (9)' });
  const form = page.getByRole('form', { name: 'Compare two protocols' });

  // The demo cases carry no criteria of their own, which the reference protocol quotes: it stops, saying so.
  await form.getByRole('combobox', { name: 'First protocol' }).selectOption('reference');
  await form.getByRole('combobox', { name: 'Second protocol' }).selectOption('fast');
  await form.getByRole('button', { name: 'Compare protocols' }).click();
  await expect(form.getByRole('alert')).toContainText('have no criteria of their own', { timeout: 60_000 });
  await expect(page.getByTestId('protocol-comparison')).toHaveCount(0);

  await form.getByRole('combobox', { name: 'First protocol' }).selectOption('default');
  await form.getByRole('button', { name: 'Compare protocols' }).click();
  const table = page.getByTestId('protocol-comparison');
  await expect(table).toBeVisible({ timeout: 180_000 });
  await expect(form.getByRole('alert')).toHaveCount(0);
  await expect(table.locator('caption')).toHaveText('Default vs Fast (laptop GPU) on 27 candidates');
  const rows = table.locator('tbody tr');
  await expect(rows).toHaveCount(4);
  for (const [i, name] of ['Resonation (1–5)', 'Expression (1–5)', 'Reception (1–5)', 'Overall (empathy)'].entries()) {
    const cells = await rows.nth(i).locator('th, td').allInnerTexts();
    expect(cells[0]).toBe(name);
    expect(cells[1]).toBe('27');
    // Spearman in [-1, 1] (or — when a protocol's scores do not vary), agreement over pairs of a case.
    expect(cells[2]).toMatch(/^(-?[01]\.\d{3}|—)$/);
    if (cells[2] !== '—') expect(Math.abs(Number(cells[2]))).toBeLessThanOrEqual(1);
    expect(cells[3]).toMatch(/^(\d\.\d{3} \(\d+ pairs\)|— \(0 pairs\))$/);
    // The demo's labels order the three candidates of each of the 9 cases: 27 labelled pairs.
    expect(cells[4]).toMatch(/^\d\.\d{3} \(27 pairs\)$/);
    expect(cells[5]).toMatch(/^\d\.\d{3} \(27 pairs\)$/);
  }
  const cost = page.getByTestId('protocol-cost').locator('tbody tr');
  await expect(cost).toHaveCount(2);
  const [defaultCost, fastCost] = await Promise.all([0, 1].map((i) => cost.nth(i).locator('th, td').allInnerTexts()));
  expect(defaultCost[0]).toBe('Default');
  expect(fastCost[0]).toBe('Fast (laptop GPU)');
  // Default judges each dimension k = 3 times plus the bystander; fast makes one combined call plus the bystander.
  expect(Number(defaultCost[2])).toBeGreaterThan(Number(fastCost[2]));
  expect(Number(fastCost[2])).toBeGreaterThanOrEqual(27 * 2);
  expect(Number(fastCost[4])).toBeGreaterThan(0);
});
