// The OpenAI-compatible adapter against a real local HTTP server on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { startOpenAIServer, type OpenAIServer } from '../helpers/openai-server.ts';
import { HttpError, OpenAIEngine } from '../../src/llm/openai.ts';
import { EngineError } from '../../src/llm/errors.ts';
import { callSamples, callStep, TRANSIENT_RETRIES } from '../../src/method/call.ts';
import { SAMPLE_SEED_STRIDE } from '../../src/llm/engine.ts';
import { runEvaluation } from '../../src/method/pipeline.ts';
import { MemoryEvaluationStore } from '../../src/method/store.ts';
import { items } from '../helpers/method-fixtures.ts';
import { cannedAnswer } from '../helpers/canned.ts';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const messages = [{ role: 'user' as const, content: 'Say hello.' }];

describe('OpenAI-compatible adapter', () => {
  it('non-streaming: text, usage, seed, max_tokens, json_schema response_format, bearer key', async () => {
    server = await startOpenAIServer({ respond: () => '{"ok":true}', apiKey: 'sk-test' });
    const engine = await new OpenAIEngine({ baseUrl: server.url, apiKey: 'sk-test', stream: false }).load('test-model');
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const r = await engine.chat({ messages, seed: 11, maxTokens: 50, temperature: 0.3, jsonSchema: schema });
    expect(r).toMatchObject({ text: '{"ok":true}', finishReason: 'stop' });
    expect(r.usage.completionTokens).toBe(4);
    const sent = server.chatRequests()[0];
    expect(sent.body).toMatchObject({ model: 'test-model', seed: 11, max_tokens: 50, temperature: 0.3, stream: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } } });
    expect(sent.headers.authorization).toBe('Bearer sk-test');
  });

  it('streaming: pieces in order through onToken, usage from the final chunk', async () => {
    server = await startOpenAIServer({ respond: () => 'Hello there, friend.' });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const pieces: string[] = [];
    const r = await engine.chat({ messages, onToken: (d) => pieces.push(d) });
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe('Hello there, friend.');
    expect(r.text).toBe('Hello there, friend.');
    expect(r.usage.promptTokens).toBe(server.chatRequests()[0].promptTokens);
    expect(server.chatRequests()[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('log-probabilities, streamed and not', async () => {
    server = await startOpenAIServer({ respond: () => '{"analysis":"x","score":4}' });
    for (const stream of [true, false]) {
      const engine = await new OpenAIEngine({ baseUrl: server.url, stream }).load('test-model');
      const r = await engine.chat({ messages, logprobs: true, topLogprobs: 3 });
      const score = r.logprobs!.find((t) => t.token === '4')!;
      expect(score.top.map((t) => t.token)).toEqual(['4', '5', '3']);
      expect(r.logprobs!.map((t) => t.token).join('')).toBe(r.text);
    }
    expect(server.chatRequests().every((q) => q.body.logprobs === true && q.body.top_logprobs === 3)).toBe(true);
  });

  it('reports length-limited answers', async () => {
    server = await startOpenAIServer({ respond: () => ({ text: '{"analysis":"cut', finishReason: 'length' }) });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    expect((await engine.chat({ messages })).finishReason).toBe('length');
  });

  it('HTTP errors carry the status and an excerpt of the body', async () => {
    server = await startOpenAIServer({ respond: () => ({ status: 503, body: 'model is loading, try later' }) });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const error = await engine.chat({ messages }).catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ code: 'server-error', status: 503 });
    expect(error.message).toContain('model is loading, try later');
  });

  it('a wrong API key fails at load with 401', async () => {
    server = await startOpenAIServer({ apiKey: 'right' });
    await expect(new OpenAIEngine({ baseUrl: server.url, apiKey: 'wrong' }).load('test-model')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('an unreachable server fails clearly', async () => {
    server = await startOpenAIServer();
    const url = server.url;
    await server.close();
    server = undefined;
    const error = await new OpenAIEngine({ baseUrl: url, timeoutMs: 2000 }).load('m').catch((e) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error.userMessage).toMatch(/Could not reach the model server/);
  });

  it('times out', async () => {
    server = await startOpenAIServer({ respond: () => ({ text: 'late', delayMs: 2000 }) });
    const engine = await new OpenAIEngine({ baseUrl: server.url, timeoutMs: 150 }).load('test-model');
    const started = Date.now();
    await expect(engine.chat({ messages })).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('aborts through the signal', async () => {
    server = await startOpenAIServer({ respond: () => ({ text: 'late', delayMs: 2000 }) });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(engine.chat({ messages, signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('falls back from json_schema to json_object when the server rejects it', async () => {
    server = await startOpenAIServer({ rejectJsonSchema: true, respond: () => '{"ok":true}' });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const schema = { type: 'object' };
    expect((await engine.chat({ messages, jsonSchema: schema })).text).toBe('{"ok":true}');
    await engine.chat({ messages, jsonSchema: schema });
    expect(server.chatRequests().map((q) => q.body.response_format?.type)).toEqual(['json_schema', 'json_object', 'json_object']);
  });

  it('context window from the option, from /v1/models metadata, or 4096', async () => {
    server = await startOpenAIServer({ models: [{ id: 'a', meta: { n_ctx_train: 32768 } }, { id: 'b', max_model_len: 8192 }, { id: 'c' }] });
    expect((await new OpenAIEngine({ baseUrl: server.url }).load('a')).info.contextWindow).toBe(32768);
    expect((await new OpenAIEngine({ baseUrl: server.url }).load('b')).info.contextWindow).toBe(8192);
    expect((await new OpenAIEngine({ baseUrl: server.url }).load('c')).info.contextWindow).toBe(4096);
    expect((await new OpenAIEngine({ baseUrl: server.url, contextWindow: 2048 }).load('a')).info.contextWindow).toBe(2048);
  });

  it('counts tokens with /tokenize when present, else estimates', async () => {
    server = await startOpenAIServer();
    const engine = await new OpenAIEngine({ baseUrl: server.url.replace(/\/v1$/, '') }).load('test-model');
    expect(await engine.countTokens('x'.repeat(42))).toBe(14);
    expect(server.requests.some((r) => r.path === '/tokenize')).toBe(true);
    await server.close();
    server = await startOpenAIServer({ tokenize: false });
    const estimating = await new OpenAIEngine({ baseUrl: server.url }).load('test-model') as unknown as { countTokens(t: string): Promise<number>; exactTokenCounts?: boolean };
    expect(await estimating.countTokens('x'.repeat(43))).toBe(15);
    expect(estimating.exactTokenCounts).toBe(false);
    await estimating.countTokens('again');
    expect(server.requests.filter((r) => r.path === '/tokenize')).toHaveLength(1);
  });

  it('drives the pipeline: judgments over HTTP, then zero requests on a re-run', async () => {
    server = await startOpenAIServer();
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const store = new MemoryEvaluationStore();
    const run = await runEvaluation({ engine, store, items: items(1, 2), settings: { k: 2 } });
    expect(run.summary.failedJudgments).toBe(0);
    expect(run.results.every((r) => r.aggregate.reward !== null)).toBe(true);
    const chats = server.chatRequests().length;
    // 3 criteria, then per candidate one 2-sample request per dimension and the bystander.
    expect(chats).toBe(3 + 2 * 4);
    await runEvaluation({ engine, store, items: items(1, 2), settings: { k: 2 } });
    expect(server.chatRequests().length).toBe(chats);
  });
});

describe('several samples per request (n)', () => {
  it('sends n once and returns every sample, streamed and not', async () => {
    server = await startOpenAIServer({ respond: (body) => `sample with seed ${body.seed}` });
    for (const stream of [true, false]) {
      const engine = await new OpenAIEngine({ baseUrl: server.url, stream }).load('test-model');
      expect(engine.info.multiSample).toBe(true);
      const r = await engine.chat({ messages, n: 3, seed: 5 });
      expect(r.choices!.map((c) => c.text)).toEqual([5, 1_000_008, 2_000_011].map((s) => `sample with seed ${s}`));
      expect(r.text).toBe('sample with seed 5');
      expect(r.usage.completionTokens).toBe(server.chatRequests().at(-1)!.completionTokens);
    }
    expect(server.chatRequests().map((q) => q.body.n)).toEqual([3, 3]);
  });

  it('falls back to one request per sample when the server rejects n, with the same seeds', async () => {
    server = await startOpenAIServer({ rejectN: true, respond: (body) => `seed ${body.seed}` });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const r = await engine.chat({ messages, n: 2, seed: 1 });
    expect(r.choices!.map((c) => c.text)).toEqual(['seed 1', 'seed 1000004']);
    expect(engine.info.multiSample).toBe(false);
    expect(server.chatRequests().map((q) => [q.body.n, q.body.seed])).toEqual([[2, 1], [undefined, 1], [undefined, 1_000_004]]);
  });

  it('the pipeline sends a dimension\'s k trials as one request', async () => {
    server = await startOpenAIServer();
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const run = await runEvaluation({ engine, store: new MemoryEvaluationStore(), items: items(1, 2), settings: { k: 4 } });
    expect(run.summary.failedJudgments).toBe(0);
    expect(server.chatRequests()).toHaveLength(3 + 2 * 4);
    expect(run.results[0].judgments.filter((j) => j.kind === 'expression')).toHaveLength(4);
  });
});

describe('logprob mode', () => {
  it('over HTTP: expected scores from the server\'s top log-probabilities', async () => {
    server = await startOpenAIServer({ respond: (body) => (body.messages[0].content.includes('strict judge') ? '{"analysis":"fine","score":4}' : cannedAnswer(body.messages, body.seed)) });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const run = await runEvaluation({ engine, store: new MemoryEvaluationStore(), items: items(1, 1), settings: { mode: 'logprob' } });
    const dims = run.results[0].judgments.filter((j) => j.kind !== 'bystander');
    // The server gives 4 → 0.7, 5 → 0.2, 3 → 0.1: 2.8 + 1.0 + 0.3 = 4.1.
    expect(dims.map((j) => j.score)).toEqual([4.1, 4.1, 4.1].map((x) => expect.closeTo(x, 10)));
    expect(dims.every((j) => !j.flags.includes('logprobs-unavailable'))).toBe(true);
  });
});

// callStep (src/method/call.ts) over real HTTP: which errors are asked again and which stop at once.
describe('retries only for transient causes', () => {
  const step = { messages, parse: (raw: string) => JSON.parse(raw) as unknown, maxTokens: 16 };

  it.each([
    ['a 401', { status: 401, body: '{"error":{"message":"invalid api key"}}' }, 'unauthorized'],
    ['a context overflow', { status: 400, body: '{"error":{"message":"This model\'s maximum context length is 4096 tokens"}}' }, 'context-overflow'],
    ['a bad request', { status: 400, body: '{"error":{"message":"unknown field"}}' }, 'bad-request'],
  ] as const)('%s: one request, then the typed error', async (_name, reply, code) => {
    server = await startOpenAIServer({ respond: () => reply });
    const engine = await new OpenAIEngine({ baseUrl: server.url, jsonMode: 'off' }).load('test-model');
    await expect(callStep(engine, step, { retries: 3 })).rejects.toMatchObject({ code });
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('a model the server does not have: one request, model-not-found naming the model', async () => {
    server = await startOpenAIServer({ knownModelsOnly: true, models: [{ id: 'test-model' }] });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('no-such-model');
    const error = await callStep(engine, step, { retries: 3 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'model-not-found', status: 404 });
    expect((error as EngineError).userMessage).toBe('The model server has no model named "no-such-model". Check the model name against the models the server offers.');
    expect(server.chatRequests()).toHaveLength(1);
  });

  it.each([
    ['a 503', { status: 503, body: 'loading' }, 'server-error'],
    ['a 429', { status: 429, body: 'slow down' }, 'rate-limited'],
    ['an answer that is not JSON', { status: 200, body: 'surprise' }, 'bad-response'],
  ] as const)('%s: asked again TRANSIENT_RETRIES times, whatever the retries of unparseable answers, then thrown', async (_name, reply, code) => {
    // A 200 with a body of its own stands for a broken proxy answering in place of the server.
    server = await startOpenAIServer({ respond: () => reply });
    const engine = await new OpenAIEngine({ baseUrl: server.url, stream: false }).load('test-model');
    await expect(callStep(engine, step, { retries: 0 })).rejects.toMatchObject({ code });
    expect(server.chatRequests()).toHaveLength(1 + TRANSIENT_RETRIES);
  });

  it('retries 0 (the reference protocol): a 503 is ridden out with the same seed, an unparseable answer is final', async () => {
    server = await startOpenAIServer({ respond: (_body, index) => (index === 0 ? { status: 503, body: 'loading' } : 'no score here') });
    const engine = await new OpenAIEngine({ baseUrl: server.url, stream: false }).load('test-model');
    const outcome = await callStep(engine, { ...step, seed: 7 }, { retries: 0 });
    expect(outcome).toMatchObject({ status: 'failed', raw: 'no score here', attempts: 1 });
    expect(server.chatRequests().map((r) => r.body.seed)).toEqual([7, 7]);
  });

  it('a transient failure of a k-sample request: each sample is asked alone, with its own seed, and counts', async () => {
    server = await startOpenAIServer({ respond: (body, index) => (index === 0 ? { status: 503, body: 'loading' } : `{"seed":${body.seed}}`) });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const outcomes = await callSamples(engine, { ...step, seed: 5 }, 3, { retries: 1 });
    expect(outcomes.map((o) => o.status === 'ok' && o.value)).toEqual([0, 1, 2].map((i) => ({ seed: 5 + i * SAMPLE_SEED_STRIDE })));
    expect(server.chatRequests().map((r) => r.body.n ?? 1)).toEqual([3, 1, 1, 1]);
  });

  it('a lasting failure of a k-sample request still stops the run: the shared request, then the first sample alone and its transient retries', async () => {
    server = await startOpenAIServer({ respond: () => ({ status: 503, body: 'loading' }) });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    await expect(callSamples(engine, step, 3, { retries: 1 })).rejects.toMatchObject({ code: 'server-error' });
    expect(server.chatRequests().map((r) => r.body.n ?? 1)).toEqual([3, ...Array(1 + TRANSIENT_RETRIES).fill(1)]);
  });

  it('a transient failure followed by an answer: the answer counts', async () => {
    server = await startOpenAIServer({ respond: (_body, index) => (index === 0 ? { status: 502, body: 'bad gateway' } : '{"ok":true}') });
    const engine = await new OpenAIEngine({ baseUrl: server.url }).load('test-model');
    const outcome = await callStep(engine, step, { retries: 1 });
    expect(outcome).toMatchObject({ status: 'ok', value: { ok: true } });
    expect(server.chatRequests()).toHaveLength(2);
  });
});
