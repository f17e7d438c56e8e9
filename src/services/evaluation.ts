// The page side of evaluation: starts, follows and cancels jobs in the evaluation worker, and
// lends the worker the page's loaded model over a MessagePort (the model is loaded once, by
// the Models screen; the worker only borrows it).
import type { ChatEngine, EngineInfo } from '../llm/engine.ts';
import { serveEngine } from '../llm/port-engine.ts';
import { decodeError } from '../method/errors.ts';
import type { JobKind, JobProgress, JobRequest, JobResult, JobResults, WorkerReply, WorkerRequest } from './evaluation-protocol.ts';
import { loadedEngine } from './engine-choice.svelte.ts';
import { models } from './models.svelte.ts';

export type { JobKind, JobProgress, JobResults } from './evaluation-protocol.ts';

/** A job as the screens ask for it: the worker's request without the id this module gives it. */
export type JobInput = JobRequest extends infer J ? (J extends { jobId: number } ? Omit<J, 'jobId'> : never) : never;

export interface JobHandlers {
  onProgress?: (p: JobProgress) => void;
  onToken?: (delta: string) => void;
  onResult?: (candidateId: string) => void;
}

export class JobCancelled extends Error {
  constructor() {
    super('Cancelled.');
    this.name = 'JobCancelled';
  }
}

interface Pending extends JobHandlers {
  resolve: (result: JobResult) => void;
  reject: (error: Error) => void;
}

let worker: Worker | null = null;
let nextJobId = 1;
const pending = new Map<number, Pending>();
let lent: { engine: ChatEngine; stop: () => void } | null = null;

function onReply(m: WorkerReply): void {
  const job = pending.get(m.jobId);
  if (!job) return;
  if (m.type === 'progress') job.onProgress?.(m.progress);
  else if (m.type === 'token') job.onToken?.(m.delta);
  else if (m.type === 'result') job.onResult?.(m.candidateId);
  else {
    pending.delete(m.jobId);
    if (m.type === 'done') job.resolve(m.result);
    else job.reject(m.cancelled ? new JobCancelled() : decodeError(m.error));
  }
}

function ensureWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('../../workers/evaluate.worker.ts', import.meta.url), { type: 'module', name: 'attune-evaluate' });
  worker.addEventListener('message', (e: MessageEvent<WorkerReply>) => onReply(e.data));
  worker.addEventListener('error', (e) => {
    const message = `The evaluation worker stopped: ${e.message || 'unknown error'}. Reload the page to start it again.`;
    for (const [id, job] of pending) {
      pending.delete(id);
      job.reject(new Error(message));
    }
    worker = null;
    lent = null;
  });
  return worker;
}

/** Starts the worker ahead of need (when the browser is idle), so a first run starts at once. */
export function prepareWorker(): void {
  const start = () => void ensureWorker();
  if ('requestIdleCallback' in globalThis) requestIdleCallback(start, { timeout: 2000 });
  else setTimeout(start, 200);
}

/** Makes sure the worker borrows the engine that is loaded now (or none). */
function lendEngine(w: Worker): void {
  const engine = loadedEngine();
  if (lent?.engine === engine) return;
  lent?.stop();
  lent = null;
  if (!engine) {
    w.postMessage({ type: 'engine', port: null, info: null } satisfies WorkerRequest);
    return;
  }
  const { port1, port2 } = new MessageChannel();
  lent = { engine, stop: serveEngine(port1, engine) };
  w.postMessage({ type: 'engine', port: port2, info: engine.info } satisfies WorkerRequest, [port2]);
}

export interface Job<K extends JobKind> {
  id: number;
  kind: K;
  done: Promise<JobResults[K]>;
  cancel(): void;
}

export function startJob<I extends JobInput>(input: I, handlers: JobHandlers = {}): Job<I['kind']> {
  const w = ensureWorker();
  lendEngine(w);
  const id = nextJobId++;
  const done = new Promise<JobResults[I['kind']]>((resolve, reject) => {
    pending.set(id, {
      ...handlers,
      reject,
      resolve: (result) => {
        // The worker tags each result with its job's kind; the tag is what makes this one narrowing safe.
        if (result.kind === input.kind) resolve(result.value as JobResults[I['kind']]);
        else reject(new Error(`The evaluation worker answered a ${input.kind} job with a ${result.kind} result.`));
      },
    });
  });
  w.postMessage({ type: 'job', job: { ...input, jobId: id } as JobRequest } satisfies WorkerRequest);
  return { id, kind: input.kind, done, cancel: () => w.postMessage({ type: 'cancel', jobId: id } satisfies WorkerRequest) };
}

export function engineStatus(): { ready: boolean; model: string | null; kind: string | null; info: EngineInfo | null; unloading: string | null } {
  const engine = loadedEngine();
  return {
    ready: engine !== null, model: engine?.info.model ?? null, kind: engine?.info.kind ?? null, info: engine?.info ?? null,
    unloading: models.current.status === 'unloading' ? models.current.model : null,
  };
}
