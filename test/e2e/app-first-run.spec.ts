import { expect, test } from '@playwright/test';
import { buildScriptedEngine, blockForeignRequests, openWithScriptedEngine } from './support/app.ts';

test.beforeAll(buildScriptedEngine);

test('first run: demo people, model choice, a scored reply and its chart', async ({ page, baseURL }) => {
  const foreign = blockForeignRequests(page, baseURL!);
  await page.goto('/#/library');
  // The demo people are there on a first open, and the guide points to a model.
  await page.goto('/#/person');
  await expect(page.getByRole('navigation', { name: 'People' }).getByRole('link', { name: 'Maya Okafor' })).toBeVisible();
  await expect(page.getByRole('complementary', { name: 'Getting started' })).toContainText('load a model');
  // The suggestion is named as people read it, not by its hub id (this browser's WebGPU is software: the CPU model).
  await expect(page.getByRole('complementary', { name: 'Getting started' })).toContainText('we suggest Qwen2.5 0.5B Instruct (Transformers.js, CPU) (about 500 MiB download)');
  await expect(page.getByRole('complementary', { name: 'Getting started' })).not.toContainText('onnx-community/');

  await openWithScriptedEngine(page);
  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await expect(page.getByRole('heading', { name: 'Evaluate' })).toBeFocused();
  await expect(page.getByRole('heading', { name: /Candidates \(3\)/ })).toBeVisible();
  await page.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByRole('status')).toHaveText('Done.', { timeout: 60_000 });

  const table = page.locator('table.results-table');
  await expect(table.locator('tbody tr')).toHaveCount(3);
  const reward = await table.locator('tbody tr').first().locator('td').nth(5).innerText();
  expect(Number(reward)).toBeGreaterThan(-1);
  expect(Number(reward)).toBeLessThanOrEqual(1);
  const chart = page.locator('figure.chart-figure svg[role="img"]');
  await expect(chart).toBeVisible();
  await expect(chart.locator('rect title')).toHaveCount(3 * 6);
  await expect(chart.locator('desc')).toContainText('Resonation');
  // The analyses are readable, with the bystander's five sub-scores.
  const generic = page.locator('details.analyses', { hasText: 'generic: analyses' });
  await generic.locator('summary').click();
  await expect(generic.getByText('Logical Structure & Clarity:')).toBeVisible();
  // One line per trial: the default protocol makes several.
  await expect(generic.getByText(/resonation( trial \d+)?: \d\.\d \/ 5/).first()).toBeVisible();

  // The scores are in the store: a reload shows the same results without running again.
  await page.reload();
  await expect(page.locator('table.results-table tbody tr').first().locator('td').nth(5)).toHaveText(reward);
  // The demo people can be removed (with all their data) and restored.
  await page.getByRole('button', { name: 'Remove the demo people' }).click();
  await expect(page.getByRole('button', { name: 'Restore the demo people' })).toBeVisible();
  await page.goto('/#/person');
  await expect(page.getByText('No people yet.')).toBeVisible();
  await page.reload();
  await expect(page.getByText('No people yet.')).toBeVisible();
  await page.getByRole('button', { name: 'Restore the demo people' }).click();
  await expect(page.getByRole('navigation', { name: 'People' }).getByRole('link', { name: 'Maya Okafor' })).toBeVisible();
  expect(foreign).toEqual([]);
});

test('failures show with the raw answer and a retry button', async ({ page }) => {
  await openWithScriptedEngine(page, '&fail=bystander');
  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await page.getByRole('combobox', { name: 'Query' }).selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByRole('status')).toContainText('failed judge call', { timeout: 60_000 });
  await expect(page.getByText('What the model wrote:').first()).toBeVisible();
  await expect(page.locator('pre.raw').first()).toContainText('rather chat about the weather');
  const rewards = await page.locator('table.results-table tbody tr td:nth-child(7)').allInnerTexts();
  expect(rewards.every((r) => r === '—')).toBe(true);
  await expect(page.getByRole('button', { name: /Retry failed judgments/ }).first()).toBeEnabled();
});
