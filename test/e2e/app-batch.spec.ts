import { expect, test, type Page } from '@playwright/test';
import { buildScriptedEngine, openWithScriptedEngine } from './support/app.ts';

test.beforeAll(buildScriptedEngine);

async function startBatch(page: Page) {
  await page.getByRole('link', { name: 'Batch' }).first().click();
  await page.getByRole('combobox', { name: 'Data set' }).selectOption({ label: 'All cases (9)' });
  await page.getByRole('button', { name: 'Run batch' }).click();
}

async function finalResults(page: Page) {
  await expect(page.getByRole('status')).toContainText('Finished: 27 candidates', { timeout: 90_000 });
  await expect(page.getByText('Summary (27 candidates judged)')).toBeVisible();
  const overall = await page.getByTestId('overall-empathy').innerText();
  const failures = await page.getByTestId('failures').innerText();
  // Sort by candidate then read every reward: the table is virtualized, so scroll through it.
  const rows = new Map<string, string>();
  const list = page.getByRole('region', { name: 'Results, one row per candidate' });
  for (let top = 0; top < 27 * 34; top += 200) {
    await list.evaluate((el, t) => { el.scrollTop = t; }, top);
    await page.waitForTimeout(50);
    for (const row of await list.locator('.results-grid').all()) {
      const cells = await row.locator('span').allInnerTexts();
      rows.set(`${cells[0]}|${cells[1]}|${cells[2]}`, cells.slice(4).join(' '));
    }
  }
  return { overall, failures, rows };
}

/** The batch progress bar's done / total, 0 before it shows. */
async function progress(page: Page): Promise<number> {
  const bar = page.locator('progress.batch-progress');
  if (!(await bar.count())) return 0;
  return Number(await bar.getAttribute('value')) / Number(await bar.getAttribute('max'));
}

test('a batch run interrupted by closing the page at several points resumes to the same results', async ({ browser }) => {
  test.setTimeout(300_000);
  // Reference: the same run, never interrupted, in its own fresh profile.
  const refContext = await browser.newContext();
  const ref = await refContext.newPage();
  await openWithScriptedEngine(ref);
  await startBatch(ref);
  const expected = await finalResults(ref);
  expect(expected.rows.size).toBe(27);
  await refContext.close();

  // One run, its tab closed at the first finished step, then about a third, two thirds and nine
  // tenths of the way; each reopening resumes it on its own (same model loaded) before the next close.
  const context = await browser.newContext();
  let page = await context.newPage();
  await openWithScriptedEngine(page, '&delay=60');
  await startBatch(page);
  for (const point of [0.01, 0.33, 0.66, 0.9]) {
    await expect.poll(() => progress(page), { timeout: 60_000, message: `progress past ${point}` }).toBeGreaterThanOrEqual(point);
    await page.close();
    page = await context.newPage();
    await openWithScriptedEngine(page, '&delay=60');
    await page.getByRole('link', { name: 'Batch' }).first().click();
  }

  // With the same model loaded, the interrupted run resumes on its own.
  const resumed = await finalResults(page);
  expect(resumed.overall).toBe(expected.overall);
  expect(resumed.failures).toBe(expected.failures);
  expect([...resumed.rows.entries()].sort()).toEqual([...expected.rows.entries()].sort());
  // Still one run: no reopening started another.
  await expect(page.getByRole('combobox', { name: 'Results of run' }).locator('option')).toHaveCount(1);
  // Sorting by reward orders the rows (the default is descending; one click makes it ascending).
  const list = page.getByRole('region', { name: 'Results, one row per candidate' });
  await list.evaluate((el) => { el.scrollTop = 0; });
  await page.getByRole('button', { name: /^Reward.*sorted descending/ }).click();
  await expect(page.getByRole('button', { name: /^Reward.*sorted ascending/ })).toBeVisible();
  const rewards = (await list.locator('.results-grid span:nth-child(10)').allInnerTexts()).map(Number);
  expect(rewards.length).toBeGreaterThan(5);
  expect(rewards).toEqual([...rewards].sort((a, b) => a - b));
  await context.close();
});

test('a batch run starts without an alert; a second start while it runs is refused with one', async ({ page }) => {
  await openWithScriptedEngine(page, '&delay=30');
  await startBatch(page);
  const bar = page.locator('progress.batch-progress');
  await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 60_000 }).toBeGreaterThan(3);
  // The run is going and nothing claims otherwise; a summary read meanwhile says it is partial.
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.getByText(/^Summary so far \(\d+ candidates judged\)$/)).toBeVisible({ timeout: 10_000 });
  // The "r" shortcut starts a run even while the button is disabled: that one is really refused.
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  await page.keyboard.press('r');
  await expect(page.getByRole('alert')).toContainText('A batch run is already going');
  await expect(page.getByRole('status').filter({ hasText: 'Finished: 27 candidates' })).toBeVisible({ timeout: 90_000 });
  // Only the one run was stored: the refused start left nothing behind.
  await expect(page.getByRole('combobox', { name: 'Results of run' }).locator('option')).toHaveCount(1);
});
