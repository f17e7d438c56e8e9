// The real Transformers.js adapter in Chromium, through the real worker, from the production
// build (harness/transformers.html), on the generated tiny model: device wasm, and device
// webgpu on SwiftShader (--enable-unsafe-webgpu). Every request must stay on 127.0.0.1.
import { expect, test, type Page } from '@playwright/test';

interface Run {
  device: string;
  dtype: string;
  progress: { progress: number; loadedBytes?: number; totalBytes?: number }[];
  info: { contextWindow: number; constrainedJson: boolean };
  tokens: number;
  streamed: { deltas: string[]; text: string; finishReason: string; completionTokens: number };
  seeded: string[];
  aborted: { finishReason: string; completionTokens: number; deltas: number; text: string; joined: string };
  afterAbort: string;
  missing: { code: string; message: string; userMessage: string } | null;
}

async function exercise(page: Page, device: 'wasm' | 'webgpu'): Promise<Run> {
  return page.evaluate(async (device) => {
    const { TransformersWorkerEngine } = window.attuneHarness!;
    const options = { localModelPath: '/test-assets/', allowRemoteModels: false, dtype: 'fp32' as const, device };
    const engine = new TransformersWorkerEngine(options);
    const progress: Run['progress'] = [];
    const chat = await engine.load('tiny-llama', { onProgress: (p) => progress.push(p) });
    const messages = [{ role: 'user' as const, content: 'I feel tired of everything.' }];

    const deltas: string[] = [];
    const streamed = await chat.chat({ messages, maxTokens: 12, temperature: 0, onToken: (d) => deltas.push(d) });
    const seeded: string[] = [];
    for (const seed of [42, 42, 43]) seeded.push((await chat.chat({ messages, maxTokens: 12, temperature: 1, seed })).text);

    const controller = new AbortController();
    const abortDeltas: string[] = [];
    const aborted = await chat.chat({
      messages, maxTokens: 400, temperature: 0, signal: controller.signal,
      onToken: (d) => {
        abortDeltas.push(d);
        if (abortDeltas.length === 3) controller.abort();
      },
    });
    // The engine stays usable after an abort.
    const afterAbort = (await chat.chat({ messages, maxTokens: 4, temperature: 0 })).text;
    const tokens = await chat.countTokens(' you feel');
    await engine.unload();

    const missing = await new TransformersWorkerEngine(options).load('tiny-llama-no-weights').then(
      () => null,
      (e: { code: string; message: string; userMessage: string }) => ({ code: e.code, message: e.message, userMessage: e.userMessage }),
    );
    return {
      device: chat.runtime.device,
      dtype: chat.runtime.dtype,
      progress,
      info: chat.info,
      tokens,
      streamed: { deltas, text: streamed.text, finishReason: streamed.finishReason, completionTokens: streamed.usage.completionTokens },
      seeded,
      aborted: {
        finishReason: aborted.finishReason, completionTokens: aborted.usage.completionTokens,
        deltas: abortDeltas.length, text: aborted.text, joined: abortDeltas.join(''),
      },
      afterAbort,
      missing,
    };
  }, device);
}

for (const device of ['wasm', 'webgpu'] as const) {
  test(`Transformers.js worker on ${device}: progress, streaming, seed, abort, missing file, no outside request`, async ({ page, context, baseURL }) => {
    const requested: string[] = [];
    context.on('request', (r) => requested.push(r.url()));
    page.on('request', (r) => requested.push(r.url()));
    await page.goto('/harness/transformers.html');
    await expect(page.locator('body[data-ready="true"]')).toBeAttached();
    if (device === 'webgpu') {
      expect(await page.evaluate(async () => !!(await navigator.gpu?.requestAdapter()))).toBe(true);
    }

    const run = await exercise(page, device);

    expect(run.device).toBe(device);
    expect(run.dtype).toBe('fp32');
    expect(run.progress[0].progress).toBe(0);
    expect(run.progress.at(-1)?.progress).toBe(1);
    expect(run.progress.some((p) => p.totalBytes && p.totalBytes > 100_000)).toBe(true);
    expect(run.info).toMatchObject({ contextWindow: 2048, constrainedJson: false });
    expect(run.tokens).toBe(2);

    expect(run.streamed.deltas.length).toBeGreaterThan(3);
    expect(run.streamed.deltas.join('')).toBe(run.streamed.text);
    expect(run.streamed).toMatchObject({ finishReason: 'length', completionTokens: 12 });

    expect(run.seeded[0]).toBe(run.seeded[1]);
    expect(run.seeded[2]).not.toBe(run.seeded[0]);

    expect(run.aborted.finishReason).toBe('abort');
    expect(run.aborted.completionTokens).toBeLessThan(100);
    expect(run.aborted.text).toBe(run.aborted.joined);
    expect(run.afterAbort.length).toBeGreaterThan(0);

    expect(run.missing?.code).toBe('missing-files');
    expect(run.missing?.message).toContain('model.onnx');
    expect(run.missing?.userMessage).toMatch(/^The model file \S*onnx\/model\.onnx is missing/);

    // The log saw the worker's own fetches (so it can see a stray one), and nothing left 127.0.0.1.
    expect(requested.some((u) => u.endsWith('/test-assets/tiny-llama/onnx/model.onnx'))).toBe(true);
    expect(requested.some((u) => u.includes('/ort/ort-wasm-simd-threaded'))).toBe(true);
    const outside = requested.filter((u) => new URL(u).origin !== new URL(baseURL!).origin && !u.startsWith('blob:') && !u.startsWith('data:'));
    expect(outside).toEqual([]);
  });
}

test('ONNX Runtime wasm files are served by the app itself and never precached', async ({ request }) => {
  for (const ext of ['mjs', 'wasm']) {
    const response = await request.head(`/ort/ort-wasm-simd-threaded.asyncify.${ext}`);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe(ext === 'wasm' ? 'application/wasm' : 'text/javascript');
  }
  const serviceWorker = await (await request.get('/sw.js')).text();
  expect(serviceWorker).toContain('precacheAndRoute');
  expect(serviceWorker).not.toMatch(/ort-wasm|\.wasm/);
});
