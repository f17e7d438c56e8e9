// Pathological messages in the Library's reader, in real Chromium: 5,000 nested quotes, a 30 MB
// message and a 200,000-line message sit between ordinary ones. Each must render (formatted,
// collapsed or as plain text with a note) without blanking the others or freezing the page.
import type { Page } from '@playwright/test';
import { expect, test } from './library-net.ts';

const NESTED = '>'.repeat(5000) + ' the deepest quote';
const HUGE = 'grief '.repeat(5_000_000); // 30 MB
const MANY_LINES = Array.from({ length: 200_000 }, (_, i) => `line ${i}`).join('\n');

function shareGpt(): Buffer {
  const turns = [
    ['human', 'First, an **ordinary** question.'],
    ['gpt', NESTED],
    ['human', HUGE],
    ['gpt', MANY_LINES],
    ['human', 'שלום, an ordinary message after them'],
    ['gpt', 'The last *ordinary* reply.'],
  ].map(([from, value]) => ({ from, value }));
  return Buffer.from(JSON.stringify([{ id: 'pathological', conversations: turns }]));
}

/** Records the main thread's long tasks from now on. */
async function watchLongTasks(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { longest: number };
    w.longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longest = Math.max(w.longest, e.duration);
    }).observe({ type: 'longtask' });
  });
}

test('pathological messages render with every other message visible, without freezing the page', async ({ page }) => {
  await page.goto('/#/library');
  await page.getByLabel('Choose files to import').setInputFiles({ name: 'pathological.json', mimeType: 'application/json', buffer: shareGpt() });
  await page.getByRole('region', { name: /Preview/ }).getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added 1 people, 1 conversations, 6 messages' })).toBeVisible({ timeout: 60_000 });

  await page.getByRole('list', { name: 'People' }).getByRole('button', { name: 'ShareGPT: pathological', exact: true }).click();
  await watchLongTasks(page);
  await page.getByRole('list', { name: /^Conversations of/ }).getByRole('button').first().click();
  const messages = page.getByRole('list', { name: 'Messages' }).locator(':scope > li');
  await expect(messages).toHaveCount(6);
  await expect(messages.nth(0).locator('strong', { hasText: 'ordinary' })).toBeVisible();
  await expect(messages.nth(1)).toContainText('Shown as plain text: nested');
  await expect(messages.nth(2).getByRole('button', { name: /^Show all \(1 lines, 30,000,000 characters\)/ })).toBeVisible();
  await expect(messages.nth(3).getByRole('button', { name: /^Show all \(200,000 lines/ })).toBeVisible();
  await expect(messages.nth(3)).toContainText('line 39');
  await expect(messages.nth(4).locator('p[dir="auto"]')).toContainText('an ordinary message after them');
  await expect(messages.nth(5).locator('em', { hasText: 'ordinary' })).toBeVisible();
  // On the old renderer the 200,000-line message alone held the main thread for 10 s.
  const openLongest = await page.evaluate(() => (window as unknown as { longest: number }).longest);
  test.info().annotations.push({ type: 'longest task opening the conversation (ms)', description: openLongest.toFixed(0) });
  expect(openLongest).toBeLessThan(2000);

  // Shown in full, the long ones come as plain text a page at a time; the others stay.
  await messages.nth(3).getByRole('button', { name: /^Show all/ }).click();
  await expect(messages.nth(3)).toContainText('Shown as plain text: longer than 100,000 characters');
  await expect(messages.nth(3).getByRole('button', { name: /^Show more \(/ })).toBeVisible();
  await messages.nth(1).getByRole('button', { name: /^Show all/ }).click();
  await expect(messages.nth(1)).toContainText('nested 5000 levels deep');
  await expect(messages.nth(1)).toContainText('the deepest quote');
  await expect(messages.nth(5)).toContainText('The last ordinary reply.');
  const longest = await page.evaluate(() => (window as unknown as { longest: number }).longest);
  test.info().annotations.push({ type: 'longest task after showing all (ms)', description: longest.toFixed(0) });
  expect(longest).toBeLessThan(2000);
});
