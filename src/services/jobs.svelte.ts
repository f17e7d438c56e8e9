// Every job running in the evaluation worker, whichever screen started it: its progress, the text
// it streams, whether Cancel was pressed, and how the last job of each kind and scope ended. Jobs
// belong to this store, not to a screen, so leaving a screen and coming back (or looking at the
// header from any screen) shows the job and lets it be cancelled.
import { errorCodeOf, userMessageOf } from '../method/errors.ts';
import { startJob, JobCancelled, type Job, type JobHandlers, type JobInput, type JobKind, type JobProgress, type JobResults } from './evaluation.ts';

export interface TrackedJob<K extends JobKind = JobKind> {
  readonly id: number;
  readonly kind: K;
  /** What it does, in a few words, for the header's list. */
  readonly label: string;
  /** What it works on (a case, a person, a run): screens find their jobs by kind and scope. */
  readonly scope: string;
  /** Where in the app the job was started: the header links there. */
  readonly where: JobPlace;
  progress: JobProgress | null;
  /** Text streamed so far (a generated reply). */
  streamed: string;
  /** Cancel was pressed and the worker has not stopped yet. */
  cancelling: boolean;
  readonly startedAt: number;
}

/** A screen of the app (see ui/route.svelte.ts) with its path segment and query. */
export interface JobPlace {
  screen: 'evaluate' | 'batch' | 'person';
  param?: string;
  query?: Record<string, string>;
}

export type Outcome<K extends JobKind = JobKind> = { endedAt: number } & (
  | { status: 'done'; message: string; value: JobResults[K] }
  | { status: 'cancelled'; message: string }
  /** `code`: the typed error's (EngineError or MethodError), when the failure was one. */
  | { status: 'failed'; message: string; code?: string });

export interface StartOptions<K extends JobKind> extends Pick<JobHandlers, 'onResult' | 'onProgress'> {
  label: string;
  scope: string;
  where: JobPlace;
  /** The message (and whether it reads as a failure) for a finished job. */
  describe?: (value: JobResults[K]) => { status: 'done' | 'failed'; message: string };
  /** Said when the job is cancelled; what it keeps differs by kind. */
  cancelledMessage?: string;
}

const key = (kind: JobKind, scope: string) => `${kind}:${scope}`;

export class JobsStore {
  running = $state<TrackedJob[]>([]);
  private outcomes = $state<Record<string, Outcome>>({});
  private handles = new Map<number, Job<JobKind>>();

  /** Starts a job in the worker and follows it here until it ends. */
  start<I extends JobInput>(input: I, options: StartOptions<I['kind']>): Promise<Outcome<I['kind']>> {
    const job = startJob(input, {
      // The worker answers only after this call returns, so `tracked` exists by then.
      onProgress: (p) => {
        tracked.progress = p;
        options.onProgress?.(p);
      },
      onToken: (d) => (tracked.streamed += d),
      onResult: options.onResult,
    });
    const tracked = $state<TrackedJob<I['kind']>>({
      id: job.id, kind: input.kind, label: options.label, scope: options.scope, where: options.where,
      progress: null, streamed: '', cancelling: false, startedAt: Date.now(),
    });
    this.handles.set(job.id, job);
    this.running = [...this.running, tracked];
    delete this.outcomes[key(input.kind, options.scope)];
    return job.done.then(
      (value): Outcome<I['kind']> => {
        const said = options.describe?.(value);
        const endedAt = Date.now();
        return said?.status === 'failed' ? { status: 'failed', message: said.message, endedAt } : { status: 'done', message: said?.message ?? 'Done.', value, endedAt };
      },
      (e: unknown): Outcome<I['kind']> => e instanceof JobCancelled
        ? { status: 'cancelled', message: options.cancelledMessage ?? 'Cancelled.', endedAt: Date.now() }
        : { status: 'failed', message: userMessageOf(e), code: errorCodeOf(e), endedAt: Date.now() },
    ).then((outcome) => {
      this.handles.delete(job.id);
      this.running = this.running.filter((j) => j.id !== job.id);
      this.outcomes[key(input.kind, options.scope)] = outcome;
      return outcome;
    });
  }

  /** Asks the worker to stop a job; it shows as "cancelling" until the worker confirms. */
  cancel(id: number): void {
    const job = this.running.find((j) => j.id === id);
    if (!job || job.cancelling) return;
    job.cancelling = true;
    this.handles.get(id)?.cancel();
  }

  /** The running job of this kind on this scope, if any. */
  find<K extends JobKind>(kind: K, scope: string): TrackedJob<K> | undefined {
    return this.running.find((j): j is TrackedJob<K> => j.kind === kind && j.scope === scope);
  }

  /** How the last job of this kind on this scope ended (kept until the next one starts). */
  outcome<K extends JobKind>(kind: K, scope: string): Outcome<K> | undefined {
    return this.outcomes[key(kind, scope)] as Outcome<K> | undefined;
  }

  dismiss(kind: JobKind, scope: string): void {
    delete this.outcomes[key(kind, scope)];
  }
}

export const jobs = new JobsStore();
