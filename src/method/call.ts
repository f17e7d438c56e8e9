// One model call with validation: ask, parse, and on an unparseable answer ask again (a new
// seed each attempt) up to `retries` more times. The last raw answer is always returned, so a
// failure is stored with what the model actually said. An engine error is asked again only when
// transient (llm/errors.ts isTransient: a timeout, a 5xx, an unreadable answer), up to
// TRANSIENT_RETRIES times whatever `retries` is (a protocol that keeps an unparseable answer as
// it is, as eval.py does, still rides out a server hiccup), then thrown; any other (a 401, a
// missing model, a context overflow, a bad request) is thrown at once: it stops the run rather
// than filling it with failures.
import { SAMPLE_SEED_STRIDE, type ChatEngine, type ChatMessage, type ChatRequest, type ChatResult, type TokenLogprob } from '../llm/engine.ts';
import { isTransient } from '../llm/errors.ts';

/** Requests made again after a transient engine error, apart from the retries of unparseable answers. */
export const TRANSIENT_RETRIES = 2;

export interface StepRequest<T> {
  messages: ChatMessage[];
  /** JSON Schema of the answer, passed to engines that can constrain decoding. */
  schema?: Record<string, unknown>;
  /** Throws with a reason when the answer does not have the expected shape. */
  parse(raw: string): T;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  logprobs?: boolean;
  /** Streamed pieces of the answer (for showing a generated reply as it is written). */
  onToken?: (delta: string) => void;
}

export interface StepUsage {
  promptTokens: number;
  completionTokens: number;
  calls: number;
  ms: number;
}

export type StepOutcome<T> =
  | { status: 'ok'; value: T; raw: string; attempts: number; usage: StepUsage; logprobs?: TokenLogprob[] }
  | { status: 'failed'; error: string; raw: string; attempts: number; usage: StepUsage };

export interface CallOptions {
  /** Attempts after an unparseable answer (0: the first answer is final). */
  retries: number;
  signal?: AbortSignal;
  /** A hard cap on the max_tokens this call and its retries may ask for, shared by the calls made for one candidate. */
  budget?: DecodeBudget;
}

/**
 * The decoded tokens one candidate may cost: every call made for it is charged its max_tokens
 * (not what it happened to decode), so the cap holds whatever the model says. A call, or a
 * retry, that would go over the cap is not made.
 */
export class DecodeBudget {
  charged = 0;
  constructor(readonly cap: number | null) {}
  allows(maxTokens: number): boolean {
    return this.cap === null || this.charged + maxTokens <= this.cap;
  }
  charge(maxTokens: number): void {
    this.charged += maxTokens;
  }
}

function overBudget(budget: DecodeBudget, maxTokens: number): string {
  return `the decode budget of ${budget.cap} tokens for this candidate allows no further call of ${maxTokens} tokens (${budget.charged} already asked for)`;
}

export function emptyUsage(): StepUsage {
  return { promptTokens: 0, completionTokens: 0, calls: 0, ms: 0 };
}

export function addUsage(into: StepUsage, more: StepUsage): StepUsage {
  into.promptTokens += more.promptTokens;
  into.completionTokens += more.completionTokens;
  into.calls += more.calls;
  into.ms += more.ms;
  return into;
}

function isAbort(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const e = error as { name?: string; code?: string };
  return e?.name === 'AbortError' || e?.code === 'aborted';
}

/** The fields of the engine request that every attempt and sample of a step shares. */
function chatFields(engine: ChatEngine, request: StepRequest<unknown>, signal?: AbortSignal): ChatRequest & { maxTokens: number } {
  return {
    messages: request.messages,
    temperature: request.temperature,
    maxTokens: request.maxTokens,
    jsonSchema: engine.info.constrainedJson ? request.schema : undefined,
    logprobs: request.logprobs,
    topLogprobs: request.logprobs ? 5 : undefined,
    signal,
  };
}

export async function callStep<T>(engine: ChatEngine, request: StepRequest<T>, options: CallOptions): Promise<StepOutcome<T>> {
  const usage = emptyUsage();
  let raw = '';
  let error = '';
  const attemptsAllowed = options.retries + 1;
  for (let attempt = 1; attempt <= attemptsAllowed; attempt++) {
    options.signal?.throwIfAborted();
    if (options.budget && !options.budget.allows(request.maxTokens)) {
      const why = overBudget(options.budget, request.maxTokens);
      return { status: 'failed', error: attempt === 1 ? `not sent: ${why}` : `${error} (not retried: ${why})`, raw, attempts: Math.max(1, attempt - 1), usage };
    }
    const started = Date.now();
    const result = await askRidingOutTransients(engine, {
      ...chatFields(engine, request, options.signal),
      seed: request.seed === undefined ? undefined : request.seed + (attempt - 1),
      onToken: request.onToken,
    }, options);
    // An answer cut short by cancellation is not the model's answer: never parse or store it.
    options.signal?.throwIfAborted();
    usage.calls += 1;
    usage.ms += Date.now() - started;
    usage.promptTokens += result.usage.promptTokens;
    usage.completionTokens += result.usage.completionTokens;
    raw = result.text;
    try {
      const value = request.parse(raw);
      return { status: 'ok', value, raw, attempts: attempt, usage, logprobs: result.logprobs };
    } catch (e) {
      error = (e as Error).message;
      if (result.finishReason === 'length') error += ' (the answer was cut off at the token limit)';
    }
  }
  return { status: 'failed', error, raw, attempts: attemptsAllowed, usage };
}

/**
 * One request, asked again after a transient error up to TRANSIENT_RETRIES times; every request
 * is charged to the budget, and a transient error that the budget leaves no room to ask again
 * is thrown like one that lasted.
 */
async function askRidingOutTransients(engine: ChatEngine, request: ChatRequest & { maxTokens: number }, options: CallOptions): Promise<ChatResult> {
  for (let failures = 0; ; failures++) {
    options.budget?.charge(request.maxTokens);
    try {
      return await engine.chat(request);
    } catch (e) {
      const roomLeft = !options.budget || options.budget.allows(request.maxTokens);
      if (isAbort(e, options.signal) || !isTransient(e) || failures === TRANSIENT_RETRIES || !roomLeft) throw e;
    }
  }
}

export interface SamplesOptions extends CallOptions {
  /** Called when the engine returned fewer samples than asked for (a server that ignores `n`). */
  onFewerSamples?: (asked: number, got: number) => void;
}

/**
 * n samples of one prompt in a single request (engines with info.multiSample), each parsed on
 * its own. A sample that does not parse is asked again alone, up to `retries` more times, with
 * its own seed. A sample the engine did not return at all (a server that silently ignores `n`)
 * is asked for alone with the seed it would have had, and is no failure. The shared prompt's
 * tokens are split evenly over the samples.
 */
export async function callSamples<T>(engine: ChatEngine, request: StepRequest<T>, n: number, options: SamplesOptions): Promise<StepOutcome<T>[]> {
  options.signal?.throwIfAborted();
  const seed = request.seed ?? 0;
  const one = (i: number) => callStep(engine, { ...request, seed: seed + i * SAMPLE_SEED_STRIDE }, options);
  if (options.budget && !options.budget.allows(n * request.maxTokens)) {
    const outcomes: StepOutcome<T>[] = [];
    for (let i = 0; i < n; i++) outcomes.push(await one(i));
    return outcomes;
  }
  options.budget?.charge(n * request.maxTokens);
  const started = Date.now();
  let result;
  try {
    result = await engine.chat({ ...chatFields(engine, request, options.signal), seed, n });
  } catch (e) {
    if (isAbort(e, options.signal) || !isTransient(e)) throw e;
    // A transient failure of the shared request (a timeout, a 5xx): each sample is asked alone,
    // riding out transient errors as callStep does for any call.
    const outcomes: StepOutcome<T>[] = [];
    for (let i = 0; i < n; i++) outcomes.push(await one(i));
    return outcomes;
  }
  options.signal?.throwIfAborted();
  const choices = result.choices ?? [{ text: result.text, finishReason: result.finishReason, logprobs: result.logprobs }];
  if (choices.length < n) {
    options.onFewerSamples?.(n, choices.length);
    // The missing samples were never decoded; each is charged when it is asked for alone.
    if (options.budget) options.budget.charged -= (n - choices.length) * request.maxTokens;
  }
  const ms = Date.now() - started;
  const totalChars = choices.reduce((s, c) => s + c.text.length, 0) || 1;
  const outcomes: StepOutcome<T>[] = [];
  for (let i = 0; i < n; i++) {
    const choice = choices[i];
    const share: StepUsage = {
      promptTokens: Math.round(result.usage.promptTokens / n),
      completionTokens: choice ? Math.round((result.usage.completionTokens * choice.text.length) / totalChars) : 0,
      calls: i === 0 ? 1 : 0,
      ms: i === 0 ? ms : 0,
    };
    if (!choice) {
      const alone = await one(i);
      outcomes.push({ ...alone, usage: addUsage(share, alone.usage) });
      continue;
    }
    let error: string;
    try {
      outcomes.push({ status: 'ok', value: request.parse(choice.text), raw: choice.text, attempts: 1, usage: share, logprobs: choice.logprobs });
      continue;
    } catch (e) {
      error = (e as Error).message;
      if (choice.finishReason === 'length') error += ' (the answer was cut off at the token limit)';
    }
    if (options.retries === 0) {
      outcomes.push({ status: 'failed', error, raw: choice.text, attempts: 1, usage: share });
      continue;
    }
    const again = await callStep(engine, { ...request, seed: seed + i * SAMPLE_SEED_STRIDE + 1 }, { ...options, retries: options.retries - 1 });
    outcomes.push({ ...again, attempts: again.attempts + 1, usage: addUsage(share, again.usage) });
  }
  return outcomes;
}
