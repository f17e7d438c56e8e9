import { afterEach, describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import type { ChatEngine, ChatRequest, ChatResult, EngineInfo } from '../../src/llm/engine';
import { EngineError } from '../../src/llm/errors';
import { connectEngine, serveEngine } from '../../src/llm/port-engine';

const info: EngineInfo = { kind: 'scripted', model: 'double', contextWindow: 2048, constrainedJson: false, logprobs: true };

/** Test double: answers with a fixed script of tokens, one per tick, honouring abort. */
class ScriptedEngine implements ChatEngine {
  readonly info = info;
  requests: Omit<ChatRequest, 'signal' | 'onToken'>[] = [];
  constructor(
    private tokens: string[],
    private tickMs = 1,
    private failWith?: unknown,
  ) {}
  async chat(request: ChatRequest): Promise<ChatResult> {
    const { signal, onToken, ...rest } = request;
    this.requests.push(rest);
    if (this.failWith) throw this.failWith;
    let text = '';
    for (const t of this.tokens) {
      if (signal?.aborted) return { text, finishReason: 'abort', usage: { promptTokens: 3, completionTokens: text.length } };
      await new Promise((r) => setTimeout(r, this.tickMs));
      text += t;
      onToken?.(t);
    }
    return {
      text,
      finishReason: 'stop',
      usage: { promptTokens: 3, completionTokens: this.tokens.length, decodeTokensPerSecond: 42 },
      logprobs: request.logprobs ? [{ token: this.tokens[0], logprob: -0.5, top: [{ token: this.tokens[0], logprob: -0.5 }] }] : undefined,
    };
  }
  async countTokens(text: string): Promise<number> {
    if (text === 'fail') throw new Error('Device was lost.');
    return text.split(' ').length;
  }
}

const open: { close(): void }[] = [];
function pair(engine: ChatEngine) {
  const channel = new MessageChannel();
  // Node's MessagePort is shaped like the DOM's for what port-engine uses.
  const stop = serveEngine(channel.port1 as unknown as MessagePort, engine);
  const client = connectEngine(channel.port2 as unknown as MessagePort, info);
  open.push({ close: () => (stop(), client.close(), channel.port1.close()) });
  return client;
}
afterEach(() => open.splice(0).forEach((o) => o.close()));

describe('engine over a MessagePort', () => {
  it('round-trips a request, streams tokens in order and returns the result', async () => {
    const engine = new ScriptedEngine(['Hel', 'lo', '!']);
    const client = pair(engine);
    const seen: string[] = [];
    const result = await client.chat({
      messages: [{ role: 'user', content: 'hi' }],
      seed: 7,
      temperature: 0,
      jsonSchema: { type: 'object' },
      logprobs: true,
      topLogprobs: 2,
      onToken: (d) => seen.push(d),
    });
    expect(seen).toEqual(['Hel', 'lo', '!']);
    expect(result.text).toBe('Hello!');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.decodeTokensPerSecond).toBe(42);
    expect(result.logprobs?.[0].logprob).toBe(-0.5);
    expect(engine.requests[0]).toEqual({
      messages: [{ role: 'user', content: 'hi' }],
      seed: 7,
      temperature: 0,
      jsonSchema: { type: 'object' },
      logprobs: true,
      topLogprobs: 2,
    });
    expect(client.info).toEqual(info);
  });

  it('does not stream when no onToken is given', async () => {
    const client = pair(new ScriptedEngine(['a', 'b']));
    const result = await client.chat({ messages: [{ role: 'user', content: 'x' }] });
    expect(result.text).toBe('ab');
  });

  it('keeps concurrent requests apart', async () => {
    const client = pair(new ScriptedEngine(['x', 'y', 'z']));
    const a: string[] = [];
    const b: string[] = [];
    const [ra, rb] = await Promise.all([
      client.chat({ messages: [{ role: 'user', content: '1' }], onToken: (d) => a.push(d) }),
      client.chat({ messages: [{ role: 'user', content: '2' }], onToken: (d) => b.push(d) }),
    ]);
    expect(a).toEqual(['x', 'y', 'z']);
    expect(b).toEqual(['x', 'y', 'z']);
    expect(ra.text + rb.text).toBe('xyzxyz');
  });

  it('aborts mid-generation across the port', async () => {
    const client = pair(new ScriptedEngine(Array.from({ length: 200 }, (_, i) => `t${i} `), 5));
    const controller = new AbortController();
    const seen: string[] = [];
    const result = await client.chat({
      messages: [{ role: 'user', content: 'long' }],
      signal: controller.signal,
      onToken: (d) => {
        seen.push(d);
        if (seen.length === 3) controller.abort();
      },
    });
    expect(result.finishReason).toBe('abort');
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.length).toBeLessThan(200);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const client = pair(new ScriptedEngine(['a']));
    const controller = new AbortController();
    controller.abort();
    await expect(client.chat({ messages: [], signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('carries errors with their code and user message', async () => {
    const client = pair(new ScriptedEngine([], 1, new TypeError("Failed to execute 'add' on 'Cache': Request failed")));
    const error = await client.chat({ messages: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('missing-files');
    expect((error as EngineError).userMessage).toMatch(/missing/);
  });

  it('counts tokens and carries counting errors', async () => {
    const client = pair(new ScriptedEngine([]));
    expect(await client.countTokens('one two three')).toBe(3);
    await expect(client.countTokens('fail')).rejects.toMatchObject({ code: 'device-lost' });
  });

  it('rejects pending calls when closed', async () => {
    const client = pair(new ScriptedEngine(Array.from({ length: 100 }, () => 'z'), 10));
    const pending = client.chat({ messages: [] });
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
  });
});
