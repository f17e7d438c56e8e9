// OpenAI-compatible HTTP adapter (llama.cpp server, vLLM, Ollama, LM Studio, hosted APIs).
// Runs in Node and in the browser with plain fetch. Choices, stated once:
// - Constrained output: `response_format: {type: "json_schema", json_schema: {name, schema,
//   strict: true}}` (llama.cpp and vLLM accept it). Mode "auto" falls back to
//   `{type: "json_object"}` and then to nothing when the server rejects the field with a 400,
//   and remembers the fallback for the rest of the session.
// - Context window: the option if given, else the server's /v1/models metadata
//   (llama.cpp `meta.n_ctx_train`, vLLM `max_model_len`), else 4096.
// - Token counts: llama.cpp's `/tokenize` when the server has it; otherwise tokens.ts's
//   estimate (stated as an estimate, never as a count).
import type { ChatChoice, ChatEngine, ChatRequest, ChatResult, Engine, EngineInfo, LoadOptions, TokenLogprob, Usage } from './engine.ts';
import { SAMPLE_SEED_STRIDE } from './engine.ts';
import { EngineError, httpErrorCode, toEngineError } from './errors.ts';
import { checkChatRequest } from './request.ts';
import { estimateTokens } from './tokens.ts';

export type JsonMode = 'auto' | 'json_schema' | 'json_object' | 'off';

export interface OpenAIOptions {
  /** e.g. http://127.0.0.1:8080/v1 ("/v1" is added when missing). */
  baseUrl: string;
  apiKey?: string;
  contextWindow?: number;
  jsonMode?: JsonMode;
  /** Stream answers (SSE). Default true; onToken is called per piece. */
  stream?: boolean;
  /** Milliseconds before a request is abandoned as a timeout. Default 120 000. */
  timeoutMs?: number;
  /** Whether the server returns log-probabilities (OpenAI, llama.cpp, vLLM do). Default true. */
  logprobs?: boolean;
  /**
   * Ask for several samples in one request (`n`; OpenAI and vLLM support it). Default true; a
   * server that rejects `n` (llama.cpp) is then sent one request per sample from then on.
   */
  multiSample?: boolean;
  fetch?: typeof fetch;
}

export const DEFAULT_CONTEXT_WINDOW = 4096;

/** An error answer from the server, coded by its status (401 → unauthorized, 404 model → model-not-found, ...). */
export class HttpError extends EngineError {
  constructor(readonly status: number, readonly url: string, readonly body: string, model?: string) {
    const code = httpErrorCode(status, body);
    super(code, `HTTP ${status} from ${url}: ${body.slice(0, 300)}`, {
      userMessage: code === 'model-not-found' && model
        ? `The model server has no model named "${model}". Check the model name against the models the server offers.`
        : undefined,
    });
  }
}

function normalizeBase(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/v\d+$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
}

interface Timed {
  signal: AbortSignal;
  timedOut: () => boolean;
  done: () => void;
}

function withTimeout(ms: number, user?: AbortSignal): Timed {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, ms);
  const onAbort = () => controller.abort(user?.reason);
  if (user?.aborted) onAbort();
  user?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      user?.removeEventListener('abort', onAbort);
    },
  };
}

interface WireLogprob {
  token: string;
  logprob: number;
  top_logprobs?: { token: string; logprob: number }[];
}

function toLogprobs(content: WireLogprob[] | undefined): TokenLogprob[] {
  return (content ?? []).map((t) => ({ token: t.token, logprob: t.logprob, top: (t.top_logprobs ?? []).map((a) => ({ token: a.token, logprob: a.logprob })) }));
}

/** JSON from the server; text that is not JSON is an unreadable answer (transient), not a missing file. */
function parseAnswer(text: string, from: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EngineError('bad-response', `${from} sent text that is not JSON: ${text.slice(0, 200)}`, { cause: e });
  }
}

function finish(reason: string | null | undefined): ChatResult['finishReason'] {
  return reason === 'length' ? 'length' : 'stop';
}

export class OpenAIChatEngine implements ChatEngine {
  readonly info: EngineInfo;
  private jsonMode: JsonMode;
  private tokenizeAvailable: boolean | undefined;
  private readonly base: string;
  private readonly fetcher: typeof fetch;

  constructor(private readonly options: OpenAIOptions, model: string, contextWindow: number) {
    this.base = normalizeBase(options.baseUrl);
    this.fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.jsonMode = options.jsonMode ?? 'auto';
    this.info = {
      kind: 'openai', model, contextWindow, constrainedJson: this.jsonMode !== 'off', logprobs: options.logprobs ?? true,
      multiSample: options.multiSample ?? true,
    };
  }

  private headers(): Record<string, string> {
    return { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) };
  }

  private async post(url: string, body: unknown, user?: AbortSignal): Promise<{ response: Response; timed: Timed }> {
    const timed = withTimeout(this.options.timeoutMs ?? 120_000, user);
    try {
      const response = await this.fetcher(url, { method: 'POST', headers: this.headers(), body: JSON.stringify(body), signal: timed.signal });
      return { response, timed };
    } catch (e) {
      timed.done();
      throw this.classify(e, timed, user, url);
    }
  }

  private classify(e: unknown, timed: Timed, user: AbortSignal | undefined, url: string): EngineError {
    if (e instanceof EngineError) return e;
    if (user?.aborted) return new EngineError('aborted', 'request cancelled', { cause: e });
    if (timed.timedOut()) return new EngineError('timeout', `no complete answer from ${url} within ${this.options.timeoutMs ?? 120_000} ms`, { cause: e });
    const err = toEngineError(e);
    return new EngineError(err.code === 'unknown' ? 'http' : err.code, `could not reach ${url}: ${err.message}`, {
      cause: e, userMessage: `Could not reach the model server at ${this.base}. Check that it is running and the URL is right.`,
    });
  }

  private responseFormat(schema: Record<string, unknown> | undefined): unknown {
    if (!schema || this.jsonMode === 'off') return undefined;
    if (this.jsonMode === 'json_object') return { type: 'json_object' };
    return { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } };
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    checkChatRequest(request, this.info);
    const n = request.n ?? 1;
    if (n > 1 && !this.info.multiSample) return this.oneByOne(request, n);
    for (;;) {
      try {
        return await this.send(request);
      } catch (e) {
        if (n > 1 && e instanceof HttpError && e.status === 400 && /\bn\b|choice/i.test(e.body)) {
          this.info.multiSample = false;
          return this.oneByOne(request, n);
        }
        // "auto": a server that rejects the response_format gets a simpler one, from then on.
        const rejectedFormat = e instanceof HttpError && e.status === 400 && request.jsonSchema !== undefined
          && (this.options.jsonMode ?? 'auto') === 'auto' && this.jsonMode !== 'off'
          && /response_format|json_schema|json_object|grammar|schema/i.test(e.body);
        if (!rejectedFormat) throw e;
        this.jsonMode = this.jsonMode === 'json_object' ? 'off' : 'json_object';
        if (this.jsonMode === 'off') this.info.constrainedJson = false;
      }
    }
  }

  /** n samples as n requests, seeded as the engine interface promises (seed + i·1 000 003). */
  private async oneByOne(request: ChatRequest, n: number): Promise<ChatResult> {
    const results: ChatResult[] = [];
    for (let i = 0; i < n; i++) {
      const seed = request.seed === undefined ? undefined : request.seed + i * SAMPLE_SEED_STRIDE;
      results.push(await this.chat({ ...request, n: 1, seed, onToken: i === 0 ? request.onToken : undefined }));
    }
    const [first] = results;
    return {
      ...first,
      usage: {
        promptTokens: results.reduce((t, r) => t + r.usage.promptTokens, 0),
        completionTokens: results.reduce((t, r) => t + r.usage.completionTokens, 0),
      },
      choices: results.map((r) => ({ text: r.text, finishReason: r.finishReason, logprobs: r.logprobs })),
    };
  }

  private async send(request: ChatRequest): Promise<ChatResult> {
    const stream = this.options.stream ?? true;
    const url = `${this.base}/chat/completions`;
    const body = {
      model: this.info.model,
      messages: request.messages,
      temperature: request.temperature,
      seed: request.seed,
      max_tokens: request.maxTokens,
      response_format: this.responseFormat(request.jsonSchema),
      ...(request.logprobs && this.info.logprobs ? { logprobs: true, top_logprobs: Math.min(5, request.topLogprobs ?? 5) } : {}),
      ...((request.n ?? 1) > 1 ? { n: request.n } : {}),
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    };
    const started = Date.now();
    const { response, timed } = await this.post(url, body, request.signal);
    try {
      if (!response.ok) throw new HttpError(response.status, url, await response.text().catch(() => ''), this.info.model);
      if (!stream) {
        const json = parseAnswer(await response.text(), url) as {
          choices?: { index?: number; message?: { content?: string }; finish_reason?: string; logprobs?: { content?: WireLogprob[] } }[];
          usage?: { prompt_tokens?: number; completion_tokens?: number };
        };
        if (!json.choices?.length) throw new EngineError('bad-response', `the server at ${url} answered without choices`);
        const choices: ChatChoice[] = [...json.choices].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((c) => ({
          text: c.message?.content ?? '', finishReason: finish(c.finish_reason),
          logprobs: c.logprobs?.content ? toLogprobs(c.logprobs.content) : undefined,
        }));
        request.onToken?.(choices[0].text);
        return this.result(choices, json.usage, request, started, undefined);
      }
      return await this.readStream(response, request, started);
    } catch (e) {
      throw this.classify(e, timed, request.signal, url);
    } finally {
      timed.done();
    }
  }

  private async readStream(response: Response, request: ChatRequest, started: number): Promise<ChatResult> {
    if (!response.body) throw new EngineError('bad-response', 'the server sent no stream body');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let wireUsage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
    let firstTokenAt: number | undefined;
    // One accumulator per choice index (several when n > 1).
    const acc: { text: string; reason?: string | null; logprobs: WireLogprob[]; sawLogprobs: boolean }[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') continue;
        const chunk = parseAnswer(data, 'the stream') as {
          choices?: { index?: number; delta?: { content?: string }; finish_reason?: string | null; logprobs?: { content?: WireLogprob[] } }[];
          usage?: { prompt_tokens?: number; completion_tokens?: number };
          error?: { message?: string };
        };
        if (chunk.error) {
          // Classified by its words (a context overflow, ...); anything else is the server failing mid-answer.
          const detail = `the server reported an error mid-stream: ${chunk.error.message ?? JSON.stringify(chunk.error)}`;
          const code = toEngineError(detail).code;
          throw new EngineError(code === 'unknown' ? 'server-error' : code, detail);
        }
        if (chunk.usage) wireUsage = chunk.usage;
        for (const choice of chunk.choices ?? []) {
          const index = choice.index ?? 0;
          const a = (acc[index] ??= { text: '', logprobs: [], sawLogprobs: false });
          const delta = choice.delta?.content ?? '';
          if (delta) {
            firstTokenAt ??= Date.now();
            a.text += delta;
            if (index === 0) request.onToken?.(delta);
          }
          if (choice.logprobs?.content) {
            a.sawLogprobs = true;
            a.logprobs.push(...choice.logprobs.content);
          }
          if (choice.finish_reason) a.reason = choice.finish_reason;
        }
      }
    }
    if (!acc.length) acc.push({ text: '', logprobs: [], sawLogprobs: false });
    const choices: ChatChoice[] = Array.from(acc, (a) => ({
      text: a?.text ?? '', finishReason: finish(a?.reason), logprobs: a?.sawLogprobs ? toLogprobs(a.logprobs) : undefined,
    }));
    return this.result(choices, wireUsage, request, started, firstTokenAt);
  }

  private result(choices: ChatChoice[], wire: { prompt_tokens?: number; completion_tokens?: number } | undefined, request: ChatRequest, started: number, firstTokenAt: number | undefined): ChatResult {
    const [first] = choices;
    return {
      text: first.text, finishReason: first.finishReason, logprobs: first.logprobs,
      usage: this.usage(wire, request, choices.map((c) => c.text).join(''), started, firstTokenAt),
      choices: choices.length > 1 ? choices : undefined,
    };
  }

  private usage(wire: { prompt_tokens?: number; completion_tokens?: number } | undefined, request: ChatRequest, text: string, started: number, firstTokenAt: number | undefined): Usage {
    // Servers that report no usage get the estimate.
    const promptTokens = wire?.prompt_tokens ?? request.messages.reduce((s, m) => s + estimateTokens(m.content), 0);
    const completionTokens = wire?.completion_tokens ?? estimateTokens(text);
    const end = Date.now();
    const decodeMs = end - (firstTokenAt ?? started);
    return {
      promptTokens, completionTokens,
      timeToFirstTokenMs: firstTokenAt === undefined ? undefined : firstTokenAt - started,
      decodeTokensPerSecond: decodeMs > 0 ? (completionTokens * 1000) / decodeMs : undefined,
    };
  }

  /** llama.cpp's /tokenize when present; otherwise the estimate. */
  async countTokens(text: string): Promise<number> {
    if (this.tokenizeAvailable !== false) {
      const url = `${this.base.replace(/\/v\d+$/, '')}/tokenize`;
      try {
        const { response, timed } = await this.post(url, { content: text });
        timed.done();
        if (response.ok) {
          const json = await response.json() as { tokens?: unknown[] };
          if (Array.isArray(json.tokens)) {
            this.tokenizeAvailable = true;
            return json.tokens.length;
          }
        }
        if (this.tokenizeAvailable === undefined) this.tokenizeAvailable = false;
      } catch {
        if (this.tokenizeAvailable === undefined) this.tokenizeAvailable = false;
      }
    }
    return estimateTokens(text);
  }

  /** Whether countTokens uses the server's tokenizer (true) or the estimate (false); undefined before the first count. */
  get exactTokenCounts(): boolean | undefined {
    return this.tokenizeAvailable;
  }
}

export class OpenAIEngine implements Engine {
  readonly kind = 'openai' as const;
  private loaded: OpenAIChatEngine | undefined;

  constructor(private readonly options: OpenAIOptions) {}

  /** Checks the server (GET /models) and reads the context window from its metadata when offered. */
  async load(model: string, options: LoadOptions = {}): Promise<ChatEngine> {
    const base = normalizeBase(this.options.baseUrl);
    const fetcher = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    const timed = withTimeout(this.options.timeoutMs ?? 30_000, options.signal);
    let contextWindow = this.options.contextWindow;
    options.onProgress?.({ progress: 0, text: `Connecting to ${base}` });
    try {
      const response = await fetcher(`${base}/models`, {
        headers: this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}, signal: timed.signal,
      });
      if (response.status === 401 || response.status === 403) throw new HttpError(response.status, `${base}/models`, await response.text().catch(() => ''));
      if (response.ok && contextWindow === undefined) {
        const json = await response.json() as { data?: { id?: string; max_model_len?: number; meta?: { n_ctx_train?: number; n_ctx?: number } }[] };
        const entry = json.data?.find((m) => m.id === model) ?? (json.data?.length === 1 ? json.data[0] : undefined);
        contextWindow = entry?.max_model_len ?? entry?.meta?.n_ctx ?? entry?.meta?.n_ctx_train;
      }
    } catch (e) {
      if (e instanceof EngineError) throw e;
      if (options.signal?.aborted) throw new EngineError('aborted', 'loading cancelled', { cause: e });
      if (timed.timedOut()) throw new EngineError('timeout', `no answer from ${base}/models`, { cause: e });
      throw new EngineError('http', `could not reach ${base}: ${(e as Error).message}`, {
        cause: e, userMessage: `Could not reach the model server at ${base}. Check that it is running and the URL is right.`,
      });
    } finally {
      timed.done();
    }
    options.onProgress?.({ progress: 1, text: `Connected to ${base}` });
    this.loaded = new OpenAIChatEngine(this.options, model, contextWindow ?? DEFAULT_CONTEXT_WINDOW);
    return this.loaded;
  }

  async unload(): Promise<void> {
    this.loaded = undefined;
  }
}
