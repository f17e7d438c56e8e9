// The evaluation worker: a thin shell that runs services/evaluation-jobs.ts off the main thread.
// It borrows the page's loaded model over a MessagePort, writes to the same IndexedDB store the
// screens read, and answers each job with its typed result or its error in the one wire format
// (method/errors.ts), so the page gets back the same EngineError or MethodError.
/// <reference lib="webworker" />
import { connectEngine } from '../src/llm/port-engine.ts';
import type { ChatEngine } from '../src/llm/engine.ts';
import { db } from '../src/store/db.ts';
import { DexieEvaluationStore } from '../src/store/evaluation-store.ts';
import { encodeError } from '../src/method/errors.ts';
import { runJob } from '../src/services/evaluation-jobs.ts';
import type { WorkerRequest, WorkerReply } from '../src/services/evaluation-protocol.ts';

const store = new DexieEvaluationStore(db);
let engine: (ChatEngine & { close(): void }) | null = null;
const jobs = new Map<number, AbortController>();

const reply = (m: WorkerReply) => postMessage(m);

function handle(m: WorkerRequest): void {
  if (m.type === 'engine') {
    engine?.close();
    engine = m.port && m.info ? connectEngine(m.port, m.info) : null;
    return;
  }
  if (m.type === 'cancel') {
    jobs.get(m.jobId)?.abort();
    return;
  }
  const controller = new AbortController();
  jobs.set(m.job.jobId, controller);
  runJob(m.job, { db, store, engine, signal: controller.signal, reply })
    .then((result) => reply({ type: 'done', jobId: m.job.jobId, result }))
    .catch((e: unknown) => reply({ type: 'error', jobId: m.job.jobId, cancelled: controller.signal.aborted, error: encodeError(e) }))
    .finally(() => jobs.delete(m.job.jobId));
}

addEventListener('message', (event: MessageEvent<WorkerRequest>) => handle(event.data));
