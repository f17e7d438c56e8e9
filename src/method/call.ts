// One model call with validation: ask, parse, and on an unparseable answer ask again (a new
// seed each attempt) up to `retries` more times. The last raw answer is always returned, so a
// failure is stored with what the model actually said. An engine error is asked again only when
// transient (llm/errors.ts isTransient: a timeout, a 5xx, an unreadable answer), then thrown; any
// other (a 401, a missing model, a context overflow, a bad request) is thrown at once: it stops
// the run rather than filling it with failures.
import { SAMPLE_SEED_STRIDE, type ChatEngine, type ChatMessage, type TokenLogprob } from '../llm/engine.ts';
import { isTransient } from '../llm/errors.ts';

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
  retries: number;
  signal?: AbortSignal;
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

export async function callStep<T>(engine: ChatEngine, request: StepRequest<T>, options: CallOptions): Promise<StepOutcome<T>> {
  const usage = emptyUsage();
  let raw = '';
  let error = '';
  const attemptsAllowed = options.retries + 1;
  for (let attempt = 1; attempt <= attemptsAllowed; attempt++) {
    options.signal?.throwIfAborted();
    const started = Date.now();
    let result;
    try {
      result = await engine.chat({
        messages: request.messages,
        temperature: request.temperature,
        seed: request.seed === undefined ? undefined : request.seed + (attempt - 1),
        maxTokens: request.maxTokens,
        jsonSchema: engine.info.constrainedJson ? request.schema : undefined,
        logprobs: request.logprobs,
        topLogprobs: request.logprobs ? 5 : undefined,
        signal: options.signal,
        onToken: request.onToken,
      });
    } catch (e) {
      if (isAbort(e, options.signal) || !isTransient(e) || attempt === attemptsAllowed) throw e;
      continue;
    }
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
 * n samples of one prompt in a single request (engines with info.multiSample), each parsed on
 * its own. A sample that does not parse is asked again alone, up to `retries` more times, with
 * its own seed. The shared prompt's tokens are split evenly over the samples.
 */
export async function callSamples<T>(engine: ChatEngine, request: StepRequest<T>, n: number, options: CallOptions): Promise<StepOutcome<T>[]> {
  options.signal?.throwIfAborted();
  const started = Date.now();
  const seed = request.seed ?? 0;
  const result = await engine.chat({
    messages: request.messages,
    temperature: request.temperature,
    seed,
    maxTokens: request.maxTokens,
    jsonSchema: engine.info.constrainedJson ? request.schema : undefined,
    logprobs: request.logprobs,
    topLogprobs: request.logprobs ? 5 : undefined,
    signal: options.signal,
    n,
  });
  options.signal?.throwIfAborted();
  const choices = result.choices ?? [{ text: result.text, finishReason: result.finishReason, logprobs: result.logprobs }];
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
    let error = choice ? '' : 'the engine returned fewer samples than asked for';
    if (choice) {
      try {
        outcomes.push({ status: 'ok', value: request.parse(choice.text), raw: choice.text, attempts: 1, usage: share, logprobs: choice.logprobs });
        continue;
      } catch (e) {
        error = (e as Error).message;
        if (choice.finishReason === 'length') error += ' (the answer was cut off at the token limit)';
      }
    }
    if (options.retries === 0) {
      outcomes.push({ status: 'failed', error, raw: choice?.text ?? '', attempts: 1, usage: share });
      continue;
    }
    const again = await callStep(engine, { ...request, seed: seed + i * SAMPLE_SEED_STRIDE + 1 }, { ...options, retries: options.retries - 1 });
    outcomes.push({ ...again, attempts: again.attempts + 1, usage: addUsage(share, again.usage) });
  }
  return outcomes;
}
