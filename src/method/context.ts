// How the person's context is written into prompts, and how a prompt is made to fit the
// context window: memories ranked by relevance to the query, taken while they fit a token
// budget, then (only if still too long) the persona and the candidate are shortened. Every
// cut is described in words, and that description is stored with the result.
import type { ChatMessage } from '../llm/engine.ts';
import type { Case, Memory, Persona } from '../domain/records.ts';
import { CATEGORY_GUIDE } from './dimensions.ts';
import { delimit, relevanceScores } from './text.ts';
import { MethodError } from './errors.ts';

export type TokenCounter = (text: string) => Promise<number>;

/** Memoizes a counter: the same memory line is counted once per run, however many prompts use it. */
export function memoCounter(count: TokenCounter): TokenCounter {
  const seen = new Map<string, Promise<number>>();
  return (text) => {
    let n = seen.get(text);
    if (!n) {
      n = count(text);
      seen.set(text, n);
    }
    return n;
  };
}

export function memoryLine(m: Memory): string {
  return `- [${m.label}] ${m.value}`;
}

export function memoryBlock(memories: Memory[]): string {
  return memories.length ? delimit('memories', memories.map(memoryLine).join('\n')) : '<memories>\n(none known)\n</memories>';
}

export function personaBlock(persona: Persona | undefined, maxChars?: number): string {
  if (!persona) return '<persona>\n(no profile yet)\n</persona>';
  const profile = maxChars === undefined ? persona.profile : `${persona.profile.slice(0, maxChars)} […]`;
  const topics = persona.topics.length ? `\nTopics: ${persona.topics.join(', ')}` : '';
  return delimit('persona', `${profile}${topics}`);
}

export function caseBlock(c: Case): string {
  const scenario = c.scenario ? `${delimit('scenario', c.scenario)}\n` : '';
  return `Query category: ${CATEGORY_GUIDE[c.category]}\n${scenario}${delimit('query', c.query)}`;
}

/** Memories ordered for a case: those the data set marks relevant first, then by BM25 relevance. */
export function rankMemories(memories: Memory[], c: Case): Memory[] {
  const scores = relevanceScores(`${c.query} ${c.scenario ?? ''}`, memories.map((m) => `${m.label} ${m.value}`));
  const marked = new Set(c.relevantMemoryIds);
  return memories
    .map((m, i) => ({ m, i, key: (marked.has(m.id) ? 1e6 : 0) + scores[i] }))
    .sort((a, b) => b.key - a.key || a.i - b.i)
    .map((x) => x.m);
}

/**
 * Memories in the order a protocol lays them out: the data set's own order (as the reference's
 * prompts list them), or the case's relevant ones first, then by relevance to the query.
 */
export function orderMemories(memories: Memory[], c: Case, order: 'dataset' | 'relevance'): Memory[] {
  if (order === 'relevance') return rankMemories(memories, c);
  return memories.map((m, i) => ({ m, i })).sort((a, b) => (a.m.order ?? a.i) - (b.m.order ?? b.i) || a.i - b.i).map((x) => x.m);
}

export interface PromptCuts {
  /** Characters of the persona profile kept; undefined keeps all. */
  persona?: number;
  /** Characters of the candidate reply kept; undefined keeps all. */
  candidate?: number;
}

export interface FitOptions {
  count: TokenCounter;
  /** Tokens the prompt may take: the context window minus the answer's reserve. */
  limit: number;
  /** Ranked memories, most relevant first. */
  memories: Memory[];
  /** Tokens the memory block may take (Infinity: as many as fit). */
  memoryBudget: number;
  personaChars: number;
  candidateChars: number;
  build(memories: Memory[], cuts: PromptCuts): ChatMessage[];
}

export interface FittedPrompt {
  messages: ChatMessage[];
  promptTokens: number;
  memoriesUsed: number;
  /** Set when anything was left out or shortened. */
  truncation?: string;
}

/** Caught by the steps that record it as a failure; anywhere else it stops the job, typed. */
export class PromptTooLongError extends MethodError {
  constructor(tokens: number, limit: number) {
    const detail = `the prompt needs ${tokens} tokens even after shortening, but only ${limit} fit in the context window`;
    super('context-too-small', detail, `The model's context window is too small for this prompt: ${detail}. Use a model with a longer context.`);
    this.name = 'PromptTooLongError';
  }
}

// A few tokens of chat-template framing per message.
const PER_MESSAGE_OVERHEAD = 4;

export async function countMessages(count: TokenCounter, messages: ChatMessage[]): Promise<number> {
  let total = 0;
  for (const m of messages) total += (await count(m.content)) + PER_MESSAGE_OVERHEAD;
  return total;
}

export async function fitPrompt(o: FitOptions): Promise<FittedPrompt> {
  const chosen: Memory[] = [];
  let used = 0;
  for (const m of o.memories) {
    const n = (await o.count(memoryLine(m))) + 1;
    if (used + n > o.memoryBudget) break;
    chosen.push(m);
    used += n;
  }
  const cuts: PromptCuts = {};
  let messages = o.build(chosen, cuts);
  let tokens = await countMessages(o.count, messages);
  while (tokens > o.limit && chosen.length > 0) {
    chosen.splice(Math.max(0, Math.floor(chosen.length / 2)));
    messages = o.build(chosen, cuts);
    tokens = await countMessages(o.count, messages);
  }
  // Still too long: shorten the persona, then the candidate, in proportion to the excess.
  for (const part of ['persona', 'candidate'] as const) {
    const full = part === 'persona' ? o.personaChars : o.candidateChars;
    for (let round = 0; tokens > o.limit && full > 0 && round < 4; round++) {
      const current = cuts[part] ?? full;
      const excessChars = (tokens - o.limit) * 4 + 64;
      cuts[part] = Math.max(0, current - excessChars);
      messages = o.build(chosen, cuts);
      tokens = await countMessages(o.count, messages);
    }
  }
  if (tokens > o.limit) throw new PromptTooLongError(tokens, o.limit);
  const notes: string[] = [];
  if (chosen.length < o.memories.length) notes.push(`${chosen.length} of ${o.memories.length} memories included (most relevant first)`);
  if (cuts.persona !== undefined) notes.push(`persona shortened to ${cuts.persona} of ${o.personaChars} characters`);
  if (cuts.candidate !== undefined) notes.push(`candidate reply shortened to ${cuts.candidate} of ${o.candidateChars} characters`);
  return { messages, promptTokens: tokens, memoriesUsed: chosen.length, truncation: notes.length ? notes.join('; ') : undefined };
}
