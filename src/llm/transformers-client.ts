// The page side of the Transformers.js worker (workers/transformers.worker.ts): an `Engine`
// over postMessage. Load reports progress and can be cancelled; chat runs over a MessagePort
// with port-engine's protocol (streamed tokens, abort, errors carried with their code).
import type { ChatEngine, Engine, EngineInfo, LoadOptions, LoadProgress } from './engine.ts';
import { EngineError, fromWireError, toEngineError, type EngineWireError } from './errors.ts';
import { connectEngine } from './port-engine.ts';
import type { LoadedTransformersEngine, TransformersOptions, TransformersRuntime } from './transformers.ts';

export type ToTransformersWorker =
  | { type: 'load'; id: number; model: string; options: TransformersOptions; port: MessagePort }
  | { type: 'cancel-load'; id: number }
  | { type: 'unload'; id: number };

export type FromTransformersWorker =
  | { type: 'progress'; id: number; progress: LoadProgress }
  | { type: 'loaded'; id: number; info: EngineInfo; runtime: TransformersRuntime }
  | { type: 'unloaded'; id: number }
  | { type: 'error'; id: number; error: EngineWireError };

function createDefaultWorker(): Worker {
  return new Worker(new URL('../../workers/transformers.worker.ts', import.meta.url), {
    type: 'module',
    name: 'transformers',
  });
}

export interface TransformersClientOptions extends TransformersOptions {
  createWorker?: () => Worker;
}

export class TransformersWorkerEngine implements Engine {
  readonly kind = 'transformers' as const;
  private worker: Worker | null = null;
  private connection: (ChatEngine & { close(): void }) | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { onMessage: (m: FromTransformersWorker) => void; fail: (e: EngineError) => void }>();

  constructor(private readonly options: TransformersClientOptions = {}) {}

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = (this.options.createWorker ?? createDefaultWorker)();
    worker.onmessage = ({ data }: MessageEvent<FromTransformersWorker>) => this.pending.get(data.id)?.onMessage(data);
    // A crashed worker (e.g. wasm out of memory) fails whatever was waiting on it.
    worker.onerror = (event) => {
      event.preventDefault();
      const error = toEngineError(event.message || 'the Transformers.js worker crashed');
      for (const p of this.pending.values()) p.fail(error);
      this.pending.clear();
      this.dropWorker();
    };
    this.worker = worker;
    return worker;
  }

  private dropWorker() {
    this.connection?.close();
    this.connection = null;
    this.worker?.terminate();
    this.worker = null;
  }

  async load(model: string, options: LoadOptions = {}): Promise<LoadedTransformersEngine> {
    const { onProgress, signal } = options;
    if (signal?.aborted) throw new EngineError('aborted', 'load cancelled');
    this.connection?.close();
    this.connection = null;
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const { port1, port2 } = new MessageChannel();
    const { createWorker: _, ...engineOptions } = this.options;
    const onAbort = () => worker.postMessage({ type: 'cancel-load', id } satisfies ToTransformersWorker);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const loaded = await new Promise<Extract<FromTransformersWorker, { type: 'loaded' }>>((resolve, reject) => {
        this.pending.set(id, {
          fail: reject,
          onMessage: (m) => {
            if (m.type === 'progress') onProgress?.(m.progress);
            else if (m.type === 'loaded') resolve(m);
            else if (m.type === 'error') reject(fromWireError(m.error));
          },
        });
        const message: ToTransformersWorker = { type: 'load', id, model, options: engineOptions, port: port2 };
        worker.postMessage(message, [port2]);
      });
      const connection = connectEngine(port1, loaded.info);
      this.connection = connection;
      return Object.assign(connection, { runtime: loaded.runtime });
    } catch (e) {
      port1.close();
      throw toEngineError(e);
    } finally {
      this.pending.delete(id);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async unload(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.connection?.close();
    this.connection = null;
    const id = this.nextId++;
    await new Promise<void>((resolve, reject) => {
      this.pending.set(id, {
        fail: reject,
        onMessage: (m) => (m.type === 'error' ? reject(fromWireError(m.error)) : resolve()),
      });
      worker.postMessage({ type: 'unload', id } satisfies ToTransformersWorker);
    }).finally(() => this.pending.delete(id));
  }

  /** Frees the worker and everything it holds. */
  terminate(): void {
    for (const p of this.pending.values()) p.fail(new EngineError('aborted', 'engine terminated'));
    this.pending.clear();
    this.dropWorker();
  }
}
