// The WebLLM adapter's translation layer (request fields, stream folding, usage, progress,
// app config). Generation itself needs a GPU and a model library; see test/e2e/webllm.spec.ts
// for the real adapter and worker in Chromium.
import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '@mlc-ai/web-llm';
import { EngineError } from '../../src/llm/errors';
import { WebLLMChatEngine, buildAppConfig, type MLCChat, collectStream, contextWindowOf, toLoadError, toLoadProgress, toUsage, toWebLLMRequest } from '../../src/llm/webllm';

function chunk(content: string | null, extra: Partial<ChatCompletionChunk> & { finish?: string; lp?: number } = {}): ChatCompletionChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'm',
    choices: content === null && !extra.finish ? [] : [
      {
        index: 0,
        delta: { content },
        finish_reason: (extra.finish ?? null) as never,
        logprobs: extra.lp === undefined ? null : { content: [{ token: content ?? '', logprob: extra.lp, bytes: null, top_logprobs: [{ token: 'x', logprob: -3, bytes: null }] }] },
      },
    ],
    usage: extra.usage,
  } as ChatCompletionChunk;
}

async function* stream(...chunks: ChatCompletionChunk[]) {
  for (const c of chunks) yield c;
}

describe('WebLLM request translation', () => {
  it('maps every field to WebLLM documented names', () => {
    const schema = { type: 'object', properties: { score: { type: 'integer' } } };
    const body = toWebLLMRequest({ messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, seed: 11, maxTokens: 64, jsonSchema: schema, logprobs: true, topLogprobs: 9 });
    expect(body).toEqual({
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      seed: 11,
      max_tokens: 64,
      response_format: { type: 'json_object', schema: JSON.stringify(schema) },
      logprobs: true,
      top_logprobs: 5,
    });
  });

  it('leaves out what was not asked for', () => {
    expect(toWebLLMRequest({ messages: [] })).toEqual({ messages: [], stream: true, stream_options: { include_usage: true } });
  });
});

describe('WebLLM stream folding', () => {
  it('streams deltas in order and surfaces usage.extra', async () => {
    const seen: string[] = [];
    const usage = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, extra: { e2e_latency_s: 1, prefill_tokens_per_s: 300, decode_tokens_per_s: 25, time_to_first_token_s: 0.25, time_per_output_token_s: 0.04 } };
    const result = await collectStream(stream(chunk('A', { lp: -0.1 }), chunk('b'), chunk('c', { finish: 'length' }), chunk(null, { usage } as never)), (d) => seen.push(d));
    expect(seen).toEqual(['A', 'b', 'c']);
    expect(result.text).toBe('Abc');
    expect(result.finishReason).toBe('length');
    expect(result.usage).toEqual({ promptTokens: 12, completionTokens: 3, timeToFirstTokenMs: 250, decodeTokensPerSecond: 25, prefillTokensPerSecond: 300 });
    expect(result.logprobs).toEqual([{ token: 'A', logprob: -0.1, top: [{ token: 'x', logprob: -3 }] }]);
  });

  it('reports an interrupted generation as abort', async () => {
    const result = await collectStream(stream(chunk('x'), chunk('', { finish: 'abort' })));
    expect(result.finishReason).toBe('abort');
    expect(result.usage).toEqual({ promptTokens: 0, completionTokens: 1 });
    expect(toUsage(undefined, 4).completionTokens).toBe(4);
  });
});

describe('WebLLM load helpers', () => {
  it('parses bytes from progress text', () => {
    const p = toLoadProgress({ progress: 0.18, timeElapsed: 9, text: 'Fetching param cache[3/20]: 412MB fetched. 18% completed, 9 secs elapsed.' }, 2e9);
    expect(p).toMatchObject({ progress: 0.18, loadedBytes: 412 * 1024 * 1024, totalBytes: 2e9 });
    expect(toLoadProgress({ progress: 1.5, timeElapsed: 0, text: 'Finish loading' }).progress).toBe(1);
  });

  it('reports a runtime crash inside the model library as a library mismatch', () => {
    expect(toLoadError("TypeError: Cannot read properties of undefined (reading 'buffer')").code).toBe('library-mismatch');
    expect(toLoadError("TypeError: Failed to execute 'add' on 'Cache': Request failed").code).toBe('missing-files');
    expect(toLoadError('TypeError: Failed to fetch', true).code).toBe('offline');
    expect(toLoadError('RangeError: something else').code).toBe('unknown');
  });

  it('puts custom models first, with absolute URLs and their context window', () => {
    const config = buildAppConfig([{ modelId: 'mine', modelUrl: '/test-assets/m/', modelLibUrl: '/test-assets/m/lib.wasm', contextWindow: 1024 }], 'cache', 'http://127.0.0.1:4179/#/models');
    expect(config.cacheBackend).toBe('cache');
    expect(config.model_list[0]).toMatchObject({ model_id: 'mine', model: 'http://127.0.0.1:4179/test-assets/m/', model_lib: 'http://127.0.0.1:4179/test-assets/m/lib.wasm' });
    expect(contextWindowOf(config.model_list[0])).toBe(1024);
    expect(contextWindowOf(config.model_list.find((r) => r.model_id === 'Qwen3-4B-q4f16_1-MLC'))).toBe(4096);
    expect(contextWindowOf(undefined)).toBe(4096);
    expect(config.model_list.length).toBeGreaterThan(50);
  });
});

describe('WebLLMChatEngine over a stand-in for WebWorkerMLCEngine', () => {
  const info = { kind: 'webllm' as const, model: 'm', contextWindow: 4096, constrainedJson: true, logprobs: true };

  /**
   * A stand-in for WebWorkerMLCEngine (a test double). Like WebLLM it serves one request at a
   * time, and its prefill (`prefillMs`) ignores interruptGenerate, which is only noticed between
   * decode steps; then it streams one chunk per tick and ends with finish_reason "abort" when
   * interrupted.
   */
  function standIn(prefillMs = 0) {
    let interrupted = false;
    let busy: Promise<void> = Promise.resolve();
    const calls = { interrupts: 0, requests: [] as unknown[], ended: 0 };
    const engine = {
      interruptGenerate: async () => {
        calls.interrupts++;
        interrupted = true;
      },
      chat: {
        completions: {
          create: async (body: unknown) => {
            calls.requests.push(body);
            let release: () => void = () => {};
            const before = busy;
            busy = new Promise((r) => (release = r));
            await before;
            interrupted = false;
            return (async function* () {
              await new Promise((r) => setTimeout(r, prefillMs));
              for (let i = 0; i < 100 && !interrupted; i++) {
                await new Promise((r) => setTimeout(r, 1));
                yield chunk(`t${i}`);
              }
              yield chunk('', { finish: interrupted ? 'abort' : 'stop' });
              calls.ended++;
              release();
            })();
          },
        },
      },
    };
    return { engine: engine as unknown as MLCChat, calls };
  }

  const ask = (signal?: AbortSignal, onToken?: (d: string) => void) => ({ messages: [{ role: 'user' as const, content: 'x' }], signal, onToken });

  it('on Cancel mid-stream: asks WebLLM to stop, settles at once as aborted, passes on no later token', async () => {
    const { engine, calls } = standIn();
    const chat = new WebLLMChatEngine(engine, info);
    const controller = new AbortController();
    const seen: string[] = [];
    const answer = chat.chat(ask(controller.signal, (d) => {
      seen.push(d);
      if (seen.length === 2) controller.abort();
    }));
    await expect(answer).rejects.toMatchObject({ code: 'aborted' });
    expect(calls.interrupts).toBe(1);
    expect(seen).toHaveLength(2);
    expect(calls.requests[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    // The next request waits for WebLLM to end the interrupted one, then is answered in full.
    const next = await chat.chat(ask());
    expect(calls.ended).toBe(2);
    expect(next.finishReason).toBe('stop');
    expect(next.text).toBe(Array.from({ length: 100 }, (_, i) => `t${i}`).join(''));
  });

  it('on Cancel during a prefill that ignores interrupts: settles within 1 s; the engine is replaced and the next request works', async () => {
    const stuck = standIn(5000);
    const fresh = standIn();
    let restarts = 0;
    const chat = new WebLLMChatEngine(stuck.engine, info, {
      stopTimeoutMs: 300,
      restart: async () => {
        restarts++;
        return fresh.engine;
      },
    });
    const controller = new AbortController();
    const answer = chat.chat(ask(controller.signal));
    await new Promise((r) => setTimeout(r, 50));
    const cancelled = performance.now();
    controller.abort();
    await expect(answer).rejects.toMatchObject({ code: 'aborted' });
    expect(performance.now() - cancelled).toBeLessThan(1000);
    // The stand-in is still in its prefill after the stop timeout: the next request goes to the replacement.
    const started = performance.now();
    const next = await chat.chat(ask());
    expect(restarts).toBe(1);
    expect(next.finishReason).toBe('stop');
    expect(fresh.calls.requests).toHaveLength(1);
    expect(stuck.calls.requests).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('does not restart an engine that stops in time', async () => {
    const { engine, calls } = standIn(100);
    let restarts = 0;
    const chat = new WebLLMChatEngine(engine, info, { stopTimeoutMs: 2000, restart: async () => (restarts++, engine) });
    const controller = new AbortController();
    const answer = chat.chat(ask(controller.signal));
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await expect(answer).rejects.toMatchObject({ code: 'aborted' });
    expect((await chat.chat(ask())).finishReason).toBe('stop');
    expect(restarts).toBe(0);
    expect(calls.requests).toHaveLength(2);
  });

  it('a failed restart fails the requests that waited for it with its own error', async () => {
    const { engine } = standIn(5000);
    const chat = new WebLLMChatEngine(engine, info, {
      stopTimeoutMs: 100,
      restart: async () => { throw new EngineError('offline', 'cache empty'); },
    });
    const controller = new AbortController();
    const answer = chat.chat(ask(controller.signal));
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await expect(answer).rejects.toMatchObject({ code: 'aborted' });
    await expect(chat.chat(ask())).rejects.toMatchObject({ code: 'offline' });
  });

  it('a request cancelled before it reached WebLLM is never sent', async () => {
    const { engine, calls } = standIn();
    const chat = new WebLLMChatEngine(engine, info);
    const controller = new AbortController();
    const answer = chat.chat(ask(controller.signal));
    controller.abort();
    await expect(answer).rejects.toMatchObject({ code: 'aborted' });
    expect(calls.requests).toHaveLength(0);
  });

  it('unloading fails the requests still running with no-model, and later ones too', async () => {
    const { engine } = standIn(5000);
    const chat = new WebLLMChatEngine(engine, info);
    const running = chat.chat(ask());
    chat.close();
    await expect(running).rejects.toMatchObject({ code: 'no-model' });
    await expect(chat.chat(ask())).rejects.toMatchObject({ code: 'no-model' });
  });

  it('checks the request before WebLLM sees it: a fractional seed is a bad request, never sent', async () => {
    let sent = 0;
    const engine = { interruptGenerate: async () => {}, chat: { completions: { create: async () => { sent++; throw new Error('unreachable'); } } } };
    const chat = new WebLLMChatEngine(engine as unknown as ConstructorParameters<typeof WebLLMChatEngine>[0], info);
    await expect(chat.chat({ messages: [{ role: 'user', content: 'hi' }], seed: 1.5 })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/seed must be an integer/) });
    expect(sent).toBe(0);
  });

  it('maps a failure inside WebLLM to an EngineError', async () => {
    const engine = { interruptGenerate: async () => {}, chat: { completions: { create: async () => { throw new Error('Device was lost.'); } } } };
    const chat = new WebLLMChatEngine(engine as unknown as ConstructorParameters<typeof WebLLMChatEngine>[0], info);
    await expect(chat.chat({ messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ code: 'device-lost' });
    expect(await chat.countTokens('abcdef')).toBe(2);
  });
});
