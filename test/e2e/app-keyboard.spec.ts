import { expect, test } from '@playwright/test';
import { buildScriptedEngine } from './support/app.ts';

test.beforeAll(buildScriptedEngine);

test('the Evaluate screen works with the keyboard alone', async ({ page }) => {
  await page.goto('/?test-engine=scripted#/library');
  // Choose the engine: Tab until the guide's button has focus, then Enter.
  const engineButton = page.getByRole('button', { name: 'Use the scripted test engine' });
  for (let i = 0; i < 30 && !(await engineButton.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
  await expect(engineButton).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Test engine in use')).toBeVisible();

  // "?" shows the shortcuts; Escape closes them.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  // "3" opens Evaluate and focus lands on its heading.
  await page.keyboard.press('3');
  await expect(page.getByRole('heading', { name: 'Evaluate' })).toBeFocused();

  // "n": a new query, typed and saved with the keyboard.
  await page.keyboard.press('n');
  await expect(page.getByLabel('What the person says')).toBeFocused();
  await page.keyboard.type('My manager took credit for my project in front of everyone. I feel invisible.');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('combobox', { name: 'Category' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.type('A team meeting just ended.');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Save query' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('strong', { hasText: 'My manager took credit' })).toBeVisible();

  // "a": paste two candidates.
  for (const reply of ['That must have stung. You did the work and deserve to be seen for it.', 'Managers do that. Move on.']) {
    await page.keyboard.press('Escape');
    await page.locator('body').focus();
    await page.keyboard.press('a');
    await expect(page.locator('#paste-text')).toBeFocused();
    await page.keyboard.type(reply);
    await page.keyboard.press('Tab');
    await expect(page.getByRole('button', { name: 'Add pasted reply' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.locator('p.reply', { hasText: reply })).toBeVisible();
  }

  // "r": run, from anywhere outside a field.
  await page.locator('body').focus();
  await page.keyboard.press('r');
  await expect(page.getByRole('status')).toHaveText('Done.', { timeout: 60_000 });
  await expect(page.locator('table.results-table tbody tr')).toHaveCount(2);

  // Results' analyses open with the keyboard too.
  const summary = page.locator('details.analyses summary').first();
  await summary.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('details.analyses').first()).toHaveAttribute('open', '');
});
