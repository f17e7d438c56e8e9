// What the evaluation worker does, as plain functions over the store and a borrowed engine, so
// Node tests run the same jobs on fake-indexeddb that the worker runs in the browser. Every
// result is written to the store as soon as it is made, so a closed tab loses nothing and a
// resumed run asks for nothing twice. Failures are thrown typed (EngineError, MethodError).
import type { ChatEngine } from '../llm/engine.ts';
import { EngineError } from '../llm/errors.ts';
import type { AttuneDB } from '../store/db.ts';
import type { EvaluationStore } from '../method/store.ts';
import { MethodError } from '../method/errors.ts';
import { profilePerson, type PersonHistory } from '../method/profile.ts';
import { runEvaluation, type EvaluationItem } from '../method/pipeline.ts';
import { generateCandidate } from '../method/generate.ts';
import { comparePair } from '../method/compare.ts';
import type { Candidate } from '../domain/records.ts';
import type { JobRequest, JobResult, WorkerReply } from './evaluation-protocol.ts';

export interface JobContext {
  db: AttuneDB;
  store: EvaluationStore;
  /** The borrowed model, or null when none is loaded (jobs that need one fail with 'no-model'). */
  engine: ChatEngine | null;
  signal: AbortSignal;
  reply: (m: WorkerReply) => void;
}

async function historyOf(db: AttuneDB, personId: string): Promise<PersonHistory> {
  const conversations = await db.listConversations(personId);
  const messages = (await Promise.all(conversations.map((c) => db.listMessages(c.id)))).flat();
  return { personId, conversations, messages };
}

async function itemsFor(db: AttuneDB, caseIds: string[], candidateIds?: string[]): Promise<EvaluationItem[]> {
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

/** Runs one job to its end; progress, streamed tokens and finished candidates go to `reply`. */
export async function runJob(job: JobRequest, context: JobContext): Promise<JobResult> {
  const { db, store, signal, reply } = context;
  const needEngine = (): ChatEngine => {
    if (!context.engine) throw new EngineError('no-model', 'the evaluation worker has no engine');
    return context.engine;
  };
  switch (job.kind) {
    case 'extract-memories': {
      const history = await historyOf(db, job.personId);
      const r = await profilePerson(needEngine(), store, history, {
        persona: 'skip', signal,
        onProgress: (p) => reply({ type: 'progress', jobId: job.jobId, progress: { done: p.done, total: p.total, text: p.text } }),
      });
      return { kind: job.kind, value: { conversations: history.conversations.length, failures: r.memoryFailures.length } };
    }
    case 'persona': {
      const r = await profilePerson(needEngine(), store, await historyOf(db, job.personId), {
        memories: await db.listMemories(job.personId), persona: 'regenerate', signal,
        onProgress: (p) => reply({ type: 'progress', jobId: job.jobId, progress: { done: p.done, total: p.total, text: p.text } }),
      });
      if (r.personaFailure) {
        const { error, raw } = r.personaFailure;
        throw new MethodError('unparseable-answer', `persona: ${error}`, `The model's persona could not be read: ${error}. Raw answer: ${raw.slice(0, 300)}`);
      }
      return { kind: job.kind, value: { version: r.persona?.version } };
    }
    case 'generate': {
      const e = needEngine();
      const c = await db.cases.get(job.caseId);
      if (!c) throw new MethodError('not-found', `case ${job.caseId}`, 'That case no longer exists.');
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
      if (!c || !first || !second) throw new MethodError('not-found', `case ${job.caseId} or its candidates`, 'That case or one of its candidates no longer exists.');
      return { kind: job.kind, value: await comparePair(e, c, job.dimension, await db.currentPersona(c.personId), await db.listMemories(c.personId), first.text, second.text, { signal }) };
    }
    case 'evaluate': {
      const e = needEngine();
      const items = await itemsFor(db, job.caseIds, job.candidateIds);
      const run = job.runId ? await db.runs.get(job.runId) : undefined;
      let failures = 0;
      const started = performance.now();
      let tokens = 0;
      // A resumed run counts again from zero: its stored work comes back from the cache at once.
      if (run) await db.runs.update(run.id, { status: 'running', done: 0, updatedAt: Date.now() });
      try {
        const result = await runEvaluation({
          engine: e, store, items, settings: run?.header.settings ?? job.settings, judgeTemplate: run?.judgeTemplate ?? job.judgeTemplate, retryFailed: job.retryFailed, runId: job.runId, signal,
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
        return {
          kind: job.kind,
          value: {
            candidates: result.results.length, failures: result.summary.failedJudgments, seconds: (performance.now() - started) / 1000, tokens,
            usage: result.usage, scored: result.results.map((r) => ({ caseId: r.caseId, candidateId: r.candidateId, aggregate: r.aggregate })),
          },
        };
      } catch (err) {
        if (run) await db.runs.update(run.id, { status: signal.aborted ? 'cancelled' : 'failed', updatedAt: Date.now() });
        throw err;
      }
    }
  }
}
