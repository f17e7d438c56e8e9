// Steps 3–5 for a set of cases: criteria (cached per persona + case + dimension), judgments
// (cached per criteria + candidate + dimension + trial + model + seed), bystander, aggregate.
// Each judgment is stored the moment it completes, so an interrupted run resumes where it
// stopped: done work is found in the store by its content hash and never asked for again.
import type { ChatEngine } from '../llm/engine.ts';
import {
  DIMENSIONS, type Candidate, type Case, type CriteriaSet, type Dimension, type JudgeKind, type Judgment,
  type Memory, type Persona,
} from '../domain/records.ts';
import { contentId } from '../lib/hash.ts';
import { aggregateCandidate, scoresFromJudgments, summarize, DEFAULT_LAMBDA, type CandidateAggregate, type DatasetSummary } from './aggregate.ts';
import { addUsage, callSamples, callStep, emptyUsage, type StepOutcome, type StepRequest, type StepUsage } from './call.ts';
import { fitPrompt, memoCounter, PromptTooLongError, rankMemories, type FittedPrompt, type PromptCuts, type TokenCounter } from './context.ts';
import { JUDGE_PROMPT_VERSION as PROMPT_VERSION, trialSeed } from './keys.ts';
import { bystanderPrompt, bystanderSchema, parseBystander, type BystanderAnswer } from './steps/bystander.ts';
import { criteriaPrompt, criteriaSchema, parseCriteria } from './steps/criteria.ts';
import { dynamicJudgeSchema, expectedScore, fixedJudgeSchema, judgePrompt, parseJudge, type JudgeAnswer } from './steps/judge.ts';
import type { ChatMessage } from '../llm/engine.ts';
import type { EvaluationStore } from './store.ts';
import { stripThink } from './text.ts';
import { looksLikeInjection, PATTERN_FLAG } from './injection.ts';

export type JudgeMode = 'fixed' | 'dynamic' | 'logprob';

export interface EvaluationSettings {
  mode: JudgeMode;
  /** Trials per (candidate, dimension); logprob mode always makes one pass. */
  k: number;
  lambda: number;
  seed: number;
  /** Extra attempts after an unparseable answer. */
  retries: number;
  /** Sampling temperature of judge trials (criteria are derived at 0). */
  temperature: number;
  /** Tokens of memories in judge prompts (most relevant first). */
  memoryBudget: number;
  /** Tokens of memories in criteria prompts. */
  criteriaMemoryBudget: number;
  bystander: boolean;
  /** Ask again for judgments stored as failed (otherwise a stored failure is final). */
  retryFailed: boolean;
  answerTokens: { criteria: number; judge: number; dynamic: number; bystander: number };
  /**
   * "auto": the k trials of a dimension go out as one request with k samples (OpenAI's `n`)
   * when the engine supports it, so the prompt is sent and processed once; 1: one call per trial.
   */
  samplesPerCall: 'auto' | 1;
}

export const DEFAULT_SETTINGS: EvaluationSettings = {
  mode: 'fixed',
  k: 4,
  lambda: DEFAULT_LAMBDA,
  seed: 42,
  retries: 2,
  temperature: 0.7,
  memoryBudget: 160,
  criteriaMemoryBudget: 800,
  bystander: true,
  retryFailed: false,
  samplesPerCall: 'auto',
  answerTokens: { criteria: 700, judge: 400, dynamic: 900, bystander: 120 },
};


export interface EvaluationItem {
  case: Case;
  persona?: Persona;
  memories: Memory[];
  candidates: Candidate[];
}

export interface CandidateResult {
  caseId: string;
  candidateId: string;
  candidate: Candidate;
  judgments: Judgment[];
  criteria: Partial<Record<Dimension, CriteriaSet>>;
  aggregate: CandidateAggregate;
  /** Model calls made for this candidate in this run (cached work costs none). */
  usage: StepUsage;
  cachedJudgments: number;
}

export interface ProgressEvent {
  step: 'criteria' | 'judge' | 'bystander';
  item: string;
  done: number;
  total: number;
  cached: boolean;
  /** Completion tokens per second over the run so far; null before any model call. */
  tokensPerSecond: number | null;
}

export interface RunOptions {
  engine: ChatEngine;
  store: EvaluationStore;
  items: EvaluationItem[];
  settings?: Partial<EvaluationSettings>;
  runId?: string;
  signal?: AbortSignal;
  /** Candidates judged at the same time (criteria of a case are still derived once). */
  concurrency?: number;
  /** Candidates to leave out (already reported, e.g. lines in the CLI's output file). */
  skip?: (candidate: Candidate) => boolean;
  onProgress?: (event: ProgressEvent) => void;
  onResult?: (result: CandidateResult) => void | Promise<void>;
  now?: () => number;
}

export interface RunResult {
  results: CandidateResult[];
  summary: DatasetSummary;
  usage: StepUsage;
}

interface RunContext {
  engine: ChatEngine;
  store: EvaluationStore;
  settings: EvaluationSettings;
  runId?: string;
  signal?: AbortSignal;
  count: TokenCounter;
  now: () => number;
  inFlightCriteria: Map<string, Promise<CriteriaOutcome>>;
  usage: StepUsage;
  startedAt: number;
  done: number;
  total: number;
  onProgress?: (event: ProgressEvent) => void;
}

type CriteriaOutcome = { set: CriteriaSet } | { error: string; raw: string; attempts: number };

function judgeAnswerTokens(s: EvaluationSettings): number {
  return s.mode === 'dynamic' ? s.answerTokens.dynamic : s.answerTokens.judge;
}

async function fit(ctx: RunContext, answerTokens: number, memories: Memory[], memoryBudget: number, persona: Persona | undefined, candidateChars: number, build: (m: Memory[], cuts: PromptCuts) => ChatMessage[]): Promise<FittedPrompt> {
  return fitPrompt({
    count: ctx.count,
    limit: ctx.engine.info.contextWindow - answerTokens,
    memories,
    memoryBudget,
    personaChars: persona?.profile.length ?? 0,
    candidateChars,
    build,
  });
}

function progress(ctx: RunContext, step: ProgressEvent['step'], item: string, cached: boolean) {
  ctx.done++;
  const seconds = (ctx.now() - ctx.startedAt) / 1000;
  ctx.onProgress?.({
    step, item, done: ctx.done, total: ctx.total, cached,
    tokensPerSecond: ctx.usage.calls && seconds > 0 ? ctx.usage.completionTokens / seconds : null,
  });
}

async function deriveCriteria(ctx: RunContext, item: EvaluationItem, ranked: Memory[], dimension: Dimension): Promise<CriteriaOutcome> {
  const s = ctx.settings;
  const fitted = await fit(ctx, s.answerTokens.criteria, ranked, s.criteriaMemoryBudget, item.persona, 0,
    (memories, cuts) => criteriaPrompt({ case: item.case, dimension, persona: item.persona, memories }, cuts));
  const id = await contentId('crit', { v: PROMPT_VERSION, caseId: item.case.id, dimension, model: ctx.engine.info.model, messages: fitted.messages });
  const stored = await ctx.store.getCriteria(id);
  if (stored) return { set: stored };
  let pending = ctx.inFlightCriteria.get(id);
  if (!pending) {
    pending = (async (): Promise<CriteriaOutcome> => {
      const outcome = await callStep(ctx.engine, {
        messages: fitted.messages, schema: criteriaSchema, parse: parseCriteria,
        maxTokens: s.answerTokens.criteria, temperature: 0, seed: s.seed,
      }, { retries: s.retries, signal: ctx.signal });
      addUsage(ctx.usage, outcome.usage);
      if (outcome.status === 'failed') return { error: outcome.error, raw: outcome.raw, attempts: outcome.attempts };
      const set: CriteriaSet = {
        id, caseId: item.case.id, dimension, items: outcome.value.items, renormalized: outcome.value.renormalized,
        edited: false, model: ctx.engine.info.model, createdAt: ctx.now(),
      };
      await ctx.store.putCriteria(set);
      return { set };
    })();
    // Kept for the whole run: a failure is not asked again by the next candidate of the case.
    ctx.inFlightCriteria.set(id, pending);
  }
  return pending;
}

interface JudgeTask {
  kind: JudgeKind;
  trial: number;
  criteria?: CriteriaSet;
}

/** A judgment ready to ask for: its prompt and cache key, or what is already known about it. */
interface PreparedJudge {
  task: JudgeTask;
  id: string;
  seed: number;
  flags: string[];
  base: Pick<Judgment, 'runId' | 'caseId' | 'candidateId' | 'kind' | 'mode' | 'trial' | 'model' | 'seed'>;
  fitted?: FittedPrompt;
  /** Already stored (and not to be asked again), or failed before sending. */
  settled?: { judgment: Judgment; cached: boolean };
}

async function prepareJudge(ctx: RunContext, item: EvaluationItem, ranked: Memory[], candidate: Candidate, reply: string, task: JudgeTask): Promise<PreparedJudge> {
  const s = ctx.settings;
  const seed = trialSeed(s.seed, task.trial);
  const bystander = task.kind === 'bystander';
  const answerTokens = bystander ? s.answerTokens.bystander : judgeAnswerTokens(s);
  const flags = looksLikeInjection(reply) ? [PATTERN_FLAG] : [];
  const base = {
    runId: ctx.runId, caseId: item.case.id, candidateId: candidate.id, kind: task.kind, mode: s.mode,
    trial: task.trial, model: ctx.engine.info.model, seed,
  };
  let fitted: FittedPrompt;
  try {
    fitted = bystander
      ? await fit(ctx, answerTokens, [], 0, undefined, reply.length, (_m, cuts) => bystanderPrompt(item.case.query, reply, cuts.candidate))
      : await fit(ctx, answerTokens, ranked, s.memoryBudget, item.persona, reply.length, (memories, cuts) => judgePrompt({
        case: item.case, dimension: task.kind as Dimension, persona: item.persona, memories, candidate: reply, criteria: task.criteria?.items,
      }, cuts));
  } catch (e) {
    if (!(e instanceof PromptTooLongError)) throw e;
    const id = await contentId('jdg', { v: PROMPT_VERSION, ...base, runId: undefined, tooLong: true, reply });
    const judgment: Judgment = { ...base, id, status: 'failed', raw: '', error: `not sent: ${e.message}`, attempts: 1, flags, usage: { promptTokens: 0, completionTokens: 0 }, createdAt: ctx.now() };
    return { task, id, seed, flags, base, settled: { judgment, cached: false } };
  }
  const logprob = s.mode === 'logprob' && !bystander;
  const id = await contentId('jdg', {
    v: PROMPT_VERSION, ...base, runId: undefined, temperature: logprob ? 0 : s.temperature, maxTokens: answerTokens, messages: fitted.messages,
  });
  const stored = await ctx.store.getJudgment(id);
  const settled = stored && (stored.status === 'ok' || !s.retryFailed) ? { judgment: stored, cached: true } : undefined;
  return { task, id, seed, flags, base, fitted, settled };
}

function judgeRequest(ctx: RunContext, p: PreparedJudge): StepRequest<JudgeAnswer | BystanderAnswer> {
  const s = ctx.settings;
  const bystander = p.task.kind === 'bystander';
  const logprob = s.mode === 'logprob' && !bystander;
  return {
    messages: p.fitted!.messages,
    schema: bystander ? bystanderSchema : p.task.criteria ? fixedJudgeSchema : dynamicJudgeSchema,
    parse: bystander ? parseBystander : (raw) => parseJudge(raw, !p.task.criteria),
    maxTokens: bystander ? s.answerTokens.bystander : judgeAnswerTokens(s),
    temperature: logprob ? 0 : s.temperature,
    seed: p.seed,
    logprobs: logprob,
  };
}

/** Turns a model outcome into the stored judgment, and stores it at once. */
async function settleJudge(ctx: RunContext, p: PreparedJudge, outcome: StepOutcome<JudgeAnswer | BystanderAnswer>, usage: StepUsage): Promise<Judgment> {
  addUsage(ctx.usage, outcome.usage);
  addUsage(usage, outcome.usage);
  const common = {
    ...p.base, id: p.id, raw: outcome.raw, attempts: outcome.attempts, truncation: p.fitted?.truncation,
    usage: { promptTokens: outcome.usage.promptTokens, completionTokens: outcome.usage.completionTokens }, createdAt: ctx.now(),
  };
  let judgment: Judgment;
  if (outcome.status === 'failed') {
    judgment = { ...common, status: 'failed', error: outcome.error, flags: p.flags };
  } else if (p.task.kind === 'bystander') {
    judgment = { ...common, status: 'ok', subscores: outcome.value as Record<string, number>, flags: p.flags };
  } else {
    const answer = outcome.value as JudgeAnswer;
    let score = answer.score;
    const flags = [...p.flags];
    if (ctx.settings.mode === 'logprob') {
      const expected = outcome.logprobs ? expectedScore(outcome.raw, outcome.logprobs) : undefined;
      // No log-probabilities at the score token: keep the sampled score and say so.
      if (expected === undefined) flags.push('logprobs-unavailable');
      else score = expected;
    }
    judgment = { ...common, status: 'ok', score, analysis: answer.analysis, criteria: answer.criteria ?? p.task.criteria?.items, flags };
  }
  await ctx.store.putJudgment(judgment);
  return judgment;
}

/**
 * The trials of one (candidate, kind): stored ones are reused; the missing ones are asked for
 * in one multi-sample request when the engine can (the prompt is sent once), else one by one.
 */
async function judgeTrials(ctx: RunContext, item: EvaluationItem, ranked: Memory[], candidate: Candidate, reply: string, tasks: JudgeTask[], usage: StepUsage, onJudged: (j: Judgment, cached: boolean) => void) {
  const prepared: PreparedJudge[] = [];
  for (const task of tasks) prepared.push(await prepareJudge(ctx, item, ranked, candidate, reply, task));
  const missing = prepared.filter((p) => !p.settled);
  for (const p of prepared) if (p.settled) onJudged(p.settled.judgment, p.settled.cached);
  if (missing.length > 1 && ctx.engine.info.multiSample && ctx.settings.samplesPerCall === 'auto') {
    const outcomes = await callSamples(ctx.engine, judgeRequest(ctx, missing[0]), missing.length, { retries: ctx.settings.retries, signal: ctx.signal });
    for (const [i, p] of missing.entries()) onJudged(await settleJudge(ctx, p, outcomes[i], usage), false);
    return;
  }
  for (const p of missing) {
    const outcome = await callStep(ctx.engine, judgeRequest(ctx, p), { retries: ctx.settings.retries, signal: ctx.signal });
    onJudged(await settleJudge(ctx, p, outcome, usage), false);
  }
}

async function evaluateCandidate(ctx: RunContext, item: EvaluationItem, ranked: Memory[], candidate: Candidate): Promise<CandidateResult> {
  const s = ctx.settings;
  const reply = stripThink(candidate.text);
  const usage = emptyUsage();
  const judgments: Judgment[] = [];
  const criteria: CandidateResult['criteria'] = {};
  let cachedJudgments = 0;
  const trials = s.mode === 'logprob' ? 1 : s.k;
  for (const dimension of DIMENSIONS) {
    let set: CriteriaSet | undefined;
    if (s.mode !== 'dynamic') {
      const outcome = await deriveCriteria(ctx, item, ranked, dimension);
      if ('error' in outcome) {
        // Without criteria the fixed-mode trials cannot run: each is recorded as failed, with the criteria answer kept.
        for (let trial = 0; trial < trials; trial++) {
          const id = await contentId('jdg', { v: PROMPT_VERSION, caseId: item.case.id, candidateId: candidate.id, dimension, trial, criteriaFailed: outcome.raw });
          judgments.push({
            id, runId: ctx.runId, caseId: item.case.id, candidateId: candidate.id, kind: dimension, mode: s.mode, trial,
            model: ctx.engine.info.model, seed: trialSeed(s.seed, trial), status: 'failed', raw: outcome.raw,
            error: `criteria could not be derived: ${outcome.error}`, attempts: outcome.attempts, flags: [],
            usage: { promptTokens: 0, completionTokens: 0 }, createdAt: ctx.now(),
          });
          progress(ctx, 'judge', `${candidate.id} ${dimension} #${trial + 1}`, false);
        }
        continue;
      }
      set = outcome.set;
      criteria[dimension] = set;
    }
    const tasks = Array.from({ length: trials }, (_, trial) => ({ kind: dimension, trial, criteria: set }));
    const judged: Judgment[] = [];
    await judgeTrials(ctx, item, ranked, candidate, reply, tasks, usage, (judgment, cached) => {
      judged.push(judgment);
      if (cached) cachedJudgments++;
      progress(ctx, 'judge', `${candidate.id} ${dimension} #${judgment.trial + 1}`, cached);
    });
    // In trial order, whatever order they were settled in.
    judgments.push(...judged.sort((a, b) => a.trial - b.trial));
  }
  if (s.bystander) {
    await judgeTrials(ctx, item, ranked, candidate, reply, [{ kind: 'bystander', trial: 0 }], usage, (judgment, cached) => {
      judgments.push(judgment);
      if (cached) cachedJudgments++;
      progress(ctx, 'bystander', candidate.id, cached);
    });
  }
  return {
    caseId: item.case.id, candidateId: candidate.id, candidate, judgments, criteria,
    aggregate: aggregateCandidate(scoresFromJudgments(judgments), s.lambda), usage, cachedJudgments,
  };
}

export async function runEvaluation(o: RunOptions): Promise<RunResult> {
  const settings: EvaluationSettings = { ...DEFAULT_SETTINGS, ...o.settings, answerTokens: { ...DEFAULT_SETTINGS.answerTokens, ...o.settings?.answerTokens } };
  if (!Number.isInteger(settings.k) || settings.k < 1) throw new Error(`k must be a positive integer, got ${settings.k}`);
  const now = o.now ?? Date.now;
  const work = o.items.flatMap((item) => item.candidates.filter((c) => !o.skip?.(c)).map((candidate) => ({ item, candidate })));
  const perCandidate = 3 * (settings.mode === 'logprob' ? 1 : settings.k) + (settings.bystander ? 1 : 0);
  // One worker's error (a dead server) stops the others too, instead of each failing in turn.
  const stop = new AbortController();
  const onAbort = () => stop.abort(o.signal?.reason);
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const ctx: RunContext = {
    engine: o.engine, store: o.store, settings, runId: o.runId, signal: stop.signal,
    count: memoCounter((t) => o.engine.countTokens(t)), now, inFlightCriteria: new Map(), usage: emptyUsage(),
    startedAt: now(), done: 0, total: work.length * perCandidate, onProgress: o.onProgress,
  };
  const ranked = new Map(o.items.map((item) => [item, rankMemories(item.memories, item.case)]));
  const results: CandidateResult[] = [];
  let next = 0;
  const worker = async () => {
    try {
      while (next < work.length) {
        stop.signal.throwIfAborted();
        const { item, candidate } = work[next++];
        const result = await evaluateCandidate(ctx, item, ranked.get(item)!, candidate);
        results.push(result);
        await o.onResult?.(result);
      }
    } catch (e) {
      stop.abort(e);
      throw e;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 1, work.length || 1)) }, worker));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  // Report in input order whatever the concurrency.
  const order = new Map(work.map((w, i) => [w.candidate.id, i]));
  results.sort((a, b) => order.get(a.candidateId)! - order.get(b.candidateId)!);
  return { results, summary: summarize(results.map((r) => r.aggregate)), usage: ctx.usage };
}
