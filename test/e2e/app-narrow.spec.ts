// On a 390 px wide phone screen, no screen scrolls sideways: long queries, selects and tables
// wrap or scroll inside their own box.
import { expect, test, type Page } from '@playwright/test';
import { buildScriptedEngine, openWithScriptedEngine } from './support/app.ts';

test.beforeAll(buildScriptedEngine);
test.use({ viewport: { width: 390, height: 844 } });

/** Elements whose right edge passes the viewport, outside any box that scrolls on its own. */
function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const scrollsItself = (el: Element | null): boolean => {
      for (let e = el?.parentElement; e; e = e.parentElement) {
        const style = getComputedStyle(e);
        if (/(auto|scroll|hidden)/.test(style.overflowX) && e !== document.body && e !== document.documentElement) return true;
      }
      return false;
    };
    return [...document.querySelectorAll('main *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !scrollsItself(el) && el.getClientRects().length)
      .map((el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''} in ${el.closest('section[aria-labelledby], section[aria-label], details, figure, form')?.outerHTML.slice(0, 60) ?? 'main'}`)
      .slice(0, 8);
  });
}

test('the Evaluate screen fits 390 px: the query box, its select and the results', async ({ page }) => {
  await openWithScriptedEngine(page);
  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await page.getByRole('button', { name: 'New query' }).click();
  await page.getByLabel('What the person says').fill('My sister keeps cancelling our plans at the very last minute and I never know whether to say something or let it go again');
  await page.getByRole('button', { name: 'Save query' }).click();
  await expect(page.getByRole('combobox', { name: 'Query' })).toContainText('My sister keeps cancelling');
  expect(await overflowing(page)).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  // With results: the table, the chart and the legend stay inside the screen too.
  await page.getByRole('combobox', { name: 'Query' }).selectOption({ index: 0 });
  await page.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByRole('status')).toHaveText('Done.', { timeout: 60_000 });
  expect(await overflowing(page)).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});
