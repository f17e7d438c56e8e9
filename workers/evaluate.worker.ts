// The evaluation worker: runs the method (extraction, persona, generation, judging, pairwise)
// off the main thread. It borrows the page's loaded model over a MessagePort and writes every
// result to the same IndexedDB store the screens read, as soon as it is made, so a closed tab
// loses nothing and a resumed run asks for nothing twice.
/// <reference lib="webworker" />
import { connectEngine } from '../src/llm/port-engine.ts';
import type { ChatEngine, EngineInfo } from '../src/llm/engine.ts';
import { db } from '../src/store/db.ts';
import { DexieEvaluationStore } from '../src/store/evaluation-store.ts';
import { extractMemories, inferPersona, recentTurns } from '../src/method/profile.ts';
import { runEvaluation, type EvaluationItem } from '../src/method/pipeline.ts';
import { generateCandidate } from '../src/method/generate.ts';
import { comparePair } from '../src/method/compare.ts';
import type { Candidate } from '../src/domain/records.ts';
import type { WorkerRequest, WorkerReply, JobRequest, JobResult } from '../src/services/evaluation-protocol.ts';

const store = new DexieEvaluationStore(db);
let engine: (ChatEngine & { close(): void }) | null = null;
const jobs = new Map<number, AbortController>();

const reply = (m: WorkerReply) => postMessage(m);

function needEngine(): ChatEngine {
  if (!engine) throw new Error('No model is loaded. Load one on the Models screen, then try again.');
  return engine;
}

async function itemsFor(caseIds: string[], candidateIds?: string[]): Promise<EvaluationItem[]> {
  const only = candidateIds ? new Set(candidateIds) : null;
  const items: EvaluationItem[] = [];
  for (const id of caseIds) {
    const c = await db.cases.get(id);
    if (!c) continue;
    const candidates = (await db.listCandidates(id)).filter((x: Candidate) => !only || only.has(x.id));
    items.push({
      case: c,
      persona: await db.currentPersona(c.personId),
      memories: await db.listMemories(c.personId),
      candidates,
    });
  }
  return items;
}

async function runJob(job: JobRequest, signal: AbortSignal): Promise<JobResult> {
  switch (job.kind) {
    case 'extract-memories': {
      const e = needEngine();
      const conversations = await db.listConversations(job.personId);
      let failures = 0;
      // One conversation at a time, so progress is visible; extraction is incremental anyway.
      for (const [i, conv] of conversations.entries()) {
        reply({ type: 'progress', jobId: job.jobId, progress: { done: i, total: conversations.length, text: `Reading “${conv.title}”` } });
        const messages = await db.listMessages(conv.id);
        const r = await extractMemories(e, store, job.personId, [conv], messages, { signal });
        failures += r.failures.length;
      }
      return { kind: job.kind, value: { conversations: conversations.length, failures } };
    }
    case 'persona': {
      const e = needEngine();
      reply({ type: 'progress', jobId: job.jobId, progress: { done: 0, total: 1, text: 'Inferring the persona' } });
      const conversations = await db.listConversations(job.personId);
      const messages = (await Promise.all(conversations.map((c) => db.listMessages(c.id)))).flat();
      const r = await inferPersona(e, store, job.personId, await db.listMemories(job.personId), recentTurns(conversations, messages), { signal, force: true });
      if (r.failure) throw new Error(`The model's persona could not be read: ${r.failure.error}. Raw answer: ${r.failure.raw.slice(0, 300)}`);
      return { kind: job.kind, value: { version: r.persona?.version } };
    }
    case 'generate': {
      const e = needEngine();
      const c = await db.cases.get(job.caseId);
      if (!c) throw new Error('That case no longer exists.');
      const r = await generateCandidate(e, c, job.style, await db.currentPersona(c.personId), await db.listMemories(c.personId), {
        signal, seed: job.seed,
        onToken: (delta) => reply({ type: 'token', jobId: job.jobId, delta }),
      });
      if (r.status === 'failed') return { kind: job.kind, value: { status: 'failed', error: r.error, raw: r.raw } };
      await db.candidates.put(r.candidate);
      return { kind: job.kind, value: { status: 'ok', candidateId: r.candidate.id } };
    }
    case 'pairwise': {
      const e = needEngine();
      const c = await db.cases.get(job.caseId);
      const [first, second] = await Promise.all([db.candidates.get(job.firstId), db.candidates.get(job.secondId)]);
      if (!c || !first || !second) throw new Error('That case or one of its candidates no longer exists.');
      return { kind: job.kind, value: await comparePair(e, c, job.dimension, await db.currentPersona(c.personId), await db.listMemories(c.personId), first.text, second.text, { signal }) };
    }
    case 'evaluate': {
      const e = needEngine();
      const items = await itemsFor(job.caseIds, job.candidateIds);
      const run = job.runId ? await db.runs.get(job.runId) : undefined;
      let failures = 0;
      const started = performance.now();
      let tokens = 0;
      // A resumed run counts again from zero: its stored work comes back from the cache at once.
      if (run) await db.runs.update(run.id, { status: 'running', done: 0, updatedAt: Date.now() });
      try {
        const result = await runEvaluation({
          engine: e, store, items, settings: job.settings, runId: job.runId, signal,
          onProgress: (p) => reply({ type: 'progress', jobId: job.jobId, progress: { done: p.done, total: p.total, text: `${p.step} · ${p.cached ? 'cached' : 'judged'}`, tokensPerSecond: p.tokensPerSecond } }),
          onResult: async (r) => {
            failures += r.aggregate.failures;
            tokens += r.usage.completionTokens;
            reply({ type: 'result', jobId: job.jobId, candidateId: r.candidateId });
            if (run) {
              const fresh = await db.runs.get(run.id);
              await db.runs.update(run.id, { done: (fresh?.done ?? 0) + 1, failures, updatedAt: Date.now() });
            }
          },
        });
        if (run) await db.runs.update(run.id, { status: 'done', done: result.results.length, failures: result.summary.failedJudgments, updatedAt: Date.now() });
        return { kind: job.kind, value: { candidates: result.results.length, failures: result.summary.failedJudgments, seconds: (performance.now() - started) / 1000, tokens } };
      } catch (err) {
        if (run) await db.runs.update(run.id, { status: signal.aborted ? 'cancelled' : 'failed', updatedAt: Date.now() });
        throw err;
      }
    }
  }
}

function handle(m: WorkerRequest): void {
  if (m.type === 'engine') {
    engine?.close();
    engine = m.port && m.info ? connectEngine(m.port, m.info as EngineInfo) : null;
    return;
  }
  if (m.type === 'cancel') {
    jobs.get(m.jobId)?.abort();
    return;
  }
  const controller = new AbortController();
  jobs.set(m.job.jobId, controller);
  runJob(m.job, controller.signal)
    .then((result) => reply({ type: 'done', jobId: m.job.jobId, result }))
    .catch((e: unknown) => {
      const err = e as { userMessage?: string; message?: string; name?: string };
      const cancelled = controller.signal.aborted;
      reply({ type: 'error', jobId: m.job.jobId, cancelled, message: cancelled ? 'Cancelled.' : err?.userMessage ?? err?.message ?? String(e) });
    })
    .finally(() => jobs.delete(m.job.jobId));
}

addEventListener('message', (event: MessageEvent<WorkerRequest>) => handle(event.data));
