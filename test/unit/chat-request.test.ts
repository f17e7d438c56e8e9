// The one check of a chat request's fields (src/llm/request.ts), which every adapter runs
// before sending: a malformed request is a bad request with every problem named, never sent.
import { describe, expect, it } from 'vitest';
import { checkChatRequest } from '../../src/llm/request.ts';
import { EngineError } from '../../src/llm/errors.ts';
import type { ChatRequest } from '../../src/llm/engine.ts';

const info = { kind: 'openai' as const, model: 'm' };
const user = [{ role: 'user' as const, content: 'hi' }];

function problems(request: ChatRequest): string {
  try {
    checkChatRequest(request, info);
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).code).toBe('bad-request');
    return (e as EngineError).message;
  }
  return '';
}

describe('checkChatRequest', () => {
  it('accepts the requests the method sends', () => {
    expect(problems({ messages: [{ role: 'system', content: 's' }, ...user], temperature: 0.3, seed: 42, maxTokens: 512, n: 4, logprobs: true, topLogprobs: 5, jsonSchema: { type: 'object' } })).toBe('');
    expect(problems({ messages: user })).toBe('');
  });

  it.each<[string, ChatRequest, RegExp]>([
    ['no messages', { messages: [] }, /at least one message/],
    ['an unknown role', { messages: [{ role: 'tool' as 'user', content: 'x' }] }, /messages\[0\]\.role must be system, user or assistant, got "tool"/],
    ['content not a string', { messages: [{ role: 'user', content: 3 as unknown as string }] }, /messages\[0\]\.content must be a string/],
    ['a late system message', { messages: [...user, { role: 'system', content: 's' }, ...user] }, /messages\[1\]: a system message may only come first/],
    ['ending on the assistant', { messages: [...user, { role: 'assistant', content: 'a' }] }, /last message must not be the assistant/],
    ['a fractional seed', { messages: user, seed: 1.5 }, /seed must be an integer, got 1.5/],
    ['a negative temperature', { messages: user, temperature: -1 }, /temperature must be between 0 and 2/],
    ['NaN temperature', { messages: user, temperature: Number.NaN }, /temperature must be between 0 and 2/],
    ['zero max tokens', { messages: user, maxTokens: 0 }, /maxTokens must be an integer ≥ 1/],
    ['n of 0', { messages: user, n: 0 }, /n must be an integer ≥ 1/],
    ['six alternatives', { messages: user, logprobs: true, topLogprobs: 6 }, /topLogprobs must be an integer from 0 to 5/],
    ['alternatives without logprobs', { messages: user, topLogprobs: 3 }, /topLogprobs needs logprobs/],
    ['a schema that is not an object', { messages: user, jsonSchema: [] as unknown as Record<string, unknown> }, /jsonSchema must be a JSON Schema object/],
  ])('%s', (_name, request, expected) => {
    expect(problems(request)).toMatch(expected);
  });

  it('names every problem at once', () => {
    const message = problems({ messages: user, seed: 0.5, maxTokens: -3 });
    expect(message).toMatch(/seed must be an integer/);
    expect(message).toMatch(/maxTokens must be an integer/);
  });
});
