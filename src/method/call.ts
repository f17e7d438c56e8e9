// One model call with validation: ask, parse, and on an unparseable answer ask again (a new
// seed each attempt) up to `retries` more times. The last raw answer is always returned, so a
// failure is stored with what the model actually said. Engine errors other than parse errors
// are retried too, then thrown: a dead server must stop the run, not fill it with failures.
import type { ChatEngine, ChatMessage, TokenLogprob } from '../llm/engine.ts';

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
      });
    } catch (e) {
      if (isAbort(e, options.signal) || attempt === attemptsAllowed) throw e;
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
