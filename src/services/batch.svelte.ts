// Batch runs: a Run record in the store, one evaluation job in the worker (followed by the jobs
// store, like every job), and progress the Batch screen shows. The job lives in services rather
// than in the screen, so leaving the screen does not stop it. A run left 'running' by a closed tab is resumed: every judgment already stored
// is found by its content hash, so nothing is asked twice and nothing is lost.
import { db } from '../store/db.ts';
import type { Run } from '../domain/records.ts';
import type { EvaluationSettings } from '../domain/settings.ts';
import { contentId, sha256 } from '../lib/hash.ts';
import { runHeader } from '../method/run-header.ts';
import type { JudgeTemplate } from '../method/template.ts';
import { engineStatus, type JobProgress } from './evaluation.ts';
import { jobs } from './jobs.svelte.ts';

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
/** The job of a run, while it runs; its scope in the jobs store is the run's id. */
export function runningJob(runId: string | null) {
  return runId ? jobs.find('evaluate', runId) : undefined;
}

/** The run this page is creating and about to start: its own start owns it, so it is not
 *  "interrupted" in the moment between being stored and being started. */
let starting: string | null = null;

/** Runs started by this page. Once one ends, the store may still say 'running' for a moment
 *  (the worker's last write is on its way): it is not a closed tab's, and is never resumed on its own. */
const startedHere = new Set<string>();

export function isActive(runId: string): boolean {
  return runningJob(runId) !== undefined;
}

async function createRun(name: string, caseIds: string[], settings: EvaluationSettings, judgeTemplate?: JudgeTemplate): Promise<Run> {
  const engine = engineStatus();
  if (!engine.info) throw new Error('Load a model on the Models screen first.');
  const candidates = await db.candidates.where('caseId').anyOf(caseIds).toArray();
  if (candidates.length === 0) throw new Error('These cases have no candidate replies to judge. Import predictions or add candidates first.');
  const now = Date.now();
  // The app's "data file" is the set of cases and candidates the run reads, by content.
  const data = [{ file: `library: ${caseIds.length} cases, ${candidates.length} candidates`, sha256: await sha256({ caseIds, candidates: candidates.map((c) => c.id).sort() }) }];
  const header = runHeader({ settings, engine: engine.info, data, judgeTemplate, startedAt: new Date(now) });
  const run: Run = {
    id: await contentId('run', { caseIds, header }),
    name, status: 'pending', header, judgeTemplate, caseIds, done: 0, total: candidates.length, failures: 0, createdAt: now, updatedAt: now,
  };
  starting = run.id;
  await db.runs.put(run);
  return run;
}

/** Stores a new run and starts it: the one way a fresh run begins. */
export async function startNewRun(name: string, caseIds: string[], settings: EvaluationSettings, judgeTemplate?: JudgeTemplate): Promise<Run> {
  refuseIfRunning();
  try {
    const run = await createRun(name, caseIds, settings, judgeTemplate);
    startRun(run);
    return run;
  } finally {
    starting = null;
  }
}

function refuseIfRunning(): void {
  if (runningJob(batch.runId)) throw new Error('A batch run is already going: cancel it or wait for it to finish.');
}

export function startRun(run: Run): void {
  refuseIfRunning();
  const engine = engineStatus();
  if (!engine.ready) throw new Error(`Load ${run.header.engine.model} on the Models screen to run this.`);
  startedHere.add(run.id);
  batch.runId = run.id;
  batch.progress = { done: 0, total: 1, text: 'Starting…' };
  batch.startedAt = performance.now();
  batch.doneAtStart = -1;
  batch.error = null;
  batch.message = null;
  void jobs.start({
    kind: 'evaluate', caseIds: [...run.caseIds], runId: run.id, settings: run.header.settings, judgeTemplate: run.judgeTemplate,
  }, {
    label: `Batch run “${run.name}”`,
    scope: run.id,
    where: { screen: 'batch' },
    onProgress: (p) => {
      // Cached steps of a resumed run come first and fast; time left is measured after them.
      if (batch.doneAtStart < 0 || p.text.includes('cached')) {
        batch.doneAtStart = p.done;
        batch.startedAt = performance.now();
      }
      batch.progress = p;
    },
    describe: (r) => ({ status: 'done', message: `Finished: ${r.candidates} candidates, ${r.failures} failed judge calls.` }),
    cancelledMessage: 'Cancelled. What was finished is kept; resume to continue.',
  }).then((outcome) => {
    if (outcome.status === 'failed') batch.error = outcome.message;
    else batch.message = outcome.message;
    batch.progress = null;
  });
}

export function cancelRun(): void {
  const job = runningJob(batch.runId);
  if (job) jobs.cancel(job.id);
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
  return runs.filter((r) => (r.status === 'running' || r.status === 'pending') && !isActive(r.id) && r.id !== starting && !startedHere.has(r.id));
}
