import { expect, test } from '@playwright/test';
import { addTinyModel } from './support/tiny-model';

// The real Transformers.js adapter with the tiny random-weight model: its answers are gibberish,
// so the judge steps must end as visible failures (with the raw text), never as scores.
test('evaluating with the tiny random model shows failures as failures', async ({ page, baseURL }) => {
  test.setTimeout(300_000);
  const foreign: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(baseURL!) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  await page.goto('/#/models');
  const tiny = await addTinyModel(page);
  await tiny.getByRole('button', { name: /Download|Load/ }).click();
  await expect(page.getByTestId('current-status')).toContainText('tiny', { timeout: 120_000 });
  await expect(page.getByTestId('current-status')).not.toContainText('Loading', { timeout: 120_000 });

  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await expect(page.getByText('Model: tiny')).toBeVisible();
  await page.getByRole('spinbutton', { name: 'Trials (k)' }).fill('1');
  // Gibberish never parses: one attempt per step is enough to show the failures.
  await page.getByRole('spinbutton', { name: 'Retries after an unreadable answer' }).fill('0');
  // Judge just one candidate to keep this quick: remove two of the three.
  for (let i = 0; i < 2; i++) await page.getByRole('button', { name: /^Remove candidate/ }).first().click();
  await expect(page.getByRole('heading', { name: 'Candidates (1)' })).toBeVisible();
  await page.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByRole('status').or(page.getByRole('alert'))).toBeVisible({ timeout: 240_000 });
  const text = await page.getByRole('status').or(page.getByRole('alert')).first().innerText();
  // Either the run reports failed judge calls, or it stopped with an error message: never a silent score.
  if (await page.getByRole('status').isVisible()) {
    expect(text).toMatch(/failed judge call/);
    await expect(page.locator('table.results-table tbody tr td:nth-child(7)')).toHaveText('—');
    await expect(page.getByText('What the model wrote:').first()).toBeVisible();
  } else {
    expect(text.length).toBeGreaterThan(10);
  }
  expect(foreign).toEqual([]);
});
