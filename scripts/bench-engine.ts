// npm run bench:engine — the engine adapters' overhead over their libraries, as JSON.
// Transformers.js: the adapter (TransformersEngine) vs calling the library directly
// (AutoTokenizer + AutoModelForCausalLM.generate) on the same tiny model, prompt and token
// count, greedy; load time of each. In Node, and in Chromium through the worker when a
// build exists. OpenAI-compatible: when src/llm/openai.ts exists, its
// engine vs a raw streaming fetch against a small local server on 127.0.0.1.
// Runs alternate (adapter, raw, adapter, ...) and medians are reported, so drift on the
// shared machine hits both sides alike. Options: --tokens N (64) --runs N (9).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  BaseStreamer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  TextStreamer,
  type Tensor,
} from '@huggingface/transformers';
import { makeTinyModel, TINY_MODEL_DIR } from './make-tiny-model.ts';
import { TransformersEngine } from '../src/llm/transformers.ts';
import type { ChatMessage, Engine } from '../src/llm/engine.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const TOKENS = arg('--tokens', 64);
const RUNS = arg('--runs', 9);
const MODEL_ROOT = 'test/.generated/';
const MODEL = 'tiny-llama';
const messages: ChatMessage[] = [
  { role: 'system', content: 'You judge how well a reply fits the person.' },
  { role: 'user', content: 'I feel tired of everything, and my friends do not seem to notice.' },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = (xs: number[]) => Math.max(...xs);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Counts generated tokens (the first put() is the prompt). */
class CountingStreamer extends BaseStreamer {
  count = -1;
  put(): void {
    this.count++;
  }
  end(): void {}
}

async function benchTransformers() {
  makeTinyModel(TINY_MODEL_DIR);
  env.allowRemoteModels = false;
  env.localModelPath = MODEL_ROOT;

  // One untimed load first, so neither timed load pays for the library's own start-up.
  await (await AutoModelForCausalLM.from_pretrained(MODEL, { dtype: 'fp32', device: 'cpu' })).dispose();
  let t = performance.now();
  const tokenizer: PreTrainedTokenizer = await AutoTokenizer.from_pretrained(MODEL);
  const model: PreTrainedModel = await AutoModelForCausalLM.from_pretrained(MODEL, { dtype: 'fp32', device: 'cpu' });
  const rawLoadMs = performance.now() - t;

  const engine = new TransformersEngine({ localModelPath: MODEL_ROOT, dtype: 'fp32', allowRemoteModels: false });
  t = performance.now();
  const chat = await engine.load(MODEL);
  const adapterLoadMs = performance.now() - t;

  // What a caller of the library does: template, tokenize, generate, decode; when streaming,
  // with the library's TextStreamer.
  const raw = async (stream: boolean) => {
    const start = performance.now();
    const prompt = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, tokenize: false }) as string;
    const inputs = tokenizer(prompt, { add_special_tokens: false });
    const counter = new CountingStreamer();
    const streamer = stream
      ? new TextStreamer(tokenizer, { skip_prompt: true, callback_function: () => {}, token_callback_function: () => counter.put() })
      : counter;
    if (stream) counter.count = 0;
    const out = (await model.generate({
      ...inputs,
      max_new_tokens: TOKENS,
      do_sample: false,
      streamer: streamer as TextStreamer,
    })) as Tensor;
    const promptLength = (inputs.input_ids as Tensor).dims.at(-1)!;
    tokenizer.decode((out.tolist() as bigint[][])[0].slice(promptLength), { skip_special_tokens: true });
    return { tokens: counter.count, seconds: (performance.now() - start) / 1000 };
  };
  const adapter = async (stream: boolean, temperature = 0) => {
    const start = performance.now();
    const result = await chat.chat({ messages, maxTokens: TOKENS, temperature, seed: 1, onToken: stream ? () => {} : undefined });
    return { tokens: result.usage.completionTokens, seconds: (performance.now() - start) / 1000 };
  };

  const rates = { adapter: [] as number[], raw: [] as number[], adapterStream: [] as number[], rawStream: [] as number[], sampled: [] as number[] };
  const record = (key: keyof typeof rates, r: { tokens: number; seconds: number }) => {
    if (r.tokens !== TOKENS) throw new Error(`${key}: expected ${TOKENS} tokens, got ${r.tokens}`);
    rates[key].push(r.tokens / r.seconds);
  };
  await raw(true);
  await adapter(true); // warm-up
  for (let i = 0; i < RUNS; i++) {
    record('adapter', await adapter(false));
    record('raw', await raw(false));
    record('adapterStream', await adapter(true));
    record('rawStream', await raw(true));
    record('sampled', await adapter(false, 1));
  }
  await engine.unload();
  await model.dispose();
  const summary = (pick: (xs: number[]) => number) => ({
    adapter: round(pick(rates.adapter)),
    raw: round(pick(rates.raw)),
    ratio: round(pick(rates.adapter) / pick(rates.raw), 3),
    adapterStreaming: round(pick(rates.adapterStream)),
    rawStreaming: round(pick(rates.rawStream)),
    ratioStreaming: round(pick(rates.adapterStream) / pick(rates.rawStream), 3),
    adapterSeededSampling: round(pick(rates.sampled)),
  });
  return {
    model: `${MODEL} (generated, fp32, onnxruntime-node cpu)`,
    tokensPerRun: TOKENS,
    runs: RUNS,
    loadMs: { adapter: round(adapterLoadMs), raw: round(rawLoadMs) },
    // Best-of-N is the least disturbed by other work on a shared machine; the median is shown too.
    tokensPerSecondBest: summary(best),
    tokensPerSecondMedian: summary(median),
  };
}

/** A tiny OpenAI-compatible streaming server: TOKENS chunks of one word each. */
function startServer(): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'bench-model', object: 'model' }] }));
        return;
      }
      const stream = JSON.parse(body || '{}').stream !== false;
      const words = Array.from({ length: TOKENS }, (_, i) => `w${i} `);
      if (!stream) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({
          choices: [{ index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'length' }],
          usage: { prompt_tokens: 20, completion_tokens: TOKENS, total_tokens: 20 + TOKENS },
        }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (const w of words) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }], usage: { prompt_tokens: 20, completion_tokens: TOKENS, total_tokens: 20 + TOKENS } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function benchOpenAI() {
  const path = new URL('../src/llm/openai.ts', import.meta.url);
  if (!existsSync(path)) return { skipped: 'src/llm/openai.ts does not exist yet' };
  const module = (await import(path.href)) as { OpenAIEngine?: new (options: { baseUrl: string }) => Engine };
  const EngineClass = module.OpenAIEngine;
  if (!EngineClass) return { skipped: 'src/llm/openai.ts exports no OpenAIEngine' };
  const server = await startServer();
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  try {
    const engine = new EngineClass({ baseUrl });
    let t = performance.now();
    const chat = await engine.load('bench-model');
    const adapterLoadMs = performance.now() - t;
    const viaAdapter = async () => {
      const start = performance.now();
      let n = 0;
      await chat.chat({ messages, maxTokens: TOKENS, temperature: 0, onToken: () => n++ });
      return n / ((performance.now() - start) / 1000);
    };
    const rawFetch = async () => {
      const start = performance.now();
      const res = await fetch(`${baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'bench-model', messages, stream: true, max_tokens: TOKENS }),
      });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let n = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const events = buffer.split('\n\n');
        buffer = events.pop()!;
        for (const e of events) {
          const data = e.replace(/^data: /, '');
          if (data !== '[DONE]' && JSON.parse(data).choices[0]?.delta?.content) n++;
        }
      }
      return n / ((performance.now() - start) / 1000);
    };
    await viaAdapter();
    await rawFetch();
    const a: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < RUNS * 3; i++) {
      a.push(await viaAdapter());
      r.push(await rawFetch());
    }
    await engine.unload();
    const summary = (pick: (xs: number[]) => number) => ({
      adapter: round(pick(a)),
      rawFetch: round(pick(r)),
      ratioAdapterToRaw: round(pick(a) / pick(r), 3),
      overheadPercent: round((1 - pick(a) / pick(r)) * 100, 1),
    });
    return {
      server: 'local streaming stub on 127.0.0.1 (measures client overhead only)',
      loadMs: { adapter: round(adapterLoadMs) },
      chunksPerSecondBest: summary(best),
      chunksPerSecondMedian: summary(median),
    };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  } finally {
    server.close();
  }
}

/**
 * In Chromium, from the production build (needs `npm run build`): the adapter through its
 * worker and client vs the library called directly on the page, device wasm, same model,
 * prompt and token count, greedy.
 */
async function benchBrowser() {
  if (!existsSync('dist/harness/transformers.html')) return { skipped: 'no build: run `npm run build` first' };
  const { chromium } = await import('@playwright/test');
  const port = 4199;
  const server = spawn(process.execPath, ['scripts/serve.js', '--port', String(port), '--mount', '/test-assets/=test/.generated'], { stdio: 'ignore' });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    // tsx compiles the evaluated function with esbuild's keep-names helper; give the page one.
    await page.addInitScript('window.__name = (f) => f');
    for (let i = 0; ; i++) {
      try {
        await page.goto(`http://127.0.0.1:${port}/harness/transformers.html`);
        break;
      } catch (e) {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await page.locator('body[data-ready="true"]').waitFor({ state: 'attached' });
    const figures = await page.evaluate(async ({ tokens, runs, messages }) => {
      const harness = window.attuneHarness!;
      const lib = await harness.loadLibrary();
      lib.env.allowRemoteModels = false;
      lib.env.allowLocalModels = true; // off by default in browsers
      lib.env.localModelPath = '/test-assets/';
      lib.env.backends.onnx.wasm!.wasmPaths = {
        mjs: '/ort/ort-wasm-simd-threaded.asyncify.mjs',
        wasm: '/ort/ort-wasm-simd-threaded.asyncify.wasm',
      };
      const engine = new harness.TransformersWorkerEngine({ localModelPath: '/test-assets/', device: 'wasm', dtype: 'fp32' });
      // Untimed first loads: both sides then find the ORT wasm and model files in the caches.
      await engine.load('tiny-llama');
      await engine.unload();
      await (await lib.AutoModelForCausalLM.from_pretrained('tiny-llama', { device: 'wasm', dtype: 'fp32' })).dispose();
      let t = performance.now();
      const tokenizer = await lib.AutoTokenizer.from_pretrained('tiny-llama');
      const model = await lib.AutoModelForCausalLM.from_pretrained('tiny-llama', { device: 'wasm', dtype: 'fp32' });
      const rawLoadMs = performance.now() - t;
      t = performance.now();
      const chat = await engine.load('tiny-llama');
      const adapterLoadMs = performance.now() - t;
      const raw = async (stream: boolean) => {
        const start = performance.now();
        const prompt = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, tokenize: false }) as string;
        const inputs = tokenizer(prompt, { add_special_tokens: false });
        const streamer = stream ? new lib.TextStreamer(tokenizer, { skip_prompt: true, callback_function: () => {} }) : undefined;
        const out = (await model.generate({ ...inputs, max_new_tokens: tokens, do_sample: false, streamer })) as import('@huggingface/transformers').Tensor;
        const ids = (out.tolist() as bigint[][])[0];
        const n = ids.length - (inputs.input_ids as import('@huggingface/transformers').Tensor).dims.at(-1)!;
        tokenizer.decode(ids.slice(-n), { skip_special_tokens: true });
        return n / ((performance.now() - start) / 1000);
      };
      const adapter = async (stream: boolean) => {
        const start = performance.now();
        const r = await chat.chat({ messages, maxTokens: tokens, temperature: 0, onToken: stream ? () => {} : undefined });
        return r.usage.completionTokens / ((performance.now() - start) / 1000);
      };
      await raw(true);
      await adapter(true);
      const rates = { a: [] as number[], r: [] as number[], as: [] as number[], rs: [] as number[] };
      for (let i = 0; i < runs; i++) {
        rates.a.push(await adapter(false));
        rates.r.push(await raw(false));
        rates.as.push(await adapter(true));
        rates.rs.push(await raw(true));
      }
      await engine.unload();
      return { rawLoadMs, adapterLoadMs, rates };
    }, { tokens: TOKENS, runs: RUNS, messages });
    const { a, r, as, rs } = figures.rates;
    const summary = (pick: (xs: number[]) => number) => ({
      adapterViaWorker: round(pick(a)),
      rawOnPage: round(pick(r)),
      ratio: round(pick(a) / pick(r), 3),
      adapterViaWorkerStreaming: round(pick(as)),
      rawOnPageStreaming: round(pick(rs)),
      ratioStreaming: round(pick(as) / pick(rs), 3),
    });
    return {
      model: `${MODEL} (generated, fp32, Chromium, device wasm)`,
      // Warm loads (caches filled); the adapter's includes the round trip to its worker.
      loadMs: { adapter: round(figures.adapterLoadMs), raw: round(figures.rawLoadMs) },
      tokensPerSecondBest: summary(best),
      tokensPerSecondMedian: summary(median),
    };
  } finally {
    await browser.close();
    server.kill();
  }
}

const report = {
  date: new Date().toISOString(),
  node: process.version,
  transformers: await benchTransformers(),
  transformersBrowser: await benchBrowser(),
  openai: await benchOpenAI(),
  webllm: { skipped: 'needs a real GPU and a compiled model library; not runnable on this machine (see ENVIRONMENT.md)' },
};
console.log(JSON.stringify(report, null, 2));
