import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { buildScriptedEngine, openWithScriptedEngine } from './support/app.ts';
import { seriousViolations } from './support/axe.ts';

test.beforeAll(() => {
  buildScriptedEngine();
  mkdirSync('test-results/screenshots', { recursive: true });
});

test('each main screen passes an accessibility scan in both themes; screenshots saved', async ({ page }) => {
  await openWithScriptedEngine(page);
  // Give Evaluate and Batch real results to show.
  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await page.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByRole('status')).toHaveText('Done.', { timeout: 60_000 });
  await page.getByRole('link', { name: 'Batch' }).first().click();
  await page.getByRole('combobox', { name: 'Data set' }).selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Run batch' }).click();
  await expect(page.getByRole('status')).toContainText('Finished', { timeout: 60_000 });

  for (const theme of ['light', 'dark']) {
    if ((await page.locator('html').getAttribute('data-theme')) !== theme) await page.getByRole('button', { name: /theme$/ }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    for (const screen of ['library', 'person', 'evaluate', 'batch', 'models']) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${screen}$`, 'i') }).click();
      await expect(page.locator('main h2').first()).toBeVisible();
      await page.waitForTimeout(300);
      if (screen === 'evaluate' || screen === 'batch') {
        // Every screen that shows scores explains them: a legend, each term opened, and tooltips.
        const legend = page.getByRole('region', { name: 'What the scores mean' });
        await expect(legend).toContainText('Empathy = harmonic mean of resonation, expression and reception');
        for (const summary of await legend.locator('summary').all()) {
          if (!(await summary.evaluate((el) => (el.parentElement as HTMLDetailsElement).open))) await summary.click();
        }
        await expect(legend.getByRole('definition').filter({ hasText: 'Empathy + λ × (bystander − 1)' })).toBeVisible();
        await expect(legend.getByRole('term').filter({ hasText: 'Overall empathy score (reference)' })).toBeVisible();
        await expect(legend).toContainText('A harmonic mean is never above the plain mean'); // the README's method section
        const empathyHeader = screen === 'batch'
          ? page.getByRole('button', { name: /^Empathy/ })
          : page.locator('.results-table th', { hasText: /^empathy$/ });
        await expect(empathyHeader).toHaveAttribute('title', /harmonic mean/);
      }
      await page.screenshot({ path: `test-results/screenshots/${screen}-${theme}.png`, fullPage: true });
      expect(await seriousViolations(page), `${screen} (${theme})`).toEqual([]);
    }
  }

  // The theme choice is remembered across a reload; the projector layout enlarges the text.
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const before = await page.locator('html').evaluate((el) => getComputedStyle(el).fontSize);
  await page.getByRole('button', { name: 'Projector' }).click();
  const after = await page.locator('html').evaluate((el) => getComputedStyle(el).fontSize);
  expect(parseFloat(after)).toBeGreaterThan(parseFloat(before));
  await page.goto('/?test-engine=scripted#/evaluate');
  await page.screenshot({ path: 'test-results/screenshots/evaluate-projector.png', fullPage: true });
});
