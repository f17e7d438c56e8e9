// Messages between the page and the evaluation worker (workers/evaluate.worker.ts).
import type { EngineInfo } from '../llm/engine.ts';
import type { Dimension } from '../domain/records.ts';
import type { EvaluationSettings } from '../domain/settings.ts';
import type { JudgeTemplate } from '../method/template.ts';
import type { GenerationStyle } from '../method/steps/candidates.ts';
import type { PairwiseResult } from '../method/compare.ts';
import type { WireError } from '../method/errors.ts';
import type { StepUsage } from '../method/call.ts';
import type { CandidateAggregate } from '../method/aggregate.ts';

export type JobRequest =
  | { kind: 'extract-memories'; jobId: number; personId: string }
  | { kind: 'persona'; jobId: number; personId: string }
  | { kind: 'generate'; jobId: number; caseId: string; style: GenerationStyle; seed?: number }
  | { kind: 'pairwise'; jobId: number; caseId: string; dimension: Dimension; firstId: string; secondId: string }
  | { kind: 'evaluate'; jobId: number; caseIds: string[]; candidateIds?: string[]; settings: Partial<EvaluationSettings>; judgeTemplate?: JudgeTemplate; retryFailed?: boolean; runId?: string };

export type JobKind = JobRequest['kind'];

/** What each kind of job resolves with. */
export interface JobResults {
  'extract-memories': { conversations: number; failures: number };
  persona: { version: number | undefined };
  generate: { status: 'ok'; candidateId: string } | { status: 'failed'; error: string; raw: string };
  pairwise: PairwiseResult;
  evaluate: {
    candidates: number; failures: number; seconds: number; tokens: number;
    /** The run's model calls and tokens (criteria included; cached work costs none). */
    usage: StepUsage;
    /** Each candidate's aggregate, for figures computed on the page (a comparison of protocols). */
    scored: { caseId: string; candidateId: string; aggregate: CandidateAggregate }[];
  };
}

/** A job's result tagged with its kind, so the page can check it belongs to the job it asked for. */
export type JobResult = { [K in JobKind]: { kind: K; value: JobResults[K] } }[JobKind];

export type WorkerRequest =
  /** A MessagePort served by `serveEngine` on the page, or null when the model was unloaded. */
  | { type: 'engine'; port: MessagePort | null; info: EngineInfo | null }
  | { type: 'job'; job: JobRequest }
  | { type: 'cancel'; jobId: number };

export interface JobProgress {
  done: number;
  total: number;
  text: string;
  tokensPerSecond?: number | null;
}

export type WorkerReply =
  | { type: 'progress'; jobId: number; progress: JobProgress }
  | { type: 'token'; jobId: number; delta: string }
  | { type: 'result'; jobId: number; candidateId: string }
  | { type: 'done'; jobId: number; result: JobResult }
  /** A failure in the one wire format (an engine's or the method's), rebuilt typed on the page. */
  | { type: 'error'; jobId: number; error: WireError; cancelled: boolean };
