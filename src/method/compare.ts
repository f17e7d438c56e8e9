// Pairwise comparison of two candidates on one dimension, asked in both orders. The two
// verdicts are mapped back to the candidates; when they disagree, position decided the
// answer, and the preference is reported as inconsistent rather than picked.
import type { ChatEngine } from '../llm/engine.ts';
import type { Case, Dimension, Memory, Persona } from '../domain/records.ts';
import { addUsage, callStep, emptyUsage, type StepUsage } from './call.ts';
import { fitPrompt, memoCounter, PromptTooLongError, rankMemories } from './context.ts';
import { pairwisePrompt, pairwiseSchema, parsePairwise } from './steps/pairwise.ts';
import { stripThink } from './text.ts';

export type Verdict = 'first' | 'second' | 'tie';

export interface PairwiseResult {
  /** Verdict with `first` shown as A, and with `second` shown as A, both in terms of the candidates. */
  orders: ({ status: 'ok'; verdict: Verdict; analysis: string; raw: string } | { status: 'failed'; error: string; raw: string })[];
  agree: boolean | null;
  preference: Verdict | 'inconsistent' | null;
  usage: StepUsage;
}

export interface PairwiseOptions {
  /** Tokens of memories in the prompt, most relevant first. */
  memoryBudget?: number;
  maxTokens?: number;
  seed?: number;
  retries?: number;
  signal?: AbortSignal;
}

export async function comparePair(
  engine: ChatEngine, c: Case, dimension: Dimension, persona: Persona | undefined, memories: Memory[],
  first: string, second: string, o: PairwiseOptions = {},
): Promise<PairwiseResult> {
  const ranked = rankMemories(memories, c);
  const maxTokens = o.maxTokens ?? 400;
  const count = memoCounter((t) => engine.countTokens(t));
  const usage = emptyUsage();
  const orders: PairwiseResult['orders'] = [];
  for (const swapped of [false, true]) {
    const [a, b] = (swapped ? [second, first] : [first, second]).map(stripThink);
    let fitted;
    try {
      fitted = await fitPrompt({
        count, limit: engine.info.contextWindow - maxTokens, memories: ranked, memoryBudget: o.memoryBudget ?? 300,
        personaChars: persona?.profile.length ?? 0, candidateChars: 0,
        build: (m, cuts) => pairwisePrompt(c, dimension, persona, m, a, b, cuts),
      });
    } catch (e) {
      if (!(e instanceof PromptTooLongError)) throw e;
      orders.push({ status: 'failed', error: `not sent: ${e.userMessage}`, raw: '' });
      continue;
    }
    const outcome = await callStep(engine, {
      messages: fitted.messages,
      schema: pairwiseSchema, parse: parsePairwise, maxTokens, temperature: 0, seed: o.seed ?? 42,
    }, { retries: o.retries ?? 2, signal: o.signal });
    addUsage(usage, outcome.usage);
    if (outcome.status === 'failed') {
      orders.push({ status: 'failed', error: outcome.error, raw: outcome.raw });
      continue;
    }
    const better = outcome.value.better;
    const verdict: Verdict = better === 'tie' ? 'tie' : (better === 'A') !== swapped ? 'first' : 'second';
    orders.push({ status: 'ok', verdict, analysis: outcome.value.analysis, raw: outcome.raw });
  }
  const [x, y] = orders;
  if (x.status !== 'ok' || y.status !== 'ok') return { orders, agree: null, preference: null, usage };
  const agree = x.verdict === y.verdict;
  return { orders, agree, preference: agree ? x.verdict : 'inconsistent', usage };
}
