// Adds the generated tiny random-weight model (served at /test-assets/tiny-llama/ by the test
// server) as a custom Transformers.js model on the Models screen, and returns its row.
import type { Page } from '@playwright/test';

export async function addTinyModel(page: Page) {
  const form = page.getByRole('form', { name: 'Add a custom model' });
  await form.getByRole('combobox', { name: /^Engine/ }).selectOption('transformers');
  await form.getByLabel('Name').fill('tiny');
  await form.getByLabel('Folder URL').fill('/test-assets/tiny-llama/');
  await form.getByRole('combobox', { name: /^Weights/ }).selectOption('fp32');
  await form.getByRole('button', { name: 'Add model' }).click();
  return page.locator('[data-custom="tiny"]');
}
