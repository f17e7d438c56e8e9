// A chat request's fields, checked once, here, before any adapter sends it (as web-llm checks
// its own requests before generating). A request that fails is a caller's bug, not a model's
// answer: it throws EngineError 'bad-request', which no retry will fix.
import type { ChatRequest, EngineInfo } from './engine.ts';
import { EngineError } from './errors.ts';

const ROLES = new Set(['system', 'user', 'assistant']);

/** Throws EngineError('bad-request') naming every field that is wrong. */
export function checkChatRequest(request: ChatRequest, info: Pick<EngineInfo, 'kind' | 'model'>): void {
  const problems: string[] = [];
  const { messages } = request;
  if (!Array.isArray(messages) || messages.length === 0) problems.push('messages must hold at least one message');
  else {
    messages.forEach((m, i) => {
      if (!ROLES.has(m?.role)) problems.push(`messages[${i}].role must be system, user or assistant, got ${JSON.stringify(m?.role)}`);
      if (typeof m?.content !== 'string') problems.push(`messages[${i}].content must be a string`);
      if (m?.role === 'system' && i > 0) problems.push(`messages[${i}]: a system message may only come first`);
    });
    if (messages.at(-1)?.role === 'assistant') problems.push('the last message must not be the assistant\'s (nothing would be asked)');
  }
  const { temperature, seed, maxTokens, n, topLogprobs, jsonSchema } = request;
  if (temperature !== undefined && !(Number.isFinite(temperature) && temperature >= 0 && temperature <= 2)) problems.push(`temperature must be between 0 and 2, got ${temperature}`);
  if (seed !== undefined && !Number.isSafeInteger(seed)) problems.push(`seed must be an integer, got ${seed}`);
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens >= 1)) problems.push(`maxTokens must be an integer ≥ 1, got ${maxTokens}`);
  if (n !== undefined && !(Number.isInteger(n) && n >= 1)) problems.push(`n must be an integer ≥ 1, got ${n}`);
  if (topLogprobs !== undefined) {
    if (!(Number.isInteger(topLogprobs) && topLogprobs >= 0 && topLogprobs <= 5)) problems.push(`topLogprobs must be an integer from 0 to 5, got ${topLogprobs}`);
    else if (topLogprobs > 0 && !request.logprobs) problems.push('topLogprobs needs logprobs: true');
  }
  if (jsonSchema !== undefined && (typeof jsonSchema !== 'object' || jsonSchema === null || Array.isArray(jsonSchema))) problems.push('jsonSchema must be a JSON Schema object');
  if (problems.length) {
    throw new EngineError('bad-request', `invalid chat request for ${info.kind} model ${info.model}: ${problems.join('; ')}`);
  }
}
