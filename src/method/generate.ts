// Candidate replies made by the loaded model: generic (query only) or personalized
// (memories + persona + query), for showing what personalization changes.
import type { ChatEngine } from '../llm/engine.ts';
import type { Candidate, Case, Memory, Persona } from '../domain/records.ts';
import { contentId } from '../lib/hash.ts';
import { callStep, type StepUsage } from './call.ts';
import { fitPrompt, memoCounter, rankMemories } from './context.ts';
import { genericReplyPrompt, parseReply, personalizedReplyPrompt, type GenerationStyle } from './steps/candidates.ts';

export interface GenerateOptions {
  seed?: number;
  temperature?: number;
  maxTokens?: number;
  memoryBudget?: number;
  retries?: number;
  signal?: AbortSignal;
  onToken?: (delta: string) => void;
  now?: () => number;
}

export type GenerateResult =
  | { status: 'ok'; candidate: Candidate; truncation?: string; usage: StepUsage }
  | { status: 'failed'; error: string; raw: string; usage: StepUsage };

export async function generateCandidate(
  engine: ChatEngine, c: Case, style: GenerationStyle, persona: Persona | undefined, memories: Memory[], o: GenerateOptions = {},
): Promise<GenerateResult> {
  const maxTokens = o.maxTokens ?? 400;
  const fitted = style === 'generic'
    ? { messages: genericReplyPrompt(c), truncation: undefined }
    : await fitPrompt({
      count: memoCounter((t) => engine.countTokens(t)),
      limit: engine.info.contextWindow - maxTokens,
      memories: rankMemories(memories, c),
      memoryBudget: o.memoryBudget ?? 400,
      personaChars: persona?.profile.length ?? 0,
      candidateChars: 0,
      build: (m, cuts) => personalizedReplyPrompt(c, persona, m, cuts),
    });
  const seed = o.seed ?? 7;
  const outcome = await callStep(engine, {
    messages: fitted.messages, parse: parseReply, maxTokens, temperature: o.temperature ?? 0.7, seed, onToken: o.onToken,
  }, { retries: o.retries ?? 1, signal: o.signal });
  if (outcome.status === 'failed') return { status: 'failed', error: outcome.error, raw: outcome.raw, usage: outcome.usage };
  const candidate: Candidate = {
    id: await contentId('cand', { caseId: c.id, style, model: engine.info.model, seed, text: outcome.value }),
    caseId: c.id,
    personId: c.personId,
    text: outcome.value,
    source: style === 'generic' ? 'generated-generic' : 'generated-personalized',
    name: `${style} (${engine.info.model})`,
    label: null,
    createdAt: (o.now ?? Date.now)(),
  };
  return { status: 'ok', candidate, truncation: fitted.truncation, usage: outcome.usage };
}
