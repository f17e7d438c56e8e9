// The real WebLLM adapter, through the real worker (WebLLM's own handler), from the production
// build, driven through the Models screen. No model library can exist here, so each test points
// a custom model at a local URL whose files are absent or wrong, and checks that the person
// sees the one mapped message, the app stays usable, and no request leaves 127.0.0.1.
import type { Page } from '@playwright/test';
import { expect, test } from './library-net';

const MESSAGES = {
  'missing-files': /model files are missing or not model files/,
};

async function addWebLLMModel(page: Page, name: string, folder: string) {
  await page.goto('/#/models');
  const form = page.getByRole('form', { name: 'Add a custom model' });
  await form.getByRole('combobox', { name: /^Engine/ }).selectOption('webllm');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Model URL').fill(folder);
  await form.getByLabel('Model library URL (.wasm)').fill(`${folder}model-webgpu.wasm`);
  await form.getByRole('button', { name: 'Add model' }).click();
  const row = page.locator(`[data-custom="${name}"]`);
  await expect(row).toContainText('cached: no');
  return row;
}

async function expectUsableAfterError(page: Page, name: string) {
  await expect(page.getByTestId('current-status')).toContainText(`Could not load ${name}`);
  // The rest of the app still works: another screen renders, and Models comes back intact.
  await page.getByRole('link', { name: 'Library' }).click();
  await expect(page.getByRole('heading', { level: 2 }).first()).toBeVisible();
  await page.getByRole('link', { name: 'Models' }).click();
  await expect(page.getByRole('heading', { name: 'Catalog (WebLLM, on the GPU)' })).toBeVisible();
}

test('absent model files (404): the mapped message, app usable', async ({ page, requestLog }) => {
  const row = await addWebLLMModel(page, 'absent', '/test-assets/missing-model/');
  await row.getByRole('button', { name: 'Download' }).click();
  const error = page.getByTestId('model-error');
  await expect(error).toHaveAttribute('data-code', 'missing-files', { timeout: 60_000 });
  await expect(error).toHaveText(MESSAGES['missing-files']);
  // WebLLM asked the local server for the config and got nothing else.
  expect(requestLog.some((u) => u.pathname === '/test-assets/missing-model/resolve/main/mlc-chat-config.json')).toBe(true);
  await expectUsableAfterError(page, 'absent');
});

test('an HTML page in place of the config (SPA fallback): the same mapped message', async ({ page, context }) => {
  await context.route('**/test-assets/spa-model/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><html><body>app</body></html>' }),
  );
  const row = await addWebLLMModel(page, 'spa', '/test-assets/spa-model/');
  await row.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('model-error')).toHaveAttribute('data-code', 'missing-files', { timeout: 60_000 });
  await expect(page.getByTestId('model-error')).toHaveText(MESSAGES['missing-files']);
  await expectUsableAfterError(page, 'spa');
});

test('an HTML page in place of the model library (.wasm): the same mapped message', async ({ page, context }) => {
  const config = { model_type: 'llama', tokenizer_files: ['tokenizer.json'], conv_template: { name: 'x' }, context_window_size: 1024 };
  await context.route('**/test-assets/wrong-lib/**', (route) => {
    const url = route.request().url();
    if (url.endsWith('mlc-chat-config.json')) return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(config) });
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><html><body>app</body></html>' });
  });
  const row = await addWebLLMModel(page, 'wronglib', '/test-assets/wrong-lib/');
  await row.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('model-error')).toHaveAttribute('data-code', 'missing-files', { timeout: 60_000 });
  await expectUsableAfterError(page, 'wronglib');
});

test('a model library built for another engine version: the library-mismatch message', async ({ page, context }) => {
  const config = { model_type: 'llama', tokenizer_files: ['tokenizer.json'], conv_template: { name: 'x' }, context_window_size: 1024 };
  // The smallest valid wasm module: it compiles, but has none of the functions WebLLM links against.
  const emptyModule = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  await context.route('**/test-assets/old-lib/**', (route) => {
    const url = route.request().url();
    if (url.endsWith('mlc-chat-config.json')) return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(config) });
    return route.fulfill({ status: 200, contentType: 'application/wasm', body: emptyModule });
  });
  const row = await addWebLLMModel(page, 'oldlib', '/test-assets/old-lib/');
  await row.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('model-error')).toHaveAttribute('data-code', 'library-mismatch', { timeout: 60_000 });
  await expect(page.getByTestId('model-error')).toHaveText(/does not match this version of the engine/);
  await expectUsableAfterError(page, 'oldlib');
});

test('a browser without WebGPU: the report says so, offers Transformers.js, and WebLLM gives the no-WebGPU message', async ({ page }) => {
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
  const row = await addWebLLMModel(page, 'nogpu', '/test-assets/missing-model/');
  await expect(page.getByTestId('webgpu')).toHaveText('no');
  await expect(page.getByTestId('suggestion')).toContainText('Transformers.js');
  await expect(page.getByTestId('suggestion')).toContainText(/slowly/);
  // Catalog models cannot be started without WebGPU.
  await expect(page.locator('[data-model="Llama-3.2-1B-Instruct-q4f32_1-MLC"]').getByRole('button', { name: 'Download' })).toBeDisabled();
  await row.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('model-error')).toHaveAttribute('data-code', 'no-webgpu');
  await expect(page.getByTestId('model-error')).toHaveText(/offers no WebGPU/);
  await expectUsableAfterError(page, 'nogpu');
});
