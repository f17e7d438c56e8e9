// A test double ChatEngine: answers from a script (canned step answers by default), records
// every request, and counts tokens with src/llm/tokens.ts's estimate. It stands in for a model only
// where a test is about the method, never where a test is about an engine.
import type { ChatEngine, ChatRequest, ChatResult, EngineInfo, TokenLogprob } from '../../src/llm/engine.ts';
import { estimateTokens } from '../../src/llm/tokens.ts';
import { SAMPLE_SEED_STRIDE } from '../../src/llm/engine.ts';
import { cannedAnswer } from './canned.ts';

export type ScriptedAnswer = string | { text: string; logprobs?: TokenLogprob[]; finishReason?: ChatResult['finishReason'] };

export interface ScriptedOptions {
  info?: Partial<EngineInfo>;
  /** Produces the answer to a request; `index` counts calls from 0. Throwing makes chat() throw. */
  respond?: (request: ChatRequest, index: number) => ScriptedAnswer | Promise<ScriptedAnswer>;
}

export class ScriptedEngine implements ChatEngine {
  readonly info: EngineInfo;
  readonly calls: ChatRequest[] = [];
  private readonly respond: NonNullable<ScriptedOptions['respond']>;

  constructor(options: ScriptedOptions = {}) {
    this.info = { kind: 'scripted', model: 'scripted-judge', contextWindow: 8192, constrainedJson: true, logprobs: false, ...options.info };
    this.respond = options.respond ?? ((request) => cannedAnswer(request.messages, request.seed));
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    request.signal?.throwIfAborted();
    const index = this.calls.length;
    // Sample i of a multi-sample request answers as a lone request with its own seed would.
    const n = this.info.multiSample ? Math.max(1, request.n ?? 1) : 1;
    const answers = [];
    for (let i = 0; i < n; i++) {
      const seed = request.seed === undefined ? undefined : request.seed + i * SAMPLE_SEED_STRIDE;
      const answer = await this.respond({ ...request, seed }, index);
      answers.push(typeof answer === 'string' ? { text: answer } : answer);
    }
    request.signal?.throwIfAborted();
    this.calls.push(request);
    const [a] = answers;
    request.onToken?.(a.text);
    return {
      text: a.text,
      finishReason: a.finishReason ?? 'stop',
      logprobs: a.logprobs,
      choices: n > 1 ? answers.map((x) => ({ text: x.text, finishReason: x.finishReason ?? 'stop', logprobs: x.logprobs })) : undefined,
      usage: {
        promptTokens: request.messages.reduce((s, m) => s + estimateTokens(m.content), 0),
        completionTokens: answers.reduce((s, x) => s + estimateTokens(x.text), 0),
      },
    };
  }

  async countTokens(text: string): Promise<number> {
    return estimateTokens(text);
  }
}
