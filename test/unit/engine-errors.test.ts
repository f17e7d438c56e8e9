import { describe, expect, it } from 'vitest';
import { ENGINE_ERROR_CODES, EngineError, fromWireError, httpErrorCode, isTransient, toEngineError, toWireError, userMessageFor, type EngineErrorCode } from '../../src/llm/errors';

function domException(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

const cases: [string, unknown, EngineErrorCode][] = [
  ['WebLLM with absent files', new TypeError("Failed to execute 'add' on 'Cache': Request failed"), 'missing-files'],
  ['SPA fallback served as JSON', new SyntaxError("Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON"), 'missing-files'],
  ['HTML served as wasm', new Error('WebAssembly.instantiate(): expected magic word 00 61 73 6d, found 3c 21 44 4f @+0'), 'missing-files'],
  ['wasm CompileError', domException('CompileError', 'WebAssembly.Module(): section was shorter than expected'), 'missing-files'],
  ['HTTP 404', new Error('Failed to load: HTTP 404 Not Found'), 'missing-files'],
  ['GPU OOM', new Error('GPUOutOfMemoryError: Failed to allocate buffer'), 'out-of-memory'],
  ['emscripten OOM abort', new Error('RuntimeError: Aborted(OOM)'), 'out-of-memory'],
  ['buffer limit', new Error('Buffer size (2147483648) exceeds the max buffer size limit (1073741824)'), 'out-of-memory'],
  ['device lost', new Error('Device was lost. This can happen due to insufficient memory'), 'device-lost'],
  ['quota DOMException', domException('QuotaExceededError', 'The quota has been exceeded.'), 'quota'],
  ['quota while writing cache', domException('QuotaExceededError', "Failed to execute 'add' on 'Cache': Quota exceeded."), 'quota'],
  ['no WebGPU', new Error('WebGPU is not supported in your current environment'), 'no-webgpu'],
  ['no adapter', new Error('Unable to find a compatible GPU.'), 'no-webgpu'],
  ['fetch failure', new TypeError('Failed to fetch'), 'download-failed'],
  ['node fetch failure', new TypeError('fetch failed'), 'download-failed'],
  ['offline', new Error('net::ERR_INTERNET_DISCONNECTED'), 'offline'],
  ['version mismatch', new Error('Model library version mismatch: expected 0.2.86'), 'library-mismatch'],
  ['wasm LinkError', domException('LinkError', 'WebAssembly.Instance(): Import #3 "env" "foo": function import requires a callable'), 'library-mismatch'],
  ['AbortError', domException('AbortError', 'The operation was aborted.'), 'aborted'],
  ['timeout', domException('TimeoutError', 'signal timed out'), 'timeout'],
  ['HTTP 500', new Error('HTTP 500 from server'), 'server-error'],
  ['HTTP 401', new Error('HTTP 401 from http://127.0.0.1:1/v1/chat/completions'), 'unauthorized'],
  ['HTTP 429', new Error('HTTP 429 Too Many Requests'), 'rate-limited'],
  ['WebLLM context overflow', new Error('ContextWindowSizeExceededError: Prompt tokens exceed context window size: number of prompt tokens: 5000; context window size: 4096'), 'context-overflow'],
  ['vLLM context overflow', new Error("This model's maximum context length is 4096 tokens. However, you requested 5000 tokens"), 'context-overflow'],
  ['HTTP 418', new Error('HTTP 418 from server'), 'http'],
  ['something else', new Error('weird'), 'unknown'],
  ['a string', 'boom', 'unknown'],
];

describe('toEngineError', () => {
  it.each(cases)('%s → its code', (_name, raw, code) => {
    const e = toEngineError(raw);
    expect(e).toBeInstanceOf(EngineError);
    expect(e.code).toBe(code);
    expect(e.userMessage).toBe(userMessageFor(code));
  });

  it('keeps the raw error as cause and its text in the message', () => {
    const raw = new TypeError('Failed to fetch');
    const e = toEngineError(raw);
    expect(e.cause).toBe(raw);
    expect(e.message).toContain('Failed to fetch');
  });

  it('passes an EngineError through unchanged', () => {
    const e = new EngineError('quota');
    expect(toEngineError(e)).toBe(e);
  });

  it('rebuilds a structured error that crossed a worker boundary', () => {
    const e = toEngineError({ code: 'device-lost', message: 'lost', userMessage: 'custom words' });
    expect(e.code).toBe('device-lost');
    expect(e.userMessage).toBe('custom words');
  });

  it('calls a failed download "offline" when the browser says it is offline', () => {
    expect(toEngineError(new TypeError('Failed to fetch'), { offlineNow: true }).code).toBe('offline');
    // An HTML page in place of a file is a wrong file, offline or not.
    expect(toEngineError(new SyntaxError("Unexpected token '<'"), { offlineNow: true }).code).toBe('missing-files');
  });

  it('names the missing file of a custom Transformers.js folder, in words for that engine', () => {
    const e = toEngineError(new Error('Could not locate file: "https://example.org/models/mine/onnx/model_q4.onnx".'));
    expect(e.code).toBe('missing-files');
    expect(e.userMessage).toBe('The model file https://example.org/models/mine/onnx/model_q4.onnx is missing (the server found no such file, or sent a web page instead). Check that the model folder holds it, or side-load the complete folder again.');
    expect(userMessageFor('missing-files')).not.toContain('model library URL');
  });

  it('points a failed or offline download to side-loading', () => {
    expect(toEngineError(new TypeError('Failed to fetch')).userMessage).toMatch(/side-load the model's folder/);
    expect(toEngineError(new TypeError('Failed to fetch'), { offlineNow: true }).userMessage).toMatch(/side-load its files from a folder/);
  });

  it('has a distinct, non-empty message for every code', () => {
    const messages = ENGINE_ERROR_CODES.map(userMessageFor);
    expect(messages.every((m) => m.length > 5)).toBe(true);
    expect(new Set(messages).size).toBe(ENGINE_ERROR_CODES.length);
  });
});

describe('transient or not', () => {
  it('only a timeout, a 5xx, a 429 and an unreadable answer are worth asking again', () => {
    const transient = ENGINE_ERROR_CODES.filter((code) => isTransient(new EngineError(code)));
    expect(transient.sort()).toEqual(['bad-response', 'rate-limited', 'server-error', 'timeout']);
    // Classified from raw errors too, as an adapter would throw them.
    expect(isTransient(new Error('HTTP 502 from http://127.0.0.1/v1'))).toBe(true);
    expect(isTransient(new Error('HTTP 401 from http://127.0.0.1/v1'))).toBe(false);
  });

  it.each([
    [401, '{"error":{"message":"invalid api key"}}', 'unauthorized'],
    [403, 'forbidden', 'unauthorized'],
    [404, '{"error":{"message":"The model `nope` does not exist","code":"model_not_found"}}', 'model-not-found'],
    [404, 'no route POST /v1/chat/completionz', 'http'],
    [400, '{"error":{"message":"This model\'s maximum context length is 4096 tokens"}}', 'context-overflow'],
    [400, '{"error":{"message":"temperature must be at most 2"}}', 'bad-request'],
    [422, 'unprocessable', 'bad-request'],
    [408, '', 'timeout'],
    [429, 'slow down', 'rate-limited'],
    [503, 'loading', 'server-error'],
  ] as const)('HTTP %i (%s) → %s', (status, body, code) => {
    expect(httpErrorCode(status, body)).toBe(code);
  });
});

describe('the engine wire format', () => {
  it('keeps code, detail and the user message across a boundary, through structured cloning', () => {
    const original = new EngineError('model-not-found', 'HTTP 404 from x', { userMessage: 'The model server has no model named "m".' });
    const wire = structuredClone(toWireError(original));
    expect(wire).toEqual({ kind: 'engine', code: 'model-not-found', message: original.message, userMessage: original.userMessage });
    const back = fromWireError(wire);
    expect(back).toBeInstanceOf(EngineError);
    expect(back).toMatchObject({ code: 'model-not-found', userMessage: 'The model server has no model named "m".' });
  });
});
