// Jobs belong to the jobs store, not to the screen that started them: a run started on Evaluate
// is still shown, with its progress and Cancel, after visiting other screens, and the header
// lists it (with Cancel) from any screen.
import { expect, test } from '@playwright/test';
import { buildScriptedEngine, openWithScriptedEngine } from './support/app.ts';
import { seriousViolations } from './support/axe.ts';

test.beforeAll(buildScriptedEngine);

test('a run started on Evaluate survives navigation and is cancellable from the header', async ({ page }) => {
  // Each scripted call takes 400 ms, so the run lasts long enough to walk around.
  await openWithScriptedEngine(page, '&delay=400');
  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await page.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByRole('button', { name: 'Cancel', exact: true })).toBeVisible();

  await page.getByRole('link', { name: 'Library' }).first().click();
  await expect(page.getByRole('heading', { name: 'Library', level: 2 })).toBeVisible();
  const indicator = page.locator('details.jobs-indicator');
  await expect(indicator.locator('summary')).toHaveText('1 job running');
  await page.getByRole('link', { name: 'Models' }).first().click();
  await expect(page.getByRole('heading', { name: 'Models', level: 2 })).toBeVisible();
  await page.getByRole('link', { name: 'Evaluate' }).first().click();

  // Back on Evaluate: the same job, still moving, with its Cancel.
  const progress = page.locator('progress').first();
  await expect(progress).toBeVisible();
  const before = Number(await progress.getAttribute('value'));
  await expect.poll(async () => Number(await progress.getAttribute('value')), { timeout: 20_000 }).toBeGreaterThan(before);
  await expect(page.getByRole('button', { name: 'Run evaluation' })).toBeDisabled();

  // Cancel from the header: it says so at once, then the run ends as cancelled.
  await indicator.locator('summary').click();
  const item = indicator.getByRole('listitem');
  await expect(item.getByRole('link')).toHaveText(/^Evaluating “/);
  // The open list passes the accessibility scan the screens are held to.
  expect(await seriousViolations(page)).toEqual([]);
  await item.getByRole('button', { name: /^Cancel: Evaluating/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Cancelled' })).toBeVisible({ timeout: 10_000 });
  await expect(indicator).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Run evaluation' })).toBeEnabled();
});
