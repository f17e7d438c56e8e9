// WebLLM adapter: the page side of WebLLM's own worker protocol (WebWorkerMLCEngine talking
// to WebWorkerMLCEngineHandler in workers/webllm.worker.ts). Kept thin and by the book: it
// only translates Attune's ChatRequest to WebLLM's documented OpenAI-style fields and back.

import {
  WebWorkerMLCEngine,
  prebuiltAppConfig,
  type AppConfig,
  type ChatCompletionChunk,
  type ChatCompletionRequestStreaming,
  type CompletionUsage,
  type InitProgressReport,
  type ModelRecord,
} from '@mlc-ai/web-llm';
import type { ChatEngine, ChatRequest, ChatResult, Engine, EngineInfo, LoadOptions, LoadProgress, TokenLogprob, Usage } from './engine';
import { EngineError, toEngineError } from './errors';
import { estimateTokens } from './tokens';
import { checkChatRequest } from './request';

export const DEFAULT_CONTEXT_WINDOW = 4096;

/** A model that is not in WebLLM's prebuilt list: weights folder URL + compiled model library URL. */
export interface WebLLMCustomModel {
  modelId: string;
  /** Folder of MLC weights; WebLLM appends `resolve/main/` to it. */
  modelUrl: string;
  /** The compiled model library (.wasm) for this WebLLM version. */
  modelLibUrl: string;
  contextWindow?: number;
}

export type CacheBackend = 'cache' | 'indexeddb' | 'opfs';

/** WebLLM's prebuilt models plus the user's custom ones. Custom URLs are made absolute. */
export function buildAppConfig(custom: WebLLMCustomModel[] = [], cacheBackend: CacheBackend = 'cache', base?: string): AppConfig {
  const abs = (u: string) => (base ? new URL(u, base).href : u);
  const records: ModelRecord[] = custom.map((m) => ({
    model_id: m.modelId,
    model: abs(m.modelUrl),
    model_lib: abs(m.modelLibUrl),
    overrides: { context_window_size: m.contextWindow ?? DEFAULT_CONTEXT_WINDOW },
  }));
  const customIds = new Set(records.map((r) => r.model_id));
  return {
    model_list: [...records, ...prebuiltAppConfig.model_list.filter((r) => !customIds.has(r.model_id))],
    cacheBackend,
  };
}

export function contextWindowOf(record: ModelRecord | undefined): number {
  const size = record?.overrides?.context_window_size;
  return typeof size === 'number' && size > 0 ? size : DEFAULT_CONTEXT_WINDOW;
}

/** WebLLM reports e.g. "Fetching param cache[3/20]: 412MB fetched. 18% completed, 9 secs elapsed." */
export function toLoadProgress(report: InitProgressReport, totalBytes?: number): LoadProgress {
  const mb = /(\d+(?:\.\d+)?)\s*MB (?:fetched|loaded)/i.exec(report.text);
  const loadedBytes = mb ? Math.round(Number(mb[1]) * 1024 * 1024) : undefined;
  return { progress: Math.max(0, Math.min(1, report.progress)), text: report.text, loadedBytes, totalBytes };
}

export function toWebLLMRequest(request: ChatRequest): ChatCompletionRequestStreaming {
  const body: ChatCompletionRequestStreaming = {
    messages: request.messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.jsonSchema) body.response_format = { type: 'json_object', schema: JSON.stringify(request.jsonSchema) };
  if (request.logprobs) {
    body.logprobs = true;
    body.top_logprobs = Math.min(5, Math.max(0, request.topLogprobs ?? 0));
  }
  return body;
}

export function toUsage(usage: CompletionUsage | undefined, completionFallback: number): Usage {
  if (!usage) return { promptTokens: 0, completionTokens: completionFallback };
  const extra = usage.extra;
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    timeToFirstTokenMs: extra?.time_to_first_token_s !== undefined ? extra.time_to_first_token_s * 1000 : undefined,
    decodeTokensPerSecond: extra?.decode_tokens_per_s,
    prefillTokensPerSecond: extra?.prefill_tokens_per_s,
  };
}

/** Folds WebLLM's stream into Attune's result, calling onToken per piece. */
export async function collectStream(chunks: AsyncIterable<ChatCompletionChunk>, onToken?: (delta: string) => void): Promise<ChatResult> {
  let text = '';
  let pieces = 0;
  let finish: ChatResult['finishReason'] = 'stop';
  let usage: CompletionUsage | undefined;
  const logprobs: TokenLogprob[] = [];
  for await (const chunk of chunks) {
    const choice = chunk.choices[0];
    const delta = choice?.delta?.content;
    if (delta) {
      text += delta;
      pieces++;
      onToken?.(delta);
    }
    for (const lp of choice?.logprobs?.content ?? []) {
      logprobs.push({ token: lp.token, logprob: lp.logprob, top: lp.top_logprobs.map((t) => ({ token: t.token, logprob: t.logprob })) });
    }
    if (choice?.finish_reason === 'length' || choice?.finish_reason === 'abort') finish = choice.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, finishReason: finish, usage: toUsage(usage, pieces), logprobs: logprobs.length ? logprobs : undefined };
}

/**
 * Load errors, classified with the generic rules first. What stays unclassified during a load
 * is, in practice, the runtime calling into a model library that lacks what it expects (a
 * library compiled for another WebLLM version fails as "Cannot read properties of undefined"
 * or "... is not a function" inside tvmjs), so it is reported as a library mismatch.
 */
export function toLoadError(e: unknown, offlineNow = false): EngineError {
  const error = toEngineError(e, { offlineNow });
  if (error.code === 'unknown' && /TypeError: (Cannot read properties of (undefined|null)|.* is not a function)/.test(error.message)) {
    return new EngineError('library-mismatch', error.message, { cause: e });
  }
  return error;
}

function createDefaultWorker(): Worker {
  return new Worker(new URL('../../workers/webllm.worker.ts', import.meta.url), { type: 'module', name: 'webllm' });
}

export interface WebLLMEngineOptions {
  customModels?: WebLLMCustomModel[];
  cacheBackend?: CacheBackend;
  createWorker?: () => Worker;
  /** Total download size, when known, so progress can report bytes of a total. */
  expectedBytes?: (modelId: string) => number | undefined;
}

export class WebLLMEngine implements Engine {
  readonly kind = 'webllm' as const;
  private worker: Worker | undefined;
  private engine: WebWorkerMLCEngine | undefined;

  constructor(private options: WebLLMEngineOptions = {}) {}

  appConfig(): AppConfig {
    return buildAppConfig(this.options.customModels, this.options.cacheBackend, globalThis.location?.href);
  }

  async load(model: string, options: LoadOptions = {}): Promise<ChatEngine> {
    await this.unload();
    if (options.signal?.aborted) throw new EngineError('aborted');
    if (!globalThis.navigator?.gpu) throw new EngineError('no-webgpu', 'navigator.gpu is undefined');
    const appConfig = this.appConfig();
    const record = appConfig.model_list.find((r) => r.model_id === model);
    if (!record) throw new EngineError('missing-files', `unknown model id ${model}`, { userMessage: `"${model}" is neither a catalog model nor a custom model added on the Models screen.` });

    const worker = (this.options.createWorker ?? createDefaultWorker)();
    const totalBytes = this.options.expectedBytes?.(model);
    const engine = new WebWorkerMLCEngine(worker, {
      appConfig,
      initProgressCallback: (report) => options.onProgress?.(toLoadProgress(report, totalBytes)),
    });
    // Cancelling a download: WebLLM's reload has no abort across the worker, so the worker
    // goes; whatever was fully fetched stays in the cache for next time.
    let onAbort: () => void = () => {};
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => reject(new EngineError('aborted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      worker.addEventListener('error', (e) => reject(toEngineError(e.message || 'the WebLLM worker failed to start')), { once: true });
    });
    try {
      await Promise.race([engine.reload(model), stopped]);
    } catch (e) {
      worker.terminate();
      throw toLoadError(e, globalThis.navigator?.onLine === false);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    this.worker = worker;
    this.engine = engine;
    return new WebLLMChatEngine(engine, {
      kind: 'webllm',
      model,
      contextWindow: contextWindowOf(record),
      constrainedJson: true,
      logprobs: true,
    });
  }

  async unload(): Promise<void> {
    const engine = this.engine;
    const worker = this.worker;
    this.engine = undefined;
    this.worker = undefined;
    if (engine) await engine.unload().catch(() => undefined); // the worker goes anyway
    worker?.terminate();
  }
}

/** The loaded model. Needs only the part of WebWorkerMLCEngine it calls. */
export class WebLLMChatEngine implements ChatEngine {
  constructor(
    private engine: Pick<WebWorkerMLCEngine, 'chat' | 'interruptGenerate'>,
    readonly info: EngineInfo,
  ) {}

  async chat(request: ChatRequest): Promise<ChatResult> {
    checkChatRequest(request, this.info);
    if (request.signal?.aborted) throw new EngineError('aborted');
    const interrupt = () => void this.engine.interruptGenerate();
    request.signal?.addEventListener('abort', interrupt, { once: true });
    try {
      const chunks = await this.engine.chat.completions.create(toWebLLMRequest(request));
      return await collectStream(chunks, request.onToken);
    } catch (e) {
      throw toEngineError(e);
    } finally {
      request.signal?.removeEventListener('abort', interrupt);
    }
  }

  /** WebLLM exposes no tokenizer: the estimate, which errs high so budgets stay safe. */
  async countTokens(text: string): Promise<number> {
    return estimateTokens(text);
  }
}
