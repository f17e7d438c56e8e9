// WebLLM adapter: the page side of WebLLM's own worker protocol (WebWorkerMLCEngine talking
// to WebWorkerMLCEngineHandler in workers/webllm.worker.ts). Kept thin and by the book: it
// translates Attune's ChatRequest to WebLLM's documented OpenAI-style fields and back. What it
// adds is the worker's life cycle, because WebLLM cannot always be stopped: a cancelled request
// settles at once, a worker still busy after an interrupt is replaced (the model reloads from
// the cache), and unloading ends within UNLOAD_TIMEOUT_MS even while the GPU queue is busy.

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
import { UNLOAD_TIMEOUT_MS, type ChatEngine, type ChatRequest, type ChatResult, type Engine, type EngineInfo, type LoadOptions, type LoadProgress, type TokenLogprob, type Usage } from './engine';
import { EngineError, toEngineError } from './errors';
import { estimateTokens } from './tokens';
import { checkChatRequest } from './request';
import { MIB } from '../lib/bytes';
import { WEBLLM_DEFAULT_CONTEXT_WINDOW } from './catalog';


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
    overrides: { context_window_size: m.contextWindow ?? WEBLLM_DEFAULT_CONTEXT_WINDOW },
  }));
  const customIds = new Set(records.map((r) => r.model_id));
  return {
    model_list: [...records, ...prebuiltAppConfig.model_list.filter((r) => !customIds.has(r.model_id))],
    cacheBackend,
  };
}

export function contextWindowOf(record: ModelRecord | undefined): number {
  const size = record?.overrides?.context_window_size;
  return typeof size === 'number' && size > 0 ? size : WEBLLM_DEFAULT_CONTEXT_WINDOW;
}

/** WebLLM reports e.g. "Fetching param cache[3/20]: 412MB fetched. 18% completed, 9 secs elapsed." */
export function toLoadProgress(report: InitProgressReport, totalBytes?: number): LoadProgress {
  const mb = /(\d+(?:\.\d+)?)\s*MB (?:fetched|loaded)/i.exec(report.text);
  const loadedBytes = mb ? Math.round(Number(mb[1]) * MIB) : undefined;
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

/** WebWorkerMLCEngine as far as a loaded model's requests need it. */
export type MLCChat = Pick<WebWorkerMLCEngine, 'chat' | 'interruptGenerate'>;

/** Changes of the engine's life the app tells the person about. */
export type WebLLMLifecycle =
  | { state: 'restarting'; model: string }
  | { state: 'restarted'; model: string }
  | { state: 'restart-failed'; model: string; error: EngineError }
  | { state: 'unloading'; model: string }
  | { state: 'unloaded'; model: string; forced: boolean };

/** How long (ms) WebLLM may stay busy after an interrupt before its worker is replaced. */
export const STOP_TIMEOUT_MS = 3000;

export interface WebLLMEngineOptions {
  customModels?: WebLLMCustomModel[];
  cacheBackend?: CacheBackend;
  createWorker?: () => Worker;
  /** Total download size, when known, so progress can report bytes of a total. */
  expectedBytes?: (modelId: string) => number | undefined;
  stopTimeoutMs?: number;
  unloadTimeoutMs?: number;
  onLifecycle?: (event: WebLLMLifecycle) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Session {
  model: string;
  worker: Worker;
  engine: WebWorkerMLCEngine;
}

export class WebLLMEngine implements Engine {
  readonly kind = 'webllm' as const;
  private session: Session | undefined;
  private chat: WebLLMChatEngine | undefined;
  private restarting: Promise<MLCChat> | null = null;

  constructor(private options: WebLLMEngineOptions = {}) {}

  appConfig(): AppConfig {
    return buildAppConfig(this.options.customModels, this.options.cacheBackend, globalThis.location?.href);
  }

  /** A new worker with the model loaded (downloaded, or read from the cache). */
  private async start(model: string, appConfig: AppConfig, options: LoadOptions): Promise<Session> {
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
    return { model, worker, engine };
  }

  async load(model: string, options: LoadOptions = {}): Promise<ChatEngine> {
    await this.unload();
    if (options.signal?.aborted) throw new EngineError('aborted');
    if (!globalThis.navigator?.gpu) throw new EngineError('no-webgpu', 'navigator.gpu is undefined');
    const appConfig = this.appConfig();
    const record = appConfig.model_list.find((r) => r.model_id === model);
    if (!record) throw new EngineError('missing-files', `unknown model id ${model}`, { userMessage: `"${model}" is neither a catalog model nor a custom model added on the Models screen.` });

    this.session = await this.start(model, appConfig, options);
    this.chat = new WebLLMChatEngine(this.session.engine, {
      kind: 'webllm',
      model,
      contextWindow: contextWindowOf(record),
      constrainedJson: true,
      logprobs: true,
    }, { stopTimeoutMs: this.options.stopTimeoutMs ?? STOP_TIMEOUT_MS, restart: () => this.restart() });
    return this.chat;
  }

  /**
   * Replaces a worker that stays busy after an interrupt (WebLLM checks for one only between
   * decode steps, so a long prefill runs to its end): the worker is terminated and a fresh one
   * loads the same model, from the cache this time.
   */
  private restart(): Promise<MLCChat> {
    this.restarting ??= (async () => {
      const old = this.session;
      if (!old) throw new EngineError('no-model', 'the model was unloaded');
      const { model } = old;
      this.options.onLifecycle?.({ state: 'restarting', model });
      old.worker.terminate();
      try {
        const session = await this.start(model, this.appConfig(), {});
        if (this.session !== old) {
          // Unloaded (or another model loaded) meanwhile: this one is not wanted any more.
          session.worker.terminate();
          throw new EngineError('no-model', 'the model was unloaded during its restart');
        }
        this.session = session;
        this.options.onLifecycle?.({ state: 'restarted', model });
        return session.engine;
      } catch (e) {
        const error = toEngineError(e);
        if (this.session === old) this.session = undefined;
        this.options.onLifecycle?.({ state: 'restart-failed', model, error });
        throw error;
      } finally {
        this.restarting = null;
      }
    })();
    return this.restarting;
  }

  /** Frees the model; after unloadTimeoutMs the worker is terminated even if WebLLM has not answered. */
  async unload(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.chat?.close();
    this.chat = undefined;
    if (!session) return;
    const { model } = session;
    this.options.onLifecycle?.({ state: 'unloading', model });
    const answered = await Promise.race([
      session.engine.unload().then(() => true, () => true), // a failed unload still ends with the worker gone
      sleep(this.options.unloadTimeoutMs ?? UNLOAD_TIMEOUT_MS).then(() => false),
    ]);
    session.worker.terminate();
    this.options.onLifecycle?.({ state: 'unloaded', model, forced: !answered });
  }
}

export interface RestartPolicy {
  /** How long an interrupted request may keep the engine busy before `restart` is called. */
  stopTimeoutMs: number;
  /** Replaces the busy engine with a fresh one holding the same model. */
  restart: () => Promise<MLCChat>;
}

/**
 * The loaded model. A cancelled request settles at once with EngineError 'aborted', whatever
 * WebLLM is doing; WebLLM is asked to stop, and the next request waits until it has (or until,
 * with a restart policy, the engine was replaced because it did not stop in time).
 */
export class WebLLMChatEngine implements ChatEngine {
  /** Settles when the engine can take a new request. */
  private free: Promise<void> = Promise.resolve();
  /** Fails the requests still waiting on an engine that is being replaced or unloaded. */
  private waiting = new Set<(error: EngineError) => void>();
  private closed = false;

  constructor(
    private engine: MLCChat,
    readonly info: EngineInfo,
    private policy?: RestartPolicy,
  ) {}

  async chat(request: ChatRequest): Promise<ChatResult> {
    checkChatRequest(request, this.info);
    if (request.signal?.aborted) throw new EngineError('aborted');
    await this.free;
    if (this.closed) throw new EngineError('no-model', 'the model was unloaded');
    if (request.signal?.aborted) throw new EngineError('aborted');
    const engine = this.engine;
    let cancelled = false;
    const work = (async () => {
      const chunks = await engine.chat.completions.create(toWebLLMRequest(request));
      // Tokens that still arrive after Cancel belong to nobody.
      return collectStream(chunks, (delta) => cancelled || request.onToken?.(delta));
    })();
    return new Promise<ChatResult>((resolve, reject) => {
      const fail = (error: EngineError) => reject(error);
      const onAbort = () => {
        cancelled = true;
        void engine.interruptGenerate();
        reject(new EngineError('aborted'));
        this.waitUntilStopped(work);
      };
      this.waiting.add(fail);
      request.signal?.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, (e) => reject(toEngineError(e))).finally(() => {
        this.waiting.delete(fail);
        request.signal?.removeEventListener('abort', onAbort);
      });
    });
  }

  /** The next request waits for the interrupted one to end, or for the engine's replacement. */
  private waitUntilStopped(work: Promise<unknown>): void {
    const ended = work.then(() => true, () => true);
    const policy = this.policy;
    const before = this.free;
    this.free = (async () => {
      await before.catch(() => undefined);
      if (!policy) {
        await ended;
        return;
      }
      if (await Promise.race([ended, sleep(policy.stopTimeoutMs).then(() => false)])) return;
      // Requests queued behind the stuck one on the old worker will never be answered.
      for (const fail of this.waiting) fail(new EngineError('timeout', 'the engine was restarted', { userMessage: 'The model was restarted while this request waited; ask again.' }));
      this.engine = await policy.restart();
    })();
  }

  /** The model was unloaded: requests still running fail with 'no-model', and so do later ones. */
  close(): void {
    this.closed = true;
    for (const fail of this.waiting) fail(new EngineError('no-model', 'the model was unloaded'));
  }

  /** WebLLM exposes no tokenizer: the estimate, which errs high so budgets stay safe. */
  async countTokens(text: string): Promise<number> {
    return estimateTokens(text);
  }
}
