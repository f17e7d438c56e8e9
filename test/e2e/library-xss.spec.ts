// Imported text is untrusted: a file full of XSS payloads is imported and read, and nothing in
// it runs (no dialog, no marker set on window), no javascript: link exists, no image loads.
import type { Page } from '@playwright/test';
import { expect, test } from './library-net.ts';

async function importAndRead(page: Page, files: string | { name: string; mimeType: string; buffer: Buffer }) {
  await page.getByLabel('Choose files to import').setInputFiles(files);
  const preview = page.getByRole('region', { name: /Preview/ });
  await preview.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added 1 people' })).toBeVisible();
}

async function assertNothingRan(page: Page, dialogs: string[]) {
  const messages = page.getByRole('list', { name: 'Messages' });
  await messages.hover(); // would fire onmouseover payloads
  await page.waitForTimeout(300);
  expect(dialogs).toEqual([]);
  expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(await messages.locator('script, img, svg, iframe, [style], [onerror], [onload], [onmouseover], [ontoggle]').count()).toBe(0);
  const hrefs = await messages.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
  for (const h of hrefs) expect(h).toMatch(/^(https?:|mailto:)/);
}

test('a ShareGPT file full of XSS payloads renders as text and runs nothing', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto('/#/library');
  await importAndRead(page, 'test/fixtures/xss/xss-sharegpt.json');

  await page.getByRole('list', { name: 'People' }).getByRole('button', { name: 'ShareGPT: xss-sharegpt', exact: true }).click();
  await page.getByRole('list', { name: /Conversations of/ }).getByRole('button').first().click();
  const messages = page.getByRole('list', { name: 'Messages' });
  await expect(messages.locator(':scope > li')).toHaveCount(6);
  // Every message rendered, including the text after each payload.
  for (const marker of ['end-of-script-payload', 'end-of-img-payload', 'end-of-link-payload', 'end-of-svg-payload', 'end-of-image-payload', 'end-of-attr-payload']) {
    await expect(messages.getByText(marker)).toBeVisible();
  }
  // Raw HTML shows as text instead of being parsed.
  await expect(messages.getByText(/<script>window.__pwned = 'script'/)).toBeVisible();
  // The markdown link became plain text; no image was loaded.
  await expect(messages.getByText('click for prize')).toBeVisible();
  await assertNothingRan(page, dialogs);

  await page.reload();
  await page.getByRole('list', { name: 'People' }).getByRole('button', { name: 'ShareGPT: xss-sharegpt', exact: true }).click();
  await page.getByRole('list', { name: /Conversations of/ }).getByRole('button').first().click();
  await expect(page.getByRole('list', { name: 'Messages' }).locator(':scope > li')).toHaveCount(6);
  await assertNothingRan(page, dialogs);
});

test('a payload in the file name and in plain text runs nothing', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto('/#/library');
  const text = await import('node:fs').then((fs) => fs.readFileSync('test/fixtures/xss/xss-plain.txt'));
  await importAndRead(page, { name: '<img src=x onerror="window.__pwned=\'name\'">.txt', mimeType: 'text/plain', buffer: text });
  const person = page.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Chat: <img src=x onerror/ });
  await expect(person).toBeVisible();
  await person.click();
  await page.getByRole('list', { name: /Conversations of/ }).getByRole('button').first().click();
  await expect(page.getByRole('list', { name: 'Messages' }).getByText('hello from plain text')).toBeVisible();
  await assertNothingRan(page, dialogs);
  expect(await page.locator('main img').count()).toBe(0);
});
