// The WebLLM engine's life cycle through the app's own screens: the real adapter (src/llm/webllm.ts)
// and WebLLM's real worker handler, with a stand-in engine behind the handler (a test double,
// test/e2e/support/webllm-standin-worker.ts) whose prefill takes seconds and ignores interrupts,
// as WebLLM's does on a slow adapter. The real adapter's own tests are in webllm.spec.ts.
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './library-net';
import { buildWebLLMStandIn } from './support/app.ts';
import { UNLOAD_TIMEOUT_MS } from '../../src/llm/engine.ts';

test.beforeAll(buildWebLLMStandIn);

const STOP_TIMEOUT_MS = 3000; // src/llm/webllm.ts (which loads WebLLM itself: not imported here)

/** Serves the stand-in model's config, saying what context window its library was built for. */
async function serveConfig(context: BrowserContext, builtFor: number) {
  await context.route('**/test-assets/standin/**', (route) => route.request().url().endsWith('mlc-chat-config.json')
    ? route.fulfill({ json: { model_type: 'llama', context_window_size: builtFor, conv_template: { name: 'x' }, tokenizer_files: [] } })
    : route.fulfill({ status: 404, body: 'not here' }));
}

async function addStandIn(page: Page, contextWindow = '') {
  const form = page.getByRole('form', { name: 'Add a custom model' });
  await form.getByRole('combobox', { name: /^Engine/ }).selectOption('webllm');
  await form.getByLabel('Name').fill('standin');
  await form.getByLabel('Model URL').fill('/test-assets/standin/');
  await form.getByLabel('Model library URL (.wasm)').fill('/test-assets/standin/model-webgpu.wasm');
  await form.getByLabel('Context window (tokens)').fill(contextWindow);
  await form.getByRole('button', { name: 'Add model' }).click();
}

/** Opens Models with the stand-in worker, adds the stand-in model and loads it. */
async function loadStandIn(page: Page, context: BrowserContext, query: string, contextWindow = '') {
  await serveConfig(context, 4096);
  await page.goto(`/?webllm-worker=standin${query}#/models`);
  await addStandIn(page, contextWindow);
  await page.locator('[data-custom="standin"]').getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('current-status')).toContainText('Ready: standin', { timeout: 30_000 });
}

test('Stop during a prefill that ignores interrupts settles at once; the engine is replaced and the next request works', async ({ page, context }) => {
  // The first worker's prefills take 8 s; the one that replaces it answers at once.
  await loadStandIn(page, context, '&prefill=8000&slow-workers=1');
  const tester = page.getByRole('form', { name: 'Test this model' });
  await tester.getByRole('button', { name: 'Test' }).click();
  await page.waitForTimeout(300);
  const stopped = Date.now();
  await tester.getByRole('button', { name: 'Stop' }).click();
  await expect(tester.getByRole('button', { name: 'Test' })).toBeEnabled({ timeout: 1000 });
  expect(Date.now() - stopped).toBeLessThan(1000);

  // Still busy after the stop timeout: the worker is replaced, and the screen says so.
  await expect(page.getByTestId('engine-state')).toHaveText('Restarting standin…', { timeout: STOP_TIMEOUT_MS + 2000 });
  await expect(page.getByTestId('engine-notice')).toContainText('reloaded from the cache', { timeout: 10_000 });
  await expect(page.getByTestId('engine-state')).toHaveCount(0);

  await tester.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('test-rate')).toHaveText(/(tokens\/s|s per token)$/, { timeout: 10_000 });
  await expect(page.getByTestId('test-output')).not.toBeEmpty();
});

test('unload finishes within its timeout while the engine is busy, and every screen shows it unloading', async ({ page, context }) => {
  // Each prefill takes 20 s, and the stand-in's unload waits for it, as WebLLM's waits for the GPU.
  await loadStandIn(page, context, '&prefill=20000');
  const tester = page.getByRole('form', { name: 'Test this model' });
  await tester.getByRole('button', { name: 'Test' }).click();
  await page.waitForTimeout(300);
  const started = Date.now();
  await page.getByTestId('current-status').getByRole('button', { name: 'Unload' }).click();
  await expect(page.getByTestId('current-status')).toHaveText('Unloading standin…');
  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await expect(page.getByTestId('engine-state')).toHaveText('Unloading standin…');
  await expect(page.getByText('Unloading standin…', { exact: true }).last()).toBeVisible();
  await expect(page.getByText('No model loaded:')).toBeVisible({ timeout: UNLOAD_TIMEOUT_MS + 2000 });
  expect(Date.now() - started).toBeLessThan(UNLOAD_TIMEOUT_MS + 2000);
  await expect(page.getByTestId('engine-state')).toHaveCount(0);
  await page.getByRole('link', { name: 'Models' }).first().click();
  await expect(page.getByTestId('current-status')).toHaveText('No model loaded.');
  await expect(page.getByTestId('engine-notice')).toContainText('did not finish unloading in time');
});

test('a run started on Evaluate is shown and cancellable after two other screens; Cancel settles at once; the next run works', async ({ page, context }) => {
  await loadStandIn(page, context, '&prefill=8000&slow-workers=1');
  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await expect(page.getByText('Model: standin')).toBeVisible();
  await page.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByRole('button', { name: 'Cancel', exact: true })).toBeVisible();

  await page.getByRole('link', { name: 'Library' }).first().click();
  await expect(page.getByRole('heading', { name: 'Library', level: 2 })).toBeVisible();
  await page.getByRole('link', { name: 'Person' }).first().click();
  await expect(page.locator('details.jobs-indicator summary')).toHaveText('1 job running');
  await page.getByRole('link', { name: 'Evaluate' }).first().click();

  // The same job: its progress and its Cancel are back, and Run stays off while it runs.
  await expect(page.getByText(/Starting…|judged|cached/).first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run evaluation' })).toBeDisabled();
  const cancelled = Date.now();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Cancelled' })).toBeVisible({ timeout: 1000 });
  expect(Date.now() - cancelled).toBeLessThan(1000);
  await expect(page.locator('details.jobs-indicator')).toHaveCount(0);

  // The stand-in is still in its 8 s prefill: the engine is replaced, then the run goes through.
  await expect(page.getByTestId('engine-state')).toHaveText('Restarting standin…', { timeout: STOP_TIMEOUT_MS + 2000 });
  await expect(page.getByTestId('engine-state')).toHaveCount(0, { timeout: 10_000 });
  await page.getByRole('button', { name: 'Run evaluation' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Done/ })).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('table.results-table tbody tr')).toHaveCount(3);
});

test('a custom model saved with a context window of 1,024 is checked against its library and fitted to it', async ({ page, context }) => {
  // The model library was built for 1,024 tokens; the stand-in refuses any longer prompt, as WebLLM does.
  await serveConfig(context, 1024);
  await page.goto('/?webllm-worker=standin#/models');
  await addStandIn(page, '4096');
  await expect(page.getByRole('form', { name: 'Add a custom model' }).getByRole('alert')).toContainText('allows at most 1024 tokens');
  await expect(page.locator('[data-custom="standin"]')).toHaveCount(0);
  await addStandIn(page, '1024');
  const row = page.locator('[data-custom="standin"]');
  await expect(row).toContainText('context 1024 tokens');
  await row.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('current-status')).toContainText('Ready: standin (webllm, context 1024 tokens)', { timeout: 30_000 });

  // A persona far longer than the window: fitted to 4,096 tokens it would be sent whole and refused.
  await page.getByRole('link', { name: 'Person' }).first().click();
  await page.locator('.persona-card').getByRole('button', { name: 'Edit', exact: true }).click();
  const long = Array.from({ length: 80 }, (_, i) => `- Trait ${i + 1}: keeps a careful, detailed diary of every worry and every small win.`).join('\n');
  await page.getByLabel('Profile').fill(long);
  await page.getByRole('button', { name: 'Save as new version' }).click();
  const person = await page.getByRole('heading', { level: 2 }).innerText();

  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await page.getByRole('combobox', { name: 'Person' }).selectOption({ label: `${person} (demo)` });
  await expect(page.getByRole('heading', { name: /^Candidates \(\d+\)$/ })).toBeVisible();
  const adder = page.locator('details.add-candidates');
  if ((await adder.getAttribute('open')) === null) await adder.locator('summary').click();
  await page.getByRole('button', { name: 'Generate a personalized reply' }).click();
  await expect(page.locator('ol.candidates li', { hasText: 'generated-personalized' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('a context window too small for the criteria prompt gives recorded failures and a finished run', async ({ page, context }) => {
  await serveConfig(context, 1024);
  await page.goto('/?webllm-worker=standin#/models');
  await addStandIn(page, '1024');
  await page.locator('[data-custom="standin"]').getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('current-status')).toContainText('context 1024 tokens', { timeout: 30_000 });
  await page.getByRole('link', { name: 'Evaluate' }).first().click();
  await expect(page.getByText('Model: standin')).toBeVisible();
  await page.getByRole('button', { name: 'Run evaluation' }).click();
  // The run ends, with the steps that could not fit recorded as failures, never as a crash.
  await expect(page.getByRole('status').filter({ hasText: /^Done, with \d+ failed judge call/ })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  const rows = page.locator('table.results-table tbody tr');
  await expect(rows).toHaveCount(3);
  // Each candidate's three dimensions failed for every trial; its bystander (a short prompt) was judged.
  for (const row of await rows.all()) {
    await expect(row.locator('td').nth(0)).toHaveText('—');
    expect(Number(await row.locator('td').last().innerText())).toBeGreaterThanOrEqual(3);
  }
  const analyses = page.locator('details.analyses').first();
  await expect(analyses).toHaveAttribute('open', '');
  await expect(analyses.getByText(/criteria could not be derived: not sent: The model's context window is too small/).first()).toBeVisible();
});
