// Batch runs: a Run record in the store, one evaluation job in the worker, and progress the
// Batch screen shows. The job lives here rather than in the screen, so leaving the screen does
// not stop it. A run left 'running' by a closed tab is resumed: every judgment already stored
// is found by its content hash, so nothing is asked twice and nothing is lost.
import { db } from '../store/db.ts';
import type { Run, RunSettings } from '../domain/records.ts';
import { contentId } from '../lib/hash.ts';
import { startJob, engineStatus, JobCancelled, type Job, type JobProgress } from './evaluation.ts';

export interface BatchState {
  runId: string | null;
  progress: JobProgress | null;
  startedAt: number;
  /** Progress steps done when this session's job started (a resumed run starts part-way). */
  doneAtStart: number;
  error: string | null;
  message: string | null;
}

export const batch = $state<BatchState>({ runId: null, progress: null, startedAt: 0, doneAtStart: 0, error: null, message: null });
let job: Job<unknown> | null = null;

export function isActive(runId: string): boolean {
  return batch.runId === runId && job !== null;
}

export async function createRun(name: string, caseIds: string[], settings: Omit<RunSettings, 'engine' | 'model'>): Promise<Run> {
  const engine = engineStatus();
  if (!engine.ready || !engine.model || !engine.kind) throw new Error('Load a model on the Models screen first.');
  const candidates = await db.candidates.where('caseId').anyOf(caseIds).count();
  if (candidates === 0) throw new Error('These cases have no candidate replies to judge. Import predictions or add candidates first.');
  const now = Date.now();
  const full: RunSettings = { ...settings, engine: engine.kind, model: engine.model };
  const run: Run = {
    id: await contentId('run', { caseIds, settings: full, now }),
    name, status: 'pending', settings: full, caseIds, done: 0, total: candidates, failures: 0, createdAt: now, updatedAt: now,
  };
  await db.runs.put(run);
  return run;
}

export function startRun(run: Run): void {
  if (job) throw new Error('A batch run is already going: cancel it or wait for it to finish.');
  const engine = engineStatus();
  if (!engine.ready) throw new Error(`Load ${run.settings.model} on the Models screen to run this.`);
  const s = run.settings;
  const current = startJob({
    kind: 'evaluate', caseIds: [...run.caseIds], runId: run.id,
    settings: { mode: s.mode, k: s.k, lambda: s.lambda, seed: s.seed, retries: s.retries },
  }, {
    onProgress: (p) => {
      // Cached steps of a resumed run come first and fast; time left is measured after them.
      if (batch.doneAtStart < 0 || p.text.includes('cached')) {
        batch.doneAtStart = p.done;
        batch.startedAt = performance.now();
      }
      batch.progress = p;
    },
  });
  job = current;
  batch.runId = run.id;
  batch.progress = { done: 0, total: 1, text: 'Starting…' };
  batch.startedAt = performance.now();
  batch.doneAtStart = -1;
  batch.error = null;
  batch.message = null;
  current.done
    .then((r) => {
      const result = r as { candidates: number; failures: number };
      batch.message = `Finished: ${result.candidates} candidates, ${result.failures} failed judge calls.`;
    })
    .catch((e: unknown) => {
      if (e instanceof JobCancelled) batch.message = 'Cancelled. What was finished is kept; resume to continue.';
      else batch.error = (e as Error).message;
    })
    .finally(() => {
      if (job === current) job = null;
      batch.progress = null;
    });
}

export function cancelRun(): void {
  job?.cancel();
}

/** Seconds left at the rate measured since the job started (after any cached work). */
export function secondsLeft(): number | null {
  const p = batch.progress;
  if (!p || batch.doneAtStart < 0) return null;
  const done = p.done - batch.doneAtStart;
  const elapsed = (performance.now() - batch.startedAt) / 1000;
  if (done <= 0 || elapsed < 1) return null;
  return Math.round(((p.total - p.done) * elapsed) / done);
}

/** Runs a closed tab left behind: 'running' in the store but with no job in this page. */
export function interrupted(runs: Run[]): Run[] {
  return runs.filter((r) => (r.status === 'running' || r.status === 'pending') && !isActive(r.id));
}
