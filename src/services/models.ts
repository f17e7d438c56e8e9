// Model management that needs no UI framework: cache status and deletion through each
// engine's own cache layout, side-loading a folder into those caches, storage figures, and
// the arithmetic behind a progress bar. The reactive state lives in models.svelte.ts.

import type { AppConfig } from '@mlc-ai/web-llm';
import { EngineError, toEngineError } from '../llm/errors';

/** WebLLM's Cache API names (web-llm 0.2.86, cacheBackend "cache"). */
export const WEBLLM_CACHES = { config: 'webllm/config', wasm: 'webllm/wasm', model: 'webllm/model' } as const;
/** Transformers.js' browser cache (env.cacheKey). */
export const TRANSFORMERS_CACHE = 'transformers-cache';

export type CustomModel =
  | { engine: 'webllm'; modelId: string; modelUrl: string; modelLibUrl: string; contextWindow?: number }
  | { engine: 'transformers'; modelId: string; folderUrl: string; dtype?: TransformersDtype };

export type TransformersDtype = 'auto' | 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16';

/** WebLLM reads `${model}/resolve/main/${file}` (it appends resolve/main/ unless present). */
export function webllmFileBase(modelUrl: string, base: string): string {
  let url = new URL(modelUrl, base).href;
  if (!url.endsWith('/')) url += '/';
  if (!url.endsWith('resolve/main/')) url += 'resolve/main/';
  return url;
}

/** Transformers.js, given localModelPath "/a/" and model "m", asks for "/a/m/<file>". */
export function splitFolderUrl(folderUrl: string, base: string): { localModelPath: string; model: string; absolute: string } {
  const url = new URL(folderUrl.endsWith('/') ? folderUrl : `${folderUrl}/`, base);
  const parts = url.pathname.split('/').filter(Boolean);
  const model = parts.pop();
  if (!model) throw new EngineError('missing-files', `no model folder in ${folderUrl}`, { userMessage: 'The folder URL must name the model folder, e.g. https://example.org/models/my-model/.' });
  const folder = `/${parts.map((p) => `${p}/`).join('')}`;
  // Same-origin folders are given as a path, the form Transformers.js resolves like its own default.
  const localModelPath = url.origin === new URL(base).origin ? folder : `${url.origin}${folder}`;
  return { localModelPath, model: decodeURIComponent(model), absolute: url.href };
}

export interface PickedFile {
  /** Path inside the chosen folder, as `webkitRelativePath` gives it (first part: the folder). */
  path: string;
  size: number;
}

export interface CachePut<F extends PickedFile = PickedFile> {
  cacheName: string;
  url: string;
  file: F;
}

/** Paths relative to the chosen folder: the folder's own name is dropped. */
export function relativePaths<F extends PickedFile>(files: F[]): { rel: string; file: F }[] {
  const split = files.map((f) => f.path.replace(/\\/g, '/').split('/').filter(Boolean));
  const first = split[0]?.[0];
  const shared = split.length > 0 && split.every((s) => s.length > 1 && s[0] === first);
  return files.map((file, i) => ({ rel: (shared ? split[i].slice(1) : split[i]).join('/'), file }));
}

/** Where each file of a side-loaded folder goes so the engine finds it with no network. */
export function sideloadPlan<F extends PickedFile>(files: F[], model: CustomModel, base: string): CachePut<F>[] {
  const entries = relativePaths(files).filter(({ rel }) => !rel.split('/').some((p) => p.startsWith('.')));
  const names = new Set(entries.map((e) => e.rel));
  const need = (file: string, why: string) => {
    if (!names.has(file)) {
      throw new EngineError('missing-files', `side-load: ${file} missing`, {
        userMessage: `The chosen folder has no ${file} (${why}). Choose the model's own folder, the one that holds ${file}.`,
      });
    }
  };
  if (model.engine === 'webllm') {
    need('mlc-chat-config.json', 'the model configuration');
    need('tensor-cache.json', 'the list of weight shards');
    const root = webllmFileBase(model.modelUrl, base);
    const libUrl = new URL(model.modelLibUrl, base).href;
    const libName = libUrl.split('/').pop() ?? '';
    const wasm = entries.filter((e) => e.rel.endsWith('.wasm'));
    const lib = wasm.find((e) => e.rel.split('/').pop() === libName) ?? (wasm.length === 1 ? wasm[0] : undefined);
    return entries.map(({ rel, file }) => {
      if (lib && file === lib.file) return { cacheName: WEBLLM_CACHES.wasm, url: libUrl, file };
      if (rel === 'mlc-chat-config.json') return { cacheName: WEBLLM_CACHES.config, url: root + rel, file };
      return { cacheName: WEBLLM_CACHES.model, url: root + rel, file };
    });
  }
  need('config.json', 'the model configuration');
  if (![...names].some((n) => n.startsWith('onnx/') && n.endsWith('.onnx'))) {
    throw new EngineError('missing-files', 'side-load: no onnx/*.onnx', {
      userMessage: 'The chosen folder has no onnx/ folder with a .onnx model file. Choose the model folder that holds config.json and onnx/.',
    });
  }
  const { absolute } = splitFolderUrl(model.folderUrl, base);
  return entries.map(({ rel, file }) => ({ cacheName: TRANSFORMERS_CACHE, url: absolute + rel, file }));
}

const CONTENT_TYPES: Record<string, string> = { json: 'application/json', wasm: 'application/wasm', txt: 'text/plain' };

/** Puts each picked file into the engine's cache under the URL the engine will request. */
export async function sideload(plan: CachePut<PickedFile & Blob>[], onProgress?: (done: number, total: number) => void): Promise<void> {
  const total = plan.reduce((n, p) => n + p.file.size, 0);
  let done = 0;
  try {
    for (const put of plan) {
      const cache = await caches.open(put.cacheName);
      const type = CONTENT_TYPES[put.url.split('.').pop() ?? ''] ?? 'application/octet-stream';
      await cache.put(put.url, new Response(put.file, { headers: { 'Content-Type': type, 'Content-Length': String(put.file.size) } }));
      done += put.file.size;
      onProgress?.(done, total);
    }
  } catch (e) {
    throw toEngineError(e);
  }
}

export async function webllmIsCached(modelId: string, appConfig: AppConfig): Promise<boolean> {
  const { hasModelInCache } = await import('@mlc-ai/web-llm');
  return hasModelInCache(modelId, appConfig).catch(() => false);
}

export async function webllmDelete(modelId: string, appConfig: AppConfig): Promise<void> {
  const { deleteModelAllInfoInCache } = await import('@mlc-ai/web-llm');
  const record = appConfig.model_list.find((r) => r.model_id === modelId);
  // WebLLM's own delete needs tensor-cache.json to find the shards (it fails without one) and
  // leaves that manifest behind; sweeping the model's URL prefix afterwards removes the rest.
  await deleteModelAllInfoInCache(modelId, appConfig).catch(() => undefined);
  if (!record) return;
  const root = webllmFileBase(record.model, location.href);
  await deleteByPrefix(WEBLLM_CACHES.model, root);
  await deleteByPrefix(WEBLLM_CACHES.config, root);
  await (await caches.open(WEBLLM_CACHES.wasm)).delete(new URL(record.model_lib, location.href).href);
}

async function deleteByPrefix(cacheName: string, prefix: string): Promise<number> {
  const cache = await caches.open(cacheName);
  let n = 0;
  for (const request of await cache.keys()) {
    if (request.url.startsWith(prefix) && (await cache.delete(request))) n++;
  }
  return n;
}

/** A Transformers.js model counts as cached when its config and at least one ONNX file are. */
export async function transformersIsCached(folderUrl: string): Promise<boolean> {
  const { absolute } = splitFolderUrl(folderUrl, location.href);
  const keys = (await (await caches.open(TRANSFORMERS_CACHE)).keys()).map((r) => r.url);
  return keys.includes(`${absolute}config.json`) && keys.some((k) => k.startsWith(`${absolute}onnx/`) && k.endsWith('.onnx'));
}

export async function transformersDelete(folderUrl: string): Promise<number> {
  return deleteByPrefix(TRANSFORMERS_CACHE, splitFolderUrl(folderUrl, location.href).absolute);
}

export interface StorageFigures {
  usedBytes?: number;
  quotaBytes?: number;
  persisted?: boolean;
}

export async function storageFigures(): Promise<StorageFigures> {
  const storage = globalThis.navigator?.storage;
  if (!storage) return {};
  const [estimate, persisted] = await Promise.all([storage.estimate?.(), storage.persisted?.()]);
  return { usedBytes: estimate?.usage, quotaBytes: estimate?.quota, persisted };
}

export async function requestPersistence(): Promise<boolean> {
  return (await globalThis.navigator?.storage?.persist?.()) ?? false;
}

/**
 * Seconds left at the average rate so far: `elapsedMs` since the progress stood at `from`.
 * Undefined until there is a rate to go by.
 */
export function secondsLeft(progress: number, elapsedMs: number, from = 0): number | undefined {
  const done = progress - from;
  if (done <= 0.005 || progress >= 1 || elapsedMs < 500) return undefined;
  return Math.round(((elapsedMs / done) * (1 - progress)) / 1000);
}

/**
 * The phase a WebLLM progress report belongs to: "Fetching param cache[3/20]: …" and "Loading GPU
 * shader modules[2/40]: …" are two phases, each with its own progress from 0 to 1.
 */
export function loadPhase(text: string): string {
  return text.replace(/[[:\d].*$/s, '').trim();
}

/** Time left in a load whose progress starts again in each phase (download, then shaders). */
export class PhaseClock {
  private phase: string | null = null;
  private since = 0;
  private from = 0;

  secondsLeft(report: { progress: number; text: string }, nowMs: number): number | undefined {
    const phase = loadPhase(report.text);
    if (phase !== this.phase) {
      this.phase = phase;
      this.since = nowMs;
      this.from = report.progress;
    }
    return secondsLeft(report.progress, nowMs - this.since, this.from);
  }
}


export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '—';
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${seconds % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Reads and checks a stored list of custom models; a bad entry is reported, never dropped silently. */
export function parseCustomModels(json: string | null): { models: CustomModel[]; problems: string[] } {
  if (!json) return { models: [], problems: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return { models: [], problems: [`custom models: stored list is not JSON (${(e as Error).message})`] };
  }
  if (!Array.isArray(raw)) return { models: [], problems: ['custom models: stored value is not a list'] };
  const models: CustomModel[] = [];
  const problems: string[] = [];
  raw.forEach((m, i) => {
    const ok =
      m && typeof m.modelId === 'string' &&
      ((m.engine === 'webllm' && typeof m.modelUrl === 'string' && typeof m.modelLibUrl === 'string' &&
        (m.contextWindow === undefined || (Number.isInteger(m.contextWindow) && m.contextWindow > 0))) ||
        (m.engine === 'transformers' && typeof m.folderUrl === 'string'));
    if (ok) models.push(m as CustomModel);
    else problems.push(`custom models[${i}]: expected {engine: "webllm", modelId, modelUrl, modelLibUrl, contextWindow?: whole number > 0} or {engine: "transformers", modelId, folderUrl}`);
  });
  return { models, problems };
}

/** The smallest context window worth running the method with (its prompts alone need a few hundred tokens). */
export const MIN_CONTEXT_WINDOW = 512;

/**
 * The context window a WebLLM model's own configuration (mlc-chat-config.json) was built for:
 * read from WebLLM's cache when the model is there, else from the model's host. Undefined when
 * neither answers with a readable config.
 */
export async function webllmConfiguredContext(modelUrl: string, base: string): Promise<number | undefined> {
  const url = `${webllmFileBase(modelUrl, base)}mlc-chat-config.json`;
  const cached = await globalThis.caches?.open(WEBLLM_CACHES.config).then((c) => c.match(url)).catch(() => undefined);
  const response = cached ?? (await fetch(url).catch(() => undefined));
  if (!response?.ok) return undefined;
  const config: unknown = await response.json().catch(() => undefined);
  const size = (config as { context_window_size?: unknown } | undefined)?.context_window_size;
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : undefined;
}

/**
 * The context window to save for a custom WebLLM model: what the person entered, checked against
 * what the model's configuration allows; left empty, the configuration's own (else WebLLM's default).
 */
export function chooseContextWindow(entered: string, configured: number | undefined, fallback: number): number {
  const text = entered.trim();
  if (!text) return configured ?? fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < MIN_CONTEXT_WINDOW) {
    throw new EngineError('bad-request', `context window ${text}`, { userMessage: `The context window must be a whole number of tokens, at least ${MIN_CONTEXT_WINDOW}; got "${text}".` });
  }
  if (configured !== undefined && value > configured) {
    throw new EngineError('bad-request', `context window ${value} > ${configured}`, {
      userMessage: `This model's own configuration (mlc-chat-config.json) allows at most ${configured} tokens of context; ${value} would fail when it runs. Enter ${configured} or less.`,
    });
  }
  return value;
}
