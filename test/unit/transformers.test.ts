// The real Transformers.js adapter in Node (onnxruntime-node) on the generated tiny model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransformersEngine, chooseDtype } from '../../src/llm/transformers.ts';
import { EngineError } from '../../src/llm/errors.ts';
import type { ChatEngine, ChatRequest, LoadProgress } from '../../src/llm/engine.ts';

const options = { localModelPath: 'test/.generated/', dtype: 'fp32' as const, allowRemoteModels: false };
const messages: ChatRequest['messages'] = [
  { role: 'system', content: 'You are kind.' },
  { role: 'user', content: 'I feel tired of everything.' },
];

describe('TransformersEngine (Node)', () => {
  const engine = new TransformersEngine(options);
  const progress: LoadProgress[] = [];
  let chat: ChatEngine;

  beforeAll(async () => {
    chat = await engine.load('tiny-llama', { onProgress: (p) => progress.push(p) });
  });
  afterAll(() => engine.unload());

  it('reports load progress from 0 to 1, monotonically, with byte counts', () => {
    expect(progress[0].progress).toBe(0);
    expect(progress.at(-1)?.progress).toBe(1);
    const fractions = progress.map((p) => p.progress);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    const withBytes = progress.filter((p) => p.totalBytes);
    expect(withBytes.length).toBeGreaterThan(0);
    expect(withBytes.at(-1)?.loadedBytes).toBe(withBytes.at(-1)?.totalBytes);
  });

  it('describes the model: context window from config, no constrained JSON, logprobs', () => {
    expect(chat.info).toEqual({
      kind: 'transformers', model: 'tiny-llama', contextWindow: 2048, constrainedJson: false, logprobs: true,
    });
  });

  it('counts tokens with the model tokenizer', async () => {
    // " you" and " feel" are single merged tokens in the tiny vocabulary.
    expect(await chat.countTokens(' you feel')).toBe(2);
    expect(await chat.countTokens('')).toBe(0);
    expect(await chat.countTokens('xyz')).toBe(3);
  });

  it('streams tokens whose concatenation is the answer, and reports usage', async () => {
    const deltas: string[] = [];
    const result = await chat.chat({ messages, maxTokens: 12, temperature: 0, onToken: (d) => deltas.push(d) });
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe(result.text);
    expect(result.finishReason).toBe('length');
    expect(result.usage.completionTokens).toBe(12);
    expect(result.usage.promptTokens).toBeGreaterThan(10);
    expect(result.usage.timeToFirstTokenMs).toBeGreaterThan(0);
    expect(result.usage.decodeTokensPerSecond).toBeGreaterThan(0);
  });

  it('gives the same answer for the same seed, and another for another seed', async () => {
    const ask = (seed: number) => chat.chat({ messages, maxTokens: 16, temperature: 1, seed });
    const [a, b, c] = [await ask(42), await ask(42), await ask(43)];
    expect(a.text.length).toBeGreaterThan(0);
    expect(a.text).toBe(b.text);
    expect(c.text).not.toBe(a.text);
  });

  it('gives the same answer streamed or not', async () => {
    const quiet = await chat.chat({ messages, maxTokens: 10, temperature: 0.7, seed: 3 });
    const streamed = await chat.chat({ messages, maxTokens: 10, temperature: 0.7, seed: 3, onToken: () => {} });
    expect(quiet.text.length).toBeGreaterThan(0);
    expect(streamed.text).toBe(quiet.text);
  });

  it('is greedy at temperature 0: chosen tokens are the top log-probability', async () => {
    const result = await chat.chat({ messages, maxTokens: 6, temperature: 0, logprobs: true, topLogprobs: 3 });
    expect(result.logprobs).toHaveLength(6);
    for (const lp of result.logprobs!) {
      expect(lp.top).toHaveLength(3);
      expect(lp.logprob).toBeLessThanOrEqual(0);
      expect(lp.logprob).toBeCloseTo(lp.top[0].logprob, 5);
      expect(lp.top[0].logprob).toBeGreaterThanOrEqual(lp.top[1].logprob);
      expect(lp.top[1].logprob).toBeGreaterThanOrEqual(lp.top[2].logprob);
      expect(new Set(lp.top.map((t) => t.token)).size).toBe(3);
    }
    const sampled = await chat.chat({ messages, maxTokens: 6, temperature: 1, seed: 5, logprobs: true });
    expect(sampled.logprobs?.every((lp) => lp.top.length === 0 && lp.logprob <= 0)).toBe(true);
  });

  it('stops mid-generation on abort and returns the partial answer', async () => {
    const controller = new AbortController();
    const deltas: string[] = [];
    const result = await chat.chat({
      messages, maxTokens: 200, temperature: 0, signal: controller.signal,
      onToken: (d) => {
        deltas.push(d);
        if (deltas.length === 3) controller.abort();
      },
    });
    expect(result.finishReason).toBe('abort');
    expect(result.usage.completionTokens).toBeLessThan(10);
    expect(result.text).toBe(deltas.join(''));
  });

  it('returns an empty answer when aborted before the first token', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await chat.chat({ messages, maxTokens: 5, signal: controller.signal, onToken: () => {} });
    expect(result).toMatchObject({ text: '', finishReason: 'abort' });
    expect(result.usage.completionTokens).toBe(0);
  });

  it('rejects a non-integer seed as a bad request', async () => {
    await expect(chat.chat({ messages, seed: 1.5 })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/seed must be an integer/) });
  });

  it('refuses a prompt longer than the context window as a context overflow, without generating', async () => {
    const long = 'feel '.repeat(chat.info.contextWindow);
    await expect(chat.chat({ messages: [{ role: 'user', content: long }], maxTokens: 2 })).rejects.toMatchObject({ code: 'context-overflow' });
  });
});

describe('TransformersEngine errors (Node)', () => {
  it('maps a missing weights file to missing-files with a user message', async () => {
    const error = await new TransformersEngine(options).load('tiny-llama-no-weights').catch((e) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error.code).toBe('missing-files');
    expect(error.message).toContain('onnx/model.onnx');
    expect(error.userMessage).toMatch(/^The model file \S*onnx\/model\.onnx is missing/);
    expect(error.userMessage).not.toContain('model library');
  });

  it('cancels a load when the signal fires while files are loading', async () => {
    const controller = new AbortController();
    const engine = new TransformersEngine(options);
    const error = await engine
      .load('tiny-llama', { signal: controller.signal, onProgress: () => controller.abort() })
      .catch((e) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error.code).toBe('aborted');
  });

  it('cancels a load whose signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await new TransformersEngine(options).load('tiny-llama', { signal: controller.signal }).catch((e) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error.code).toBe('aborted');
  });
});

describe('chooseDtype', () => {
  it('uses 4-bit weights with f16 only where the GPU has shader-f16, 8-bit on the CPU', () => {
    expect(chooseDtype('webgpu', true)).toBe('q4f16');
    expect(chooseDtype('webgpu', false)).toBe('q4');
    expect(chooseDtype('wasm', false)).toBe('q8');
    expect(chooseDtype('cpu', true)).toBe('q8');
  });
});
