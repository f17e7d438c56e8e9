// The Models screen for real: capability report on Chromium's SwiftShader WebGPU, a download
// with progress from the local server (the generated tiny Transformers.js model as a custom
// model), cancel, delete, side-loading a folder, then loading with the model host blocked.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './library-net';
import { addTinyModel } from './support/tiny-model';

const TINY = resolve('test/.generated/tiny-llama');

/** Holds each model-file response back until `release` is called, so progress and cancel can be seen. */
async function holdModelFile(context: BrowserContext) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  await context.route('**/test-assets/tiny-llama/onnx/**', async (route) => {
    await released;
    await route.continue().catch(() => undefined); // the request may have been cancelled meanwhile
  });
  return { release: () => release(), unroute: () => context.unroute('**/test-assets/tiny-llama/onnx/**') };
}

/** A folder shaped like an MLC model as downloaded: config, shard list, tokenizer, shards, model library. */
function fakeMlcFolder(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'attune-mlc-')), name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'mlc-chat-config.json'), JSON.stringify({ tokenizer_files: ['tokenizer.json'], context_window_size: 1024 }));
  writeFileSync(join(dir, 'tensor-cache.json'), JSON.stringify({ records: [{ dataPath: 'params_shard_0.bin', records: [] }, { dataPath: 'params_shard_1.bin', records: [] }] }));
  writeFileSync(join(dir, 'tokenizer.json'), '{}');
  writeFileSync(join(dir, 'params_shard_0.bin'), Buffer.alloc(1024, 1));
  writeFileSync(join(dir, 'params_shard_1.bin'), Buffer.alloc(1024, 2));
  writeFileSync(join(dir, 'Tiny-webgpu.wasm'), Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  return dir;
}

async function cacheKeys(page: Page) {
  return page.evaluate(async () => {
    const out: Record<string, string[]> = {};
    for (const name of ['webllm/config', 'webllm/model', 'webllm/wasm']) {
      out[name] = (await (await caches.open(name)).keys()).map((r) => r.url).sort();
    }
    return out;
  });
}

test('capability report on this machine', async ({ page }) => {
  await page.goto('/#/models');
  const caps = page.getByTestId('capabilities');
  // Chromium runs with --enable-unsafe-webgpu: SwiftShader, no shader-f16.
  await expect(page.getByTestId('webgpu')).toHaveText('yes, but only a software adapter (too slow to use)');
  await expect(caps).toContainText(/swiftshader/i);
  await expect(caps).toContainText('q4f32_1');
  await expect(page.getByText('software (CPU) one')).toBeVisible();
  await expect(page.getByTestId('suggestion')).toContainText('Transformers.js');
  // Catalog rows show q4f32 builds with size and memory.
  const row = page.locator('[data-model="Llama-3.2-1B-Instruct-q4f32_1-MLC"]');
  // Sizes in WebLLM's own units (1129 MB of memory is 1129 × 1024² bytes).
  await expect(row).toContainText('1.1 GiB');
  await expect(row).toContainText('no');
  // A download says where it fetches from: the weights' host and the model library's.
  await expect(row.getByRole('button', { name: 'Download from huggingface.co and raw.githubusercontent.com' })).toBeVisible();
  await expect(page.getByText(/^Without a hardware WebGPU adapter/).first()).toBeVisible();
  await expect(page.getByTestId('storage')).toContainText(/Used .* of .* this browser allows/);
});

test('download with progress, cancel, test, delete, side-load, then load with the model host blocked', async ({ page, context }) => {
  await page.goto('/#/models');
  const tiny = await addTinyModel(page);
  await expect(tiny).toContainText('cached: no');
  // The button says where the files come from: the folder's own host.
  await expect(tiny.getByRole('button', { name: `Download from ${new URL(page.url()).host}`, exact: true })).toBeVisible();

  // Cancel a download held mid-way.
  const hold = await holdModelFile(context);
  await tiny.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('download')).toBeVisible();
  await expect(page.getByTestId('current-status')).toContainText('Loading tiny');
  await page.getByRole('button', { name: 'Cancel download' }).click();
  await expect(page.getByTestId('current-status')).toHaveText('No model loaded.');
  await expect(page.getByTestId('model-error')).toHaveCount(0);
  await expect(tiny).toContainText('cached: no');
  hold.release();
  await hold.unroute();

  // Download for real: progress is shown while the weights arrive, then the model is ready.
  const slow = await holdModelFile(context);
  await tiny.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('download')).toBeVisible();
  await expect(page.getByTestId('download-percent')).toHaveText(/^\d+%$/);
  slow.release();
  await expect(page.getByTestId('current-status')).toContainText('Ready: tiny', { timeout: 60_000 });
  await slow.unroute();
  await expect(tiny).toContainText('cached: yes');

  // One-line test: streams a reply and reports tokens/s.
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  await expect(page.getByTestId('test-rate')).toHaveText(/\d+(\.\d)? tokens\/s/, { timeout: 60_000 });
  await expect(page.getByTestId('test-output')).not.toBeEmpty();

  // Delete from the cache: unloads and forgets the files.
  await tiny.getByRole('button', { name: 'Delete from cache' }).click();
  await expect(tiny).toContainText('cached: no');
  await expect(page.getByTestId('current-status')).toHaveText('No model loaded.');

  // Side-load the model's folder, as a teacher would from a USB stick.
  await tiny.getByLabel('Side-load folder for tiny').setInputFiles(TINY);
  await expect(page.getByText(/Copied \d+ files into the cache for tiny/)).toBeVisible();
  await expect(tiny).toContainText('cached: yes');

  // Block the model host entirely: the model must now come from the cache.
  const blocked: string[] = [];
  await context.route('**/test-assets/**', (route) => {
    blocked.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  await tiny.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.getByTestId('current-status')).toContainText('Ready: tiny', { timeout: 60_000 });
  expect(blocked).toEqual([]);
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  await expect(page.getByTestId('test-rate')).toBeVisible({ timeout: 60_000 });
});

test('a side-loaded WebLLM folder lands where WebLLM itself looks for it', async ({ page }) => {
  // A folder shaped like an MLC model (WebLLM cannot run it here, but its own cache lookup,
  // hasModelInCache, must find every file after side-loading, and its delete must clear them).
  const dir = fakeMlcFolder('Tiny-MLC');

  await page.goto('/#/models');
  const form = page.getByRole('form', { name: 'Add a custom model' });
  await form.getByRole('combobox', { name: /^Engine/ }).selectOption('webllm');
  await form.getByLabel('Name').fill('tiny-mlc');
  await form.getByLabel('Model URL').fill('/test-assets/Tiny-MLC');
  await form.getByLabel('Model library URL (.wasm)').fill('/test-assets/Tiny-webgpu.wasm');
  await form.getByRole('button', { name: 'Add model' }).click();
  const row = page.locator('[data-custom="tiny-mlc"]');
  await expect(row).toContainText('cached: no');

  await row.getByLabel('Side-load folder for tiny-mlc').setInputFiles(dir);
  await expect(page.getByText('Copied 6 files into the cache for tiny-mlc')).toBeVisible();
  await expect(row).toContainText('cached: yes');
  const keys = Object.fromEntries(Object.entries(await cacheKeys(page)).map(([k, urls]) => [k, urls.map((u) => new URL(u).pathname)]));
  expect(keys).toEqual({
    'webllm/config': ['/test-assets/Tiny-MLC/resolve/main/mlc-chat-config.json'],
    'webllm/model': [
      '/test-assets/Tiny-MLC/resolve/main/params_shard_0.bin',
      '/test-assets/Tiny-MLC/resolve/main/params_shard_1.bin',
      '/test-assets/Tiny-MLC/resolve/main/tensor-cache.json',
      '/test-assets/Tiny-MLC/resolve/main/tokenizer.json',
    ],
    'webllm/wasm': ['/test-assets/Tiny-webgpu.wasm'],
  });

  await row.getByRole('button', { name: 'Delete from cache' }).click();
  await expect(row).toContainText('cached: no');
});

test('a folder that is not a model is refused with the file it lacks', async ({ page }) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'attune-notmodel-')), 'holiday-photos');
  mkdirSync(dir);
  writeFileSync(join(dir, 'beach.txt'), 'sand');
  await page.goto('/#/models');
  const tiny = await addTinyModel(page);
  await tiny.getByLabel('Side-load folder for tiny').setInputFiles(dir);
  await expect(page.getByTestId('model-error')).toContainText('has no config.json');
  await expect(tiny).toContainText('cached: no');
});

test('side-loading a catalog model puts it under the catalog URLs, with no request to their host', async ({ page, requestLog }) => {
  const id = 'Llama-3.2-1B-Instruct-q4f32_1-MLC';
  await page.goto('/#/models');
  const row = page.locator(`[data-model="${id}"]`);
  await expect(row.locator('td').nth(4)).toHaveText('no');
  await row.getByLabel(`Side-load folder for ${id}`).setInputFiles(fakeMlcFolder(id));
  await expect(page.getByText(`Copied 6 files into the cache for ${id}`)).toBeVisible();
  await expect(row.locator('td').nth(4)).toHaveText('yes');
  const keys = await cacheKeys(page);
  expect(keys['webllm/config']).toEqual([`https://huggingface.co/mlc-ai/${id}/resolve/main/mlc-chat-config.json`]);
  expect(keys['webllm/model']).toHaveLength(4);
  expect(keys['webllm/wasm']).toEqual([expect.stringMatching(/^https:\/\/raw\.githubusercontent\.com\/mlc-ai\/binary-mlc-llm-libs\/.*Llama-3\.2-1B-Instruct-q4f32_1.*\.wasm$/)]);
  // A catalog model is not turned into a custom one.
  await expect(page.locator(`[data-custom="${id}"]`)).toHaveCount(0);

  await row.getByRole('button', { name: 'Delete' }).click();
  await expect(row.locator('td').nth(4)).toHaveText('no');
  expect(await cacheKeys(page)).toEqual({ 'webllm/config': [], 'webllm/model': [], 'webllm/wasm': [] });
  expect(requestLog.filter((u) => u.hostname !== '127.0.0.1')).toEqual([]);
});

test('a cached Transformers.js model loads and answers with the network off', async ({ page, context }) => {
  await page.goto('/#/models');
  // First visit online: the service worker takes control and the engine fetches its files.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const tiny = await addTinyModel(page);
  await tiny.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('current-status')).toContainText('Ready: tiny', { timeout: 60_000 });

  // Then no network at all: the shell, ONNX Runtime's wasm and the model come from caches.
  // Every request that reaches the network (the page's, its workers', the service worker's)
  // is refused and logged; setOffline alone does not cover dedicated workers.
  const reachedNetwork: string[] = [];
  await context.route('**/*', (route) => {
    reachedNetwork.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  await context.setOffline(true);
  await page.reload();
  const again = page.locator('[data-custom="tiny"]');
  await expect(again).toContainText('cached: yes');
  await again.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.getByTestId('current-status')).toContainText('Ready: tiny', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  await expect(page.getByTestId('test-rate')).toHaveText(/\d+(\.\d)? tokens\/s/, { timeout: 60_000 });
  expect(reachedNetwork).toEqual([]);
  await context.setOffline(false);
});
