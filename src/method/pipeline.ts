// Steps 3–5 for a set of cases, under one protocol's settings (protocols.ts): criteria (the data
// set's, or derived once per case and dimension and cached), judgments (cached by every field
// that can change them, keys.ts), bystander, aggregate. Each judgment is stored the moment it
// completes, so an interrupted run resumes where it stopped: done work is found in the store by
// its key and never asked for again.
import type { ChatEngine, ChatMessage } from '../llm/engine.ts';
import {
  DIMENSIONS, type Candidate, type Case, type CriteriaSet, type Dimension, type JudgeKind, type Judgment,
  type Memory, type Persona,
} from '../domain/records.ts';
import type { EvaluationSettings, JudgeMode } from '../domain/settings.ts';
import { aggregateCandidate, scoresFromJudgments, summarize, type CandidateAggregate, type DatasetSummary } from './aggregate.ts';
import { addUsage, callSamples, callStep, DecodeBudget, emptyUsage, type StepOutcome, type StepRequest, type StepUsage } from './call.ts';
import { fitPrompt, memoCounter, orderMemories, PromptTooLongError, type FittedPrompt, type PromptCuts, type TokenCounter } from './context.ts';
import { answerSeed, criteriaKey, datasetCriteriaKey, judgmentKey, trialSeed, unsentJudgmentKey, type AnswerFields } from './keys.ts';
import { PROTOCOLS, protocolSettings } from './protocols.ts';
import { bystanderNumbersSchema, bystanderPrompt, bystanderSchema, parseBystander, type BystanderAnswer } from './steps/bystander.ts';
import { criteriaPrompt, criteriaSchema, parseCriteria, parseCriteriaLines } from './steps/criteria.ts';
import {
  combinedJudgePrompt, combinedJudgeSchema, criteriaText, dynamicJudgeSchema, expectedCombinedScores, expectedScore,
  fixedJudgeSchema, judgePrompt, parseCombinedJudge, parseJudge, type CombinedAnswer, type JudgeAnswer, type JudgeCriteria,
} from './steps/judge.ts';
import type { EvaluationStore } from './store.ts';
import { fillJudgeTemplate, type JudgeTemplate } from './template.ts';
import { INJECTION_FLAGS, JUDGE_VERDICT_FLAG, looksLikeInjection, PATTERN_FLAG } from './injection.ts';
import { stripThink } from './text.ts';
import { MethodError } from './errors.ts';

export type { EvaluationSettings, JudgeMode };

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
  /** The criteria each dimension was judged against (fixed and logprob modes), with their source. */
  criteria: Partial<Record<Dimension, CriteriaSet>>;
  aggregate: CandidateAggregate;
  /** Model calls made for this candidate in this run (cached work costs none; criteria are counted apart). */
  usage: StepUsage;
  /** The sum of max_tokens over the calls made for this candidate, and the protocol's cap on it. */
  decode: { asked: number; cap: number | null };
  cachedJudgments: number;
  /** Things the user should know about how this candidate was judged ("criteria derived: the data set has none"). */
  notes: string[];
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
  /** Settings: complete, or some fields over the named protocol's (`protocol`, default "default"). */
  settings?: Partial<EvaluationSettings>;
  /** A user-supplied judge prompt used in place of Attune's per-dimension prompt. */
  judgeTemplate?: JudgeTemplate;
  /** Ask again for judgments stored as failed (otherwise a stored failure is final). */
  retryFailed?: boolean;
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
  /** Every model call of the run; `criteriaUsage` is the part spent deriving criteria. */
  usage: StepUsage;
  criteriaUsage: StepUsage;
  /** Set when the engine returned fewer samples than `n` asked for, and the run went on with one request per trial. */
  samplesFallback: boolean;
}

/**
 * A run cannot start as asked (cases without criteria under missingCriteria "stop"). A typed
 * MethodError, so that the worker hands its message to the page instead of an engine failure.
 */
export class RunSetupError extends MethodError {
  constructor(message: string) {
    super('missing-criteria', message);
    this.name = 'RunSetupError';
  }
}

interface RunContext {
  engine: ChatEngine;
  store: EvaluationStore;
  settings: EvaluationSettings;
  template?: JudgeTemplate;
  retryFailed: boolean;
  runId?: string;
  signal?: AbortSignal;
  count: TokenCounter;
  now: () => number;
  inFlightCriteria: Map<string, Promise<CriteriaOutcome>>;
  usage: StepUsage;
  criteriaUsage: StepUsage;
  /** The engine ignored `n` once: every later trial goes out alone. */
  samplesFallback: boolean;
  /** Candidates under way, from their case's first call to their result. */
  candidates: Map<string, CandidateContext>;
  /** Each case's calls, made once for all its candidates (judgeCase). */
  cases: Map<EvaluationItem, Promise<CaseCriteria>>;
  startedAt: number;
  done: number;
  total: number;
  onProgress?: (event: ProgressEvent) => void;
}

type CriteriaOutcome = { set: CriteriaSet; note?: string } | { error: string; raw: string; attempts: number };

/** Full settings from partial ones: the named protocol's, with the given fields over them. */
function resolveSettings(partial: Partial<EvaluationSettings> = {}): EvaluationSettings {
  return protocolSettings(partial.protocol ?? 'default', partial);
}

function memoryBudget(budget: number | null): number {
  return budget ?? Infinity;
}

async function fit(ctx: RunContext, answerTokens: number, memories: Memory[], budget: number | null, persona: Persona | undefined, candidateChars: number, build: (m: Memory[], cuts: PromptCuts) => ChatMessage[]): Promise<FittedPrompt> {
  return fitPrompt({
    count: ctx.count,
    limit: ctx.engine.info.contextWindow - answerTokens,
    memories,
    memoryBudget: memoryBudget(budget),
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

function answerFields(ctx: RunContext, messages: ChatMessage[], o: { temperature: number; seed: number; maxTokens: number; schema: boolean; logprobs: boolean }): AnswerFields {
  return {
    engine: ctx.engine.info.kind, model: ctx.engine.info.model, messages, temperature: o.temperature, seed: answerSeed(o.temperature, o.seed),
    maxTokens: o.maxTokens, constrained: o.schema && ctx.engine.info.constrainedJson, logprobs: o.logprobs,
  };
}

/**
 * The data set's criteria for a dimension, quoted verbatim (as eval.py does). Stored, so that the
 * screens show which criteria judged and a person may edit them (an edited set is used instead).
 */
async function datasetCriteria(ctx: RunContext, c: Case, dimension: Dimension, text: string): Promise<CriteriaSet> {
  const id = await datasetCriteriaKey({ caseId: c.id, dimension, text });
  const stored = await ctx.store.getCriteria(id);
  if (stored) return stored;
  const set: CriteriaSet = {
    id, caseId: c.id, dimension, source: 'dataset', text, items: parseCriteriaLines(text), renormalized: false, edited: false, model: 'dataset', createdAt: ctx.now(),
  };
  await ctx.store.putCriteria(set);
  return set;
}

/** Criteria for (case, dimension): the data set's when the protocol takes them and the case has them, else derived once and cached. */
async function criteriaFor(ctx: RunContext, item: EvaluationItem, memories: Memory[], dimension: Dimension): Promise<CriteriaOutcome> {
  const s = ctx.settings;
  if (s.criteriaSource === 'dataset') {
    const text = item.case.referenceCriteria?.[dimension];
    if (text?.trim()) return { set: await datasetCriteria(ctx, item.case, dimension, text) };
    // missingCriteria "stop" was checked before the run started.
    const derived = await deriveCriteria(ctx, item, memories, dimension);
    return 'set' in derived ? { ...derived, note: `${dimension} criteria derived: the data set has none for this case` } : derived;
  }
  return deriveCriteria(ctx, item, memories, dimension);
}

async function deriveCriteria(ctx: RunContext, item: EvaluationItem, memories: Memory[], dimension: Dimension): Promise<CriteriaOutcome> {
  const s = ctx.settings;
  let fitted: FittedPrompt;
  try {
    fitted = await fit(ctx, s.answerTokens.criteria, memories, s.criteriaMemoryBudget, item.persona, 0,
      (m, cuts) => criteriaPrompt({ case: item.case, dimension, persona: item.persona, memories: m }, cuts));
  } catch (e) {
    // A window too small for the criteria prompt fails this case's criteria, not the run.
    if (e instanceof PromptTooLongError) return { error: `not sent: ${e.userMessage}`, raw: '', attempts: 1 };
    throw e;
  }
  const request = { temperature: s.criteriaTemperature, seed: s.seed, maxTokens: s.answerTokens.criteria, schema: true, logprobs: false };
  const id = await criteriaKey({ ...answerFields(ctx, fitted.messages, request), caseId: item.case.id, dimension });
  const stored = await ctx.store.getCriteria(id);
  if (stored) return { set: stored };
  let pending = ctx.inFlightCriteria.get(id);
  if (!pending) {
    pending = (async (): Promise<CriteriaOutcome> => {
      const outcome = await callStep(ctx.engine, {
        messages: fitted.messages, schema: criteriaSchema, parse: parseCriteria,
        maxTokens: request.maxTokens, temperature: request.temperature, seed: request.seed,
      }, { retries: s.retries, signal: ctx.signal });
      addUsage(ctx.usage, outcome.usage);
      addUsage(ctx.criteriaUsage, outcome.usage);
      if (outcome.status === 'failed') return { error: outcome.error, raw: outcome.raw, attempts: outcome.attempts };
      const set: CriteriaSet = {
        id, caseId: item.case.id, dimension, source: 'derived', items: outcome.value.items, renormalized: outcome.value.renormalized,
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

function asJudgeCriteria(set: CriteriaSet): JudgeCriteria {
  return { id: set.id, text: set.text, items: set.items };
}

/** One model call to make for a candidate and the judgments it yields (one per dimension for the combined layout). */
interface PreparedCall {
  kinds: JudgeKind[];
  trial: number;
  ids: string[];
  seed: number;
  /** The criteria a one-dimension call judges against, kept on its judgment. */
  criteria?: JudgeCriteria;
  /** For a combined call: each dimension's criteria set. */
  criteriaIds?: Partial<Record<Dimension, string>>;
  fitted?: FittedPrompt;
  request?: StepRequest<unknown>;
  /** Already stored (and not to be asked again), or failed before sending. */
  settled?: { judgments: Judgment[]; cached: boolean };
}

interface CandidateContext {
  item: EvaluationItem;
  memories: Memory[];
  candidate: Candidate;
  reply: string;
  flags: string[];
  usage: StepUsage;
  budget: DecodeBudget;
  /** Its judgments so far (made in its case's order, see judgeCase), and how many came from the store. */
  judgments: Judgment[];
  cachedJudgments: number;
}

function baseJudgment(ctx: RunContext, cc: CandidateContext, kind: JudgeKind, trial: number, seed: number) {
  return {
    runId: ctx.runId, caseId: cc.item.case.id, candidateId: cc.candidate.id, kind, mode: ctx.settings.mode, trial,
    model: ctx.engine.info.model, seed,
  };
}

/** Judgments recorded as failed without a model answer (no criteria, a prompt that cannot fit). */
async function unsent(ctx: RunContext, cc: CandidateContext, kinds: JudgeKind[], trial: number, error: string, raw = '', attempts = 1): Promise<Judgment[]> {
  const seed = trialSeed(ctx.settings.seed, trial);
  const judgments = await Promise.all(kinds.map(async (kind) => ({
    ...baseJudgment(ctx, cc, kind, trial, seed),
    id: await unsentJudgmentKey({ caseId: cc.item.case.id, candidateId: cc.candidate.id, kind, trial, cause: `${error}\n${raw}` }),
    status: 'failed' as const, raw, error, attempts, flags: cc.flags, usage: { promptTokens: 0, completionTokens: 0 }, createdAt: ctx.now(),
  })));
  // Stored like every other judgment, so the app's results (read from the store) show the failure.
  for (const j of judgments) await ctx.store.putJudgment(j);
  return judgments;
}

function templateMessages(template: JudgeTemplate, cc: CandidateContext, dimension: Dimension, criteria: JudgeCriteria | undefined, memories: Memory[], cuts: PromptCuts): ChatMessage[] {
  const persona = cc.item.persona?.profile ?? '';
  return fillJudgeTemplate(template, {
    dimension,
    criteria: criteria ? criteriaText(criteria) : 'No fixed criteria provided.',
    memories: memories.map((m) => `*${m.value}`).join('\n'),
    scenario: cc.item.case.scenario ?? '',
    persona: cuts.persona === undefined ? persona : persona.slice(0, cuts.persona),
    query: cc.item.case.query,
    response: cuts.candidate === undefined ? cc.reply : cc.reply.slice(0, cuts.candidate),
  });
}

/** Builds the request for one call (kinds: one dimension, all three, or the bystander), or settles it from the store. */
async function prepareCall(ctx: RunContext, cc: CandidateContext, kinds: JudgeKind[], trial: number, criteria: Partial<Record<Dimension, JudgeCriteria>>): Promise<PreparedCall> {
  const s = ctx.settings;
  const seed = trialSeed(s.seed, trial);
  const bystander = kinds[0] === 'bystander';
  const combined = kinds.length > 1;
  const dimension = kinds[0] as Dimension;
  const logprobs = s.mode === 'logprob' && !bystander;
  const maxTokens = bystander ? s.answerTokens.bystander : combined ? s.answerTokens.combined : s.mode === 'dynamic' ? s.answerTokens.dynamic : s.answerTokens.judge;
  const temperature = logprobs ? 0 : s.temperature;
  const read = { dynamic: s.mode === 'dynamic', scoring: s.scoring };
  let fitted: FittedPrompt;
  try {
    const { item, reply } = cc;
    fitted = bystander
      ? await fit(ctx, maxTokens, [], 0, undefined, reply.length, (_m, cuts) => bystanderPrompt(item.case.query, reply, cuts.candidate, s.bystanderFormat))
      : await fit(ctx, maxTokens, cc.memories, s.memoryBudget, item.persona, reply.length, (memories, cuts) => combined
        ? combinedJudgePrompt({ case: item.case, persona: item.persona, memories, candidate: reply, criteria: criteria as Record<Dimension, JudgeCriteria> }, cuts)
        : ctx.template
          ? templateMessages(ctx.template, cc, dimension, criteria[dimension], memories, cuts)
          : judgePrompt({ case: item.case, dimension, persona: item.persona, memories, candidate: reply, criteria: criteria[dimension], answerFormat: s.answerFormat }, cuts));
  } catch (e) {
    if (!(e instanceof PromptTooLongError)) throw e;
    return { kinds, trial, ids: [], seed, settled: { judgments: await unsent(ctx, cc, kinds, trial, `not sent: ${e.userMessage}`), cached: false } };
  }
  const schema = bystander
    ? s.bystanderFormat === 'numbers' ? bystanderNumbersSchema : bystanderSchema
    : combined ? combinedJudgeSchema : s.answerFormat === 'text' || ctx.template ? undefined : s.mode === 'dynamic' ? dynamicJudgeSchema : fixedJudgeSchema;
  const fields = answerFields(ctx, fitted.messages, { temperature, seed, maxTokens, schema: schema !== undefined, logprobs });
  const ids = await Promise.all(kinds.map((kind) => judgmentKey({
    ...fields, caseId: cc.item.case.id, candidateId: cc.candidate.id, kind, trial, mode: s.mode, layout: s.judgeLayout, scoring: s.scoring, bystanderFormat: s.bystanderFormat,
  })));
  const stored = await Promise.all(ids.map((id) => ctx.store.getJudgment(id)));
  const complete = stored.every((j): j is Judgment => j !== undefined);
  const settled = complete && (stored.every((j) => j.status === 'ok') || !ctx.retryFailed) ? { judgments: stored, cached: true } : undefined;
  const parse = bystander
    ? (raw: string) => parseBystander(raw, s.bystanderFormat)
    : combined ? parseCombinedJudge : (raw: string) => parseJudge(raw, read);
  return { kinds, trial, ids, seed, criteria: combined ? undefined : criteria[dimension],
    criteriaIds: combined ? Object.fromEntries(DIMENSIONS.map((d) => [d, criteria[d]?.id])) : undefined, fitted, settled, request: { messages: fitted.messages, schema, parse, maxTokens, temperature, seed, logprobs } };
}

function judgeFlags(cc: CandidateContext, addressesEvaluator: boolean | undefined, more: string[] = []): string[] {
  return [...cc.flags, ...(addressesEvaluator ? [JUDGE_VERDICT_FLAG] : []), ...more];
}

/** Turns a model outcome into the stored judgments (one per kind of the call), and stores them at once. */
async function settleCall(ctx: RunContext, cc: CandidateContext, p: PreparedCall, outcome: StepOutcome<unknown>): Promise<Judgment[]> {
  addUsage(ctx.usage, outcome.usage);
  addUsage(cc.usage, outcome.usage);
  const judgments = p.kinds.map((kind, i): Judgment => {
    const common = {
      ...baseJudgment(ctx, cc, kind, p.trial, p.seed), id: p.ids[i], raw: outcome.raw, attempts: outcome.attempts, truncation: p.fitted?.truncation,
      // One call's tokens are counted once, on its first judgment.
      usage: i === 0 ? { promptTokens: outcome.usage.promptTokens, completionTokens: outcome.usage.completionTokens } : { promptTokens: 0, completionTokens: 0 },
      createdAt: ctx.now(),
    };
    if (outcome.status === 'failed') return { ...common, status: 'failed', error: outcome.error, flags: cc.flags };
    if (kind === 'bystander') return { ...common, status: 'ok', subscores: outcome.value as BystanderAnswer, flags: cc.flags };
    const logprob = ctx.settings.mode === 'logprob';
    if (p.kinds.length > 1) {
      const answer = outcome.value as CombinedAnswer;
      const expected = logprob && outcome.logprobs ? expectedCombinedScores(outcome.raw, outcome.logprobs)[kind] : undefined;
      const verdict = answer[kind as Dimension];
      return {
        ...common, status: 'ok', score: expected ?? verdict.score, analysis: verdict.analysis, criteriaId: p.criteriaIds?.[kind as Dimension],
        flags: judgeFlags(cc, answer.addressesEvaluator, logprob && expected === undefined ? ['logprobs-unavailable'] : []),
      };
    }
    const answer = outcome.value as JudgeAnswer;
    const expected = logprob && outcome.logprobs ? expectedScore(outcome.raw, outcome.logprobs) : undefined;
    return {
      ...common, status: 'ok', score: expected ?? answer.score, analysis: answer.analysis,
      criteria: answer.criteria ?? (p.criteria?.items.length ? p.criteria.items : undefined),
      criteriaId: p.criteria?.id,
      // No log-probabilities at the score token: the sampled score is kept, and that is said.
      flags: judgeFlags(cc, answer.addressesEvaluator, [...answer.flags, ...(logprob && expected === undefined ? ['logprobs-unavailable'] : [])]),
    };
  });
  for (const j of judgments) await ctx.store.putJudgment(j);
  return judgments;
}

/**
 * The trials of one call shape: stored ones are reused; the missing ones are asked for in one
 * multi-sample request when the engine can (the prompt is sent once), else one by one.
 */
async function runCalls(ctx: RunContext, cc: CandidateContext, calls: PreparedCall[], onJudged: (j: Judgment[], cached: boolean) => void) {
  const missing = calls.filter((p) => !p.settled);
  for (const p of calls) if (p.settled) onJudged(p.settled.judgments, p.settled.cached);
  const options = { retries: ctx.settings.retries, signal: ctx.signal, budget: cc.budget };
  if (missing.length > 1 && ctx.engine.info.multiSample && ctx.settings.samplesPerCall === 'auto' && !ctx.samplesFallback) {
    const outcomes = await callSamples(ctx.engine, missing[0].request!, missing.length, {
      ...options, onFewerSamples: () => { ctx.samplesFallback = true; },
    });
    for (const [i, p] of missing.entries()) onJudged(await settleCall(ctx, cc, p, outcomes[i]), false);
    return;
  }
  for (const p of missing) onJudged(await settleCall(ctx, cc, p, await callStep(ctx.engine, p.request! as StepRequest<unknown>, options)), false);
}

function isFlagged(judgments: Judgment[]): boolean {
  return judgments.some((j) => j.flags.some((f) => INJECTION_FLAGS.includes(f)));
}

function candidateContext(ctx: RunContext, item: EvaluationItem, memories: Memory[], candidate: Candidate): CandidateContext {
  let cc = ctx.candidates.get(candidate.id);
  if (!cc) {
    const reply = stripThink(candidate.text);
    cc = {
      item, memories, candidate, reply, usage: emptyUsage(), budget: new DecodeBudget(ctx.settings.decodeCap),
      flags: looksLikeInjection(reply) ? [PATTERN_FLAG] : [], judgments: [], cachedJudgments: 0,
    };
    ctx.candidates.set(candidate.id, cc);
  }
  return cc;
}

/** A case's criteria, shared by its candidates: per dimension the set judged against, or why there is none. */
interface CaseCriteria {
  sets: Partial<Record<Dimension, CriteriaSet>>;
  failed: Map<Dimension, { error: string; raw: string; attempts: number }>;
  notes: string[];
}

/**
 * Every call for a case's candidates, in the order that lets a server caching only its last
 * prompt (llama.cpp's slot) keep what they share: the bystanders first, the criteria, then
 * dimension by dimension each candidate's trials. The judge prompts of a case share a long prefix
 * (persona, memories, case), and those of one dimension also its criteria, so each prompt differs
 * from the one before only from the candidate on.
 */
function judgeCase(ctx: RunContext, item: EvaluationItem, memories: Memory[], candidates: Candidate[]): Promise<CaseCriteria> {
  let pending = ctx.cases.get(item);
  if (!pending) {
    pending = judgeCaseInOrder(ctx, item, memories, candidates.map((c) => candidateContext(ctx, item, memories, c)));
    ctx.cases.set(item, pending);
  }
  return pending;
}

async function judgeCaseInOrder(ctx: RunContext, item: EvaluationItem, memories: Memory[], ccs: CandidateContext[]): Promise<CaseCriteria> {
  const s = ctx.settings;
  const record = (cc: CandidateContext, step: ProgressEvent['step']) => (js: Judgment[], cached: boolean) => {
    cc.judgments.push(...js);
    if (cached) cc.cachedJudgments += js.length;
    for (const j of js) progress(ctx, step, `${cc.candidate.id} ${j.kind}${step === 'judge' ? ` #${j.trial + 1}` : ''}`, cached);
  };
  if (s.bystander) {
    for (const cc of ccs) await runCalls(ctx, cc, [await prepareCall(ctx, cc, ['bystander'], 0, {})], record(cc, 'bystander'));
  }

  // Criteria (fixed and logprob modes): a dimension whose criteria failed is recorded as failed for every trial.
  const criteria: CaseCriteria = { sets: {}, failed: new Map(), notes: [] };
  const judgeCriteria: Partial<Record<Dimension, JudgeCriteria>> = {};
  if (s.mode !== 'dynamic') {
    for (const dimension of DIMENSIONS) {
      const outcome = await criteriaFor(ctx, item, memories, dimension);
      if ('error' in outcome) {
        criteria.failed.set(dimension, outcome);
        continue;
      }
      criteria.sets[dimension] = outcome.set;
      judgeCriteria[dimension] = asJudgeCriteria(outcome.set);
      if (outcome.note) criteria.notes.push(outcome.note);
    }
  }
  const failCriteria = async (cc: CandidateContext, kinds: Dimension[], trial: number) => {
    const first = criteria.failed.get(kinds.find((d) => criteria.failed.has(d))!)!;
    record(cc, 'judge')(await unsent(ctx, cc, kinds, trial, `criteria could not be derived: ${first.error}`, first.raw, first.attempts), false);
  };

  const trials = s.mode === 'logprob' ? 1 : s.k;
  if (s.judgeLayout === 'combined' && s.mode !== 'dynamic') {
    for (let trial = 0; trial < trials; trial++) {
      for (const cc of ccs) {
        if (criteria.failed.size) await failCriteria(cc, [...DIMENSIONS], trial);
        else await runCalls(ctx, cc, [await prepareCall(ctx, cc, [...DIMENSIONS], trial, judgeCriteria)], record(cc, 'judge'));
      }
    }
    return criteria;
  }
  for (const dimension of DIMENSIONS) {
    for (const cc of ccs) {
      if (criteria.failed.has(dimension)) {
        for (let trial = 0; trial < trials; trial++) await failCriteria(cc, [dimension], trial);
        continue;
      }
      const calls: PreparedCall[] = [];
      for (let trial = 0; trial < trials; trial++) calls.push(await prepareCall(ctx, cc, [dimension], trial, judgeCriteria));
      await runCalls(ctx, cc, calls, record(cc, 'judge'));
    }
  }
  return criteria;
}

const KIND_ORDER: JudgeKind[] = [...DIMENSIONS, 'bystander'];

async function evaluateCandidate(ctx: RunContext, item: EvaluationItem, memories: Memory[], candidate: Candidate, caseCandidates: Candidate[]): Promise<CandidateResult> {
  const s = ctx.settings;
  const criteria = await judgeCase(ctx, item, memories, caseCandidates);
  const cc = ctx.candidates.get(candidate.id)!;
  ctx.candidates.delete(candidate.id);
  // By dimension, then trial, then the bystander, whatever order they were settled in.
  const judgments = [...cc.judgments].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.trial - b.trial);
  return {
    caseId: item.case.id, candidateId: candidate.id, candidate, judgments, criteria: criteria.sets, notes: criteria.notes,
    aggregate: aggregateCandidate(scoresFromJudgments(judgments), {
      lambda: s.lambda, bystander: s.bystander, injectionPolicy: isFlagged(judgments) ? s.injectionPolicy : undefined,
    }),
    usage: cc.usage, decode: { asked: cc.budget.charged, cap: s.decodeCap }, cachedJudgments: cc.cachedJudgments,
  };
}

/** Judge calls one candidate costs at most, for progress totals. */
function stepsPerCandidate(s: EvaluationSettings): number {
  const trials = s.mode === 'logprob' ? 1 : s.k;
  return 3 * trials + (s.bystander ? 1 : 0);
}

/** Cases that have no criteria of their own, when the protocol quotes the data set's and must not derive. */
function casesMissingCriteria(items: EvaluationItem[], s: EvaluationSettings): Case[] {
  if (s.mode === 'dynamic' || s.criteriaSource !== 'dataset' || s.missingCriteria !== 'stop') return [];
  return items.map((i) => i.case).filter((c) => DIMENSIONS.some((d) => !c.referenceCriteria?.[d]?.trim()));
}

function describeCase(c: Case): string {
  return c.queryId ? `query ${c.queryId}` : `case ${c.id}`;
}

export async function runEvaluation(o: RunOptions): Promise<RunResult> {
  const settings = resolveSettings(o.settings);
  const missing = casesMissingCriteria(o.items, settings);
  if (missing.length) {
    const named = missing.slice(0, 5).map(describeCase).join(', ');
    throw new RunSetupError(
      `${missing.length} of ${o.items.length} cases have no criteria of their own (${named}${missing.length > 5 ? ', …' : ''}), and the ${PROTOCOLS[settings.protocol].title} protocol quotes the data set's criteria. Import the criteria file, or let Attune derive criteria once for those cases (missing criteria: derive).`,
    );
  }
  const now = o.now ?? Date.now;
  const toJudge = new Map(o.items.map((item) => [item, item.candidates.filter((c) => !o.skip?.(c))]));
  const work = o.items.flatMap((item) => toJudge.get(item)!.map((candidate) => ({ item, candidate })));
  // One worker's error (a dead server) stops the others too, instead of each failing in turn.
  const stop = new AbortController();
  const onAbort = () => stop.abort(o.signal?.reason);
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const ctx: RunContext = {
    engine: o.engine, store: o.store, settings, template: o.judgeTemplate, retryFailed: o.retryFailed ?? false, runId: o.runId, signal: stop.signal,
    count: memoCounter((t) => o.engine.countTokens(t)), now, inFlightCriteria: new Map(), usage: emptyUsage(), criteriaUsage: emptyUsage(),
    samplesFallback: false, candidates: new Map(), cases: new Map(), startedAt: now(), done: 0, total: work.length * stepsPerCandidate(settings), onProgress: o.onProgress,
  };
  const ordered = new Map(o.items.map((item) => [item, orderMemories(item.memories, item.case, settings.memoryOrder)]));
  const results: CandidateResult[] = [];
  let next = 0;
  const worker = async () => {
    try {
      while (next < work.length) {
        stop.signal.throwIfAborted();
        const { item, candidate } = work[next++];
        const result = await evaluateCandidate(ctx, item, ordered.get(item)!, candidate, toJudge.get(item)!);
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
  return { results, summary: summarize(results.map((r) => r.aggregate)), usage: ctx.usage, criteriaUsage: ctx.criteriaUsage, samplesFallback: ctx.samplesFallback };
}
