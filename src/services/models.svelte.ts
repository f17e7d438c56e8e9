// The app's one model manager: what this machine can run, which models are cached, the
// engine currently selected and its loaded ChatEngine. Screens read its $state fields;
// the evaluating screens take the loaded engine through engine-choice.svelte.ts's loadedEngine().

import { UNLOAD_TIMEOUT_MS, type ChatEngine, type Engine, type EngineInfo, type EngineKind, type LoadProgress } from '../llm/engine';
import { assessCapabilities, probeCapabilities, type Capabilities } from '../llm/capabilities';
import { catalogFor, findCatalogModel, suggestDefault, TRANSFORMERS_FALLBACK, type CatalogChoice, type Suggestion } from '../llm/catalog';
import { EngineError, toEngineError } from '../llm/errors';
import { createEngine, type EngineChoice } from '../llm/registry';
import type { WebLLMLifecycle } from '../llm/webllm';
import { webllmTestWorker } from './test-webllm-worker';
import { MIB } from '../lib/bytes';
import {
  parseCustomModels,
  requestPersistence,
  PhaseClock,
  sideload,
  sideloadPlan,
  splitFolderUrl,
  storageFigures,
  transformersDelete,
  transformersIsCached,
  webllmDelete,
  webllmIsCached,
  type CustomModel,
  type StorageFigures,
} from './models';

const CUSTOM_KEY = 'attune.models.custom';
/** The test prompt's answer limit. */
export const TEST_TOKENS = 12;
const OPENAI_KEY = 'attune.models.openai';

/** What can be loaded: a catalog WebLLM model, the CPU fallback, or a custom model. */
export type ModelTarget =
  | { engine: 'webllm'; modelId: string }
  | { engine: 'transformers'; modelId: string; custom?: Extract<CustomModel, { engine: 'transformers' }> }
  | { engine: 'openai'; modelId: string };

/** 'unloading' lasts until the engine has let go of the model (bounded by its timeout). */
export type ModelStatus = 'idle' | 'loading' | 'ready' | 'unloading' | 'error';

export interface EngineNotice {
  /** 'busy' while the engine restarts (requests wait for it); 'info' once it is over. */
  tone: 'busy' | 'info';
  text: string;
}

export interface ShownError {
  code: string;
  message: string;
}

export interface Download extends LoadProgress {
  target: string;
  secondsLeft?: number;
}

export interface OpenAISettings {
  enabled: boolean;
  baseUrl: string;
  apiKey: string;
  model: string;
}

function shown(e: unknown): ShownError {
  const err = toEngineError(e, { offlineNow: globalThis.navigator?.onLine === false });
  console.warn('[models]', err.message, err.cause ?? '');
  return { code: err.code, message: err.userMessage };
}

function readStored(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(key) ?? null;
  } catch {
    return null; // storage disabled by the browser: nothing was stored
  }
}

/**
 * Unloads, then frees the engine's worker too where the adapter offers that. An unload that has
 * not finished within UNLOAD_TIMEOUT_MS is not waited for: the worker goes anyway.
 */
async function dispose(engine: Engine | null): Promise<void> {
  if (!engine) return;
  await Promise.race([
    engine.unload().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, UNLOAD_TIMEOUT_MS)),
  ]);
  (engine as Engine & { terminate?: () => void }).terminate?.();
}

export class ModelManager {
  capabilities = $state<Capabilities | null>(null);
  suggestion = $state<Suggestion | null>(null);
  catalog = $state<CatalogChoice[]>([]);
  customModels = $state<CustomModel[]>([]);
  /** Problems found reading stored settings, shown rather than dropped. */
  settingsProblems = $state<string[]>([]);
  cached = $state<Record<string, boolean>>({});
  /** The hosts a catalog model's download fetches from (its weights' and its library's), by model id. */
  hosts = $state<Record<string, string[]>>({});
  storage = $state<StorageFigures>({});
  current = $state<{ kind: EngineKind | null; model: string | null; status: ModelStatus; info: EngineInfo | null }>({
    kind: null,
    model: null,
    status: 'idle',
    info: null,
  });
  download = $state<Download | null>(null);
  /** What happened to the loaded engine behind the person's back (a restart after Cancel, a forced unload). */
  notice = $state<EngineNotice | null>(null);
  error = $state<ShownError | null>(null);
  busy = $state<string | null>(null);
  openai = $state<OpenAISettings>({ enabled: false, baseUrl: 'http://127.0.0.1:8080/v1', apiKey: '', model: '' });

  private engine: Engine | null = null;
  private chat: ChatEngine | null = null;
  private loadController: AbortController | null = null;
  private initialized: Promise<void> | null = null;

  constructor() {
    const { models, problems } = parseCustomModels(readStored(CUSTOM_KEY));
    this.customModels = models;
    this.settingsProblems = problems;
    const openai = readStored(OPENAI_KEY);
    if (openai) {
      try {
        this.openai = { ...this.openai, ...JSON.parse(openai), apiKey: '' };
      } catch (e) {
        this.settingsProblems.push(`OpenAI-compatible settings: stored value is not JSON (${(e as Error).message})`);
      }
    }
  }

  /** Probes the machine and the caches once; screens call it on mount. */
  init(): Promise<void> {
    this.initialized ??= (async () => {
      const caps = assessCapabilities(await probeCapabilities());
      this.capabilities = caps;
      this.catalog = catalogFor(caps);
      this.suggestion = suggestDefault(caps);
      await this.refresh();
    })();
    return this.initialized;
  }

  /** Cache status of every listed model and the storage figures. */
  async refresh(): Promise<void> {
    const appConfig = await this.webllmAppConfig();
    const status: Record<string, boolean> = {};
    await Promise.all([
      ...this.catalog.map(async (c) => (status[c.modelId] = await webllmIsCached(c.modelId, appConfig))),
      ...this.customModels.map(async (m) => {
        status[m.modelId] = m.engine === 'webllm' ? await webllmIsCached(m.modelId, appConfig) : await transformersIsCached(m.folderUrl).catch(() => false);
      }),
    ]);
    this.cached = status;
    this.hosts = Object.fromEntries(this.catalog.map((c) => {
      const record = appConfig.model_list.find((r) => r.model_id === c.modelId);
      const urls = record ? [record.model, record.model_lib] : [];
      return [c.modelId, [...new Set(urls.map((u) => new URL(u, location.href).host))]];
    }));
    this.storage = await storageFigures();
  }

  private async webllmAppConfig() {
    const { buildAppConfig } = await import('../llm/webllm');
    return buildAppConfig(this.webllmCustom(), 'cache', location.href);
  }

  private webllmCustom() {
    return this.customModels.filter((m): m is Extract<CustomModel, { engine: 'webllm' }> => m.engine === 'webllm');
  }

  /** What to ask the engine registry (llm/registry.ts) for, and the model name that engine loads. */
  private choiceFor(target: ModelTarget): { choice: EngineChoice; model: string } {
    if (target.engine === 'webllm') {
      return {
        choice: {
          kind: 'webllm',
          customModels: this.webllmCustom(),
          cacheBackend: 'cache',
          createWorker: webllmTestWorker(),
          onLifecycle: (event) => this.onLifecycle(event),
          expectedBytes: (id) => {
            const mb = findCatalogModel(id)?.downloadMB;
            return mb ? mb * MIB : undefined;
          },
        },
        model: target.modelId,
      };
    }
    if (target.engine === 'transformers') {
      if (target.custom) {
        const { localModelPath, model } = splitFolderUrl(target.custom.folderUrl, location.href);
        const dtype = target.custom.dtype && target.custom.dtype !== 'auto' ? target.custom.dtype : undefined;
        // The folder's own host is the user's chosen model host: fetch from it as a "local" path.
        return { choice: { kind: 'transformers', localModelPath, allowRemoteModels: false, dtype }, model };
      }
      // The catalog's CPU model comes from the Hugging Face hub, the one host the user chose by picking it.
      return { choice: { kind: 'transformers', allowRemoteModels: true }, model: target.modelId };
    }
    return { choice: { kind: 'openai', baseUrl: this.openai.baseUrl, apiKey: this.openai.apiKey || undefined }, model: this.openai.model };
  }

  /** Says on screen what the WebLLM engine did on its own: restarted after Cancel, unloaded by force. */
  private onLifecycle(event: WebLLMLifecycle): void {
    switch (event.state) {
      case 'restarting':
        this.notice = { tone: 'busy', text: `${event.model} did not stop when asked: restarting the engine and reloading the model from the cache…` };
        break;
      case 'restarted':
        this.notice = { tone: 'info', text: `The engine was restarted and ${event.model} reloaded from the cache, because it did not stop when asked.` };
        break;
      case 'restart-failed':
        this.chat = null;
        this.engine = null;
        this.notice = null;
        this.current = { ...this.current, status: 'error', info: null };
        this.error = shown(event.error);
        break;
      case 'unloaded':
        if (event.forced) this.notice = { tone: 'info', text: `${event.model} did not finish unloading in time; its worker was stopped anyway.` };
        break;
    }
  }

  /** Loads (downloading what is not cached) and makes the model current. */
  async load(target: ModelTarget): Promise<void> {
    this.cancel();
    await this.unload();
    const controller = new AbortController();
    this.loadController = controller;
    this.error = null;
    this.notice = null;
    this.current = { kind: target.engine, model: target.modelId, status: 'loading', info: null };
    const clock = new PhaseClock();
    this.download = { target: target.modelId, progress: 0, text: 'Starting…' };
    try {
      const { choice, model } = this.choiceFor(target);
      const engine = await createEngine(choice);
      this.engine = engine;
      const chat = await engine.load(model, {
        signal: controller.signal,
        onProgress: (p) => {
          if (this.loadController !== controller) return;
          this.download = { ...p, target: target.modelId, secondsLeft: clock.secondsLeft(p, performance.now()) };
        },
      });
      if (controller.signal.aborted) throw new EngineError('aborted');
      this.chat = chat;
      this.current = { kind: target.engine, model: target.modelId, status: 'ready', info: chat.info };
    } catch (e) {
      const error = shown(e);
      await dispose(this.engine);
      this.engine = null;
      this.current = { kind: target.engine, model: target.modelId, status: error.code === 'aborted' ? 'idle' : 'error', info: null };
      this.error = error.code === 'aborted' ? null : error;
    } finally {
      if (this.loadController === controller) this.loadController = null;
      this.download = null;
      await this.refresh().catch(() => undefined);
    }
  }

  cancel(): void {
    this.loadController?.abort();
    this.loadController = null;
  }

  /** Shows 'unloading' (on every screen, through the header) until the engine has let go. */
  async unload(): Promise<void> {
    const engine = this.engine;
    this.engine = null;
    this.chat = null;
    this.notice = null;
    if (engine) {
      this.current = { ...this.current, status: 'unloading', info: null };
      await dispose(engine);
    }
    this.current = { kind: null, model: null, status: 'idle', info: null };
  }

  /** The loaded model, for the screens that evaluate; null until one is ready. */
  chatEngine(): ChatEngine | null {
    return this.current.status === 'ready' ? this.chat : null;
  }

  async remove(target: { engine: 'webllm' | 'transformers'; modelId: string; custom?: CustomModel }): Promise<void> {
    this.error = null;
    this.busy = `Deleting ${target.modelId}`;
    try {
      if (this.current.model === target.modelId) await this.unload();
      if (target.engine === 'webllm') await webllmDelete(target.modelId, await this.webllmAppConfig());
      else if (target.custom?.engine === 'transformers') await transformersDelete(target.custom.folderUrl);
      else throw new EngineError('unknown', 'hub models are deleted with the browser cache', { userMessage: 'Clear this model with the browser\'s site data settings.' });
    } catch (e) {
      this.error = shown(e);
    } finally {
      this.busy = null;
      await this.refresh().catch(() => undefined);
    }
  }

  addCustom(model: CustomModel): void {
    this.customModels = [...this.customModels.filter((m) => m.modelId !== model.modelId), model];
    this.saveCustom();
    void this.refresh();
  }

  removeCustom(modelId: string): void {
    this.customModels = this.customModels.filter((m) => m.modelId !== modelId);
    this.saveCustom();
  }

  private saveCustom() {
    globalThis.localStorage?.setItem(CUSTOM_KEY, JSON.stringify(this.customModels));
  }

  saveOpenAI(): void {
    // The key stays in memory only: never written to storage.
    const { apiKey: _key, ...rest } = this.openai;
    globalThis.localStorage?.setItem(OPENAI_KEY, JSON.stringify(rest));
  }

  /** Copies a picked folder's files into the engine's cache so the model loads offline. */
  async sideloadFolder(model: CustomModel, files: File[], remember = true): Promise<number> {
    this.error = null;
    this.busy = `Copying files into ${model.modelId}`;
    try {
      const picked = files.map((f) => Object.assign(f, { path: f.webkitRelativePath || f.name }));
      const plan = sideloadPlan(picked, model, location.href);
      await sideload(plan, (done, total) => (this.busy = `Copying files into ${model.modelId}: ${Math.round((done / total) * 100)}%`));
      if (remember && !this.customModels.some((m) => m.modelId === model.modelId)) this.addCustom(model);
      return plan.length;
    } catch (e) {
      this.error = shown(e);
      return 0;
    } finally {
      this.busy = null;
      await this.refresh().catch(() => undefined);
    }
  }

  /** Side-loads a catalog model's folder under the URLs of WebLLM's own record for it. */
  async sideloadCatalog(modelId: string, files: File[]): Promise<number> {
    const record = (await this.webllmAppConfig()).model_list.find((r) => r.model_id === modelId);
    if (!record) {
      this.error = shown(new EngineError('missing-files', `no WebLLM record for ${modelId}`));
      return 0;
    }
    return this.sideloadFolder({ engine: 'webllm', modelId, modelUrl: record.model, modelLibUrl: record.model_lib }, files, false);
  }

  async persist(): Promise<void> {
    await requestPersistence();
    this.storage = await storageFigures();
  }

  /**
   * Streams a short reply from the loaded model (TEST_TOKENS at most: on a slow adapter every
   * token takes seconds); resolves with its tokens/s.
   */
  async testModel(prompt: string, onToken: (delta: string) => void, signal?: AbortSignal): Promise<{ text: string; tokensPerSecond: number }> {
    const chat = this.chatEngine();
    if (!chat) throw new EngineError('no-model', 'no model loaded', { userMessage: 'Load a model first.' });
    const started = performance.now();
    let first = 0;
    let pieces = 0;
    const result = await chat.chat({
      messages: [{ role: 'user', content: prompt }],
      maxTokens: TEST_TOKENS,
      temperature: 0,
      seed: 1,
      signal,
      onToken: (d) => {
        if (!first) first = performance.now();
        pieces++;
        onToken(d);
      },
    });
    const seconds = (performance.now() - (first || started)) / 1000;
    const tokens = result.usage.completionTokens || pieces;
    return { text: result.text, tokensPerSecond: result.usage.decodeTokensPerSecond ?? (seconds > 0 ? tokens / seconds : 0) };
  }
}

export const models = new ModelManager();

export { TRANSFORMERS_FALLBACK };
