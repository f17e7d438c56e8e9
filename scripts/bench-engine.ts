// npm run bench:engine — the engine adapters' overhead over their libraries, as JSON.
// Transformers.js: the adapter (TransformersEngine) vs calling the library directly
// (AutoTokenizer + AutoModelForCausalLM.generate) on the same tiny model, prompt and token
// count, greedy; load time of each. OpenAI-compatible: when src/llm/openai.ts exists, its
// engine vs a raw streaming fetch against a small local server on 127.0.0.1.
// Runs alternate (adapter, raw, adapter, ...) and medians are reported, so drift on the
// shared machine hits both sides alike. Options: --tokens N (64) --runs N (9).
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
  type Tensor,
  type TextStreamer,
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

/** Counts generated tokens the way any caller of generate() that streams would. */
class CountingStreamer extends BaseStreamer {
  count = -1; // the first put() is the prompt
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

  // The same work a caller of the library does: template, tokenize, generate, decode.
  const raw = async () => {
    const start = performance.now();
    const prompt = tokenizer.apply_chat_template(messages, { add_generation_prompt: true, tokenize: false }) as string;
    const inputs = tokenizer(prompt, { add_special_tokens: false });
    const streamer = new CountingStreamer();
    const out = (await model.generate({
      ...inputs,
      max_new_tokens: TOKENS,
      do_sample: false,
      streamer: streamer as unknown as TextStreamer,
    })) as Tensor;
    const promptLength = (inputs.input_ids as Tensor).dims.at(-1)!;
    tokenizer.decode((out.tolist() as bigint[][])[0].slice(promptLength), { skip_special_tokens: true });
    return { tokens: streamer.count, seconds: (performance.now() - start) / 1000 };
  };
  const adapter = async (temperature: number) => {
    const start = performance.now();
    let streamed = 0;
    const result = await chat.chat({ messages, maxTokens: TOKENS, temperature, seed: 1, onToken: () => streamed++ });
    return { tokens: result.usage.completionTokens, seconds: (performance.now() - start) / 1000, streamed };
  };

  await raw();
  await adapter(0); // warm-up
  const rawRates: number[] = [];
  const adapterRates: number[] = [];
  const sampledRates: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const a = await adapter(0);
    const r = await raw();
    const s = await adapter(1);
    if (a.tokens !== TOKENS || r.tokens !== TOKENS) throw new Error(`expected ${TOKENS} tokens, got adapter ${a.tokens}, raw ${r.tokens}`);
    adapterRates.push(a.tokens / a.seconds);
    rawRates.push(r.tokens / r.seconds);
    sampledRates.push(s.tokens / s.seconds);
  }
  await engine.unload();
  await model.dispose();
  const summary = (pick: (xs: number[]) => number) => ({
    adapterGreedy: round(pick(adapterRates)),
    rawGreedy: round(pick(rawRates)),
    adapterSeededSampling: round(pick(sampledRates)),
    ratioAdapterToRaw: round(pick(adapterRates) / pick(rawRates), 3),
    overheadPercent: round((1 - pick(adapterRates) / pick(rawRates)) * 100, 1),
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

const report = {
  date: new Date().toISOString(),
  node: process.version,
  transformers: await benchTransformers(),
  openai: await benchOpenAI(),
  webllm: { skipped: 'needs a real GPU and a compiled model library; not runnable on this machine (see ENVIRONMENT.md)' },
};
console.log(JSON.stringify(report, null, 2));
