// Steps 1 and 2 for one person: memories from history (incremental, per conversation) and the
// persona (a new version only when its inputs changed; old versions are kept). profilePerson
// runs both in that order; the CLI and the app's evaluation worker call it alike.
import type { ChatEngine } from '../llm/engine.ts';
import type { Conversation, Memory, Message, Persona } from '../domain/records.ts';
import { contentId, sha256 } from '../lib/hash.ts';
import { PROFILE_PROMPT_VERSION } from './keys.ts';
import { callStep, emptyUsage, addUsage, type StepUsage } from './call.ts';
import { countMessages, memoCounter, type TokenCounter } from './context.ts';
import { MethodError } from './errors.ts';
import { memoriesPrompt, memoriesSchema, parseMemories, type NumberedTurn } from './steps/memories.ts';
import { parsePersona, personaPrompt, personaSchema, RECENT_TURNS } from './steps/persona.ts';
import { latestPersona, type EvaluationStore } from './store.ts';


export interface ProfileOptions {
  retries?: number;
  signal?: AbortSignal;
  /** Tokens reserved for each answer. */
  answerTokens?: number;
  now?: () => number;
  count?: TokenCounter;
}

export interface ExtractionFailure {
  conversationId: string;
  error: string;
  raw: string;
}

export interface ExtractionResult {
  memories: Memory[];
  failures: ExtractionFailure[];
  usage: StepUsage;
  conversationsExtracted: number;
  conversationsSkipped: number;
}

/** Splits turns into chunks whose memory prompt fits `limit` tokens; an overlong turn is cut. */
async function chunkTurns(turns: NumberedTurn[], limit: number, count: TokenCounter): Promise<NumberedTurn[][]> {
  const base = await countMessages(count, memoriesPrompt([]));
  const budget = limit - base;
  if (budget < 32) {
    const detail = `the context window leaves no room for history (${limit} tokens, ${base} for the instructions)`;
    throw new MethodError('context-too-small', detail, `The model's context window is too small to read the history: ${detail}. Use a model with a longer context.`);
  }
  const chunks: NumberedTurn[][] = [];
  let current: NumberedTurn[] = [];
  let used = 0;
  for (const t of turns) {
    let turn = t;
    let n = (await count(`${t.ref} ASSISTANT: ${t.text}`)) + 1;
    if (n > budget) {
      turn = { ...t, text: `${t.text.slice(0, Math.max(0, (budget - 16) * 3))} […]` };
      n = (await count(`${turn.ref} ASSISTANT: ${turn.text}`)) + 1;
    }
    if (used + n > budget && current.length) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(turn);
    used += n;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

export async function extractMemories(
  engine: ChatEngine,
  store: EvaluationStore,
  personId: string,
  conversations: Conversation[],
  messages: Message[],
  options: ProfileOptions = {},
): Promise<ExtractionResult> {
  const count = options.count ?? memoCounter((t) => engine.countTokens(t));
  const answerTokens = options.answerTokens ?? 768;
  const now = options.now ?? Date.now;
  const usage = emptyUsage();
  const failures: ExtractionFailure[] = [];
  let extracted = 0;
  let skipped = 0;
  for (const conv of conversations.filter((c) => c.personId === personId)) {
    const convMessages = messages.filter((m) => m.conversationId === conv.id).sort((a, b) => a.index - b.index);
    const sourceHash = await sha256({ v: PROFILE_PROMPT_VERSION, model: engine.info.model, turns: convMessages.map((m) => [m.role, m.text]) });
    const mark = `memories:${personId}:${sourceHash}`;
    if (await store.hasMark(mark)) {
      skipped++;
      continue;
    }
    const turns = convMessages.map((m, i) => ({ ref: `m${i + 1}`, role: m.role, text: m.text }));
    const idByRef = new Map(turns.map((t, i) => [t.ref, convMessages[i].id]));
    const found: Memory[] = [];
    let failed = false;
    for (const chunk of await chunkTurns(turns, engine.info.contextWindow - answerTokens, count)) {
      const refs = new Set(chunk.map((t) => t.ref));
      const outcome = await callStep(engine, {
        messages: memoriesPrompt(chunk),
        schema: memoriesSchema,
        parse: (raw) => parseMemories(raw, refs),
        maxTokens: answerTokens,
        temperature: 0,
        seed: 0,
      }, { retries: options.retries ?? 2, signal: options.signal });
      addUsage(usage, outcome.usage);
      if (outcome.status === 'failed') {
        failures.push({ conversationId: conv.id, error: outcome.error, raw: outcome.raw });
        failed = true;
        break;
      }
      for (const m of outcome.value) {
        found.push({
          id: await contentId('mem', { personId, label: m.label, value: m.value, sourceHash }),
          personId,
          label: m.label,
          value: m.value,
          evidence: m.evidence.map((r) => idByRef.get(r)!),
          origin: 'extracted',
          sourceHash,
          updatedAt: now(),
        });
      }
    }
    // A conversation is marked done only when every chunk succeeded, so failures are retried next time.
    if (failed) continue;
    // The conversation changed since an earlier extraction: its old memories give way to the new ones.
    const messageIds = new Set(convMessages.map((m) => m.id));
    const stale = (await store.listMemories(personId)).filter((m) =>
      m.origin === 'extracted' && m.sourceHash !== sourceHash && m.evidence.some((e) => messageIds.has(e)));
    if (stale.length) await store.deleteMemories(stale.map((m) => m.id));
    await store.putMemories(found);
    await store.putMark(mark);
    extracted++;
  }
  return { memories: await store.listMemories(personId), failures, usage, conversationsExtracted: extracted, conversationsSkipped: skipped };
}

export interface PersonaResult {
  persona?: Persona;
  /** True when an existing version already matched the inputs (no model call). */
  cached: boolean;
  failure?: { error: string; raw: string };
  usage: StepUsage;
}

/** The latest turns across the person's conversations, oldest first. */
export function recentTurns(conversations: Conversation[], messages: Message[], n = RECENT_TURNS): NumberedTurn[] {
  const started = new Map(conversations.map((c, i) => [c.id, c.startedAt ?? i]));
  const ordered = [...messages].sort((a, b) =>
    (a.time ?? started.get(a.conversationId) ?? 0) - (b.time ?? started.get(b.conversationId) ?? 0)
    || (started.get(a.conversationId) ?? 0) - (started.get(b.conversationId) ?? 0)
    || a.index - b.index);
  return ordered.slice(-n).map((m, i) => ({ ref: `t${i + 1}`, role: m.role, text: m.text }));
}

/** Infers the persona; a new version is added (never overwriting) only when the inputs changed or `force`. */
export async function inferPersona(
  engine: ChatEngine,
  store: EvaluationStore,
  personId: string,
  memories: Memory[],
  turns: NumberedTurn[],
  options: ProfileOptions & { force?: boolean } = {},
): Promise<PersonaResult> {
  const versions = await store.listPersonas(personId);
  const inputHash = await sha256({ v: PROFILE_PROMPT_VERSION, model: engine.info.model, memories: memories.map((m) => [m.label, m.value]).sort(), turns });
  const current = latestPersona(versions);
  const same = versions.find((p) => p.inputHash === inputHash);
  // Same inputs as an existing version: keep the current one (which may be a later manual edit).
  if (same && !options.force) return { persona: current ?? same, cached: true, usage: emptyUsage() };
  const answerTokens = options.answerTokens ?? 768;
  const count = options.count ?? memoCounter((t) => engine.countTokens(t));
  // Drop the oldest turns, then the last memories, until the prompt fits.
  let useTurns = turns;
  let useMemories = memories;
  const limit = engine.info.contextWindow - answerTokens;
  while ((await countMessages(count, personaPrompt(useMemories, useTurns))) > limit) {
    if (useTurns.length > 2) useTurns = useTurns.slice(1);
    else if (useMemories.length) useMemories = useMemories.slice(0, Math.floor(useMemories.length * 0.8));
    else break;
  }
  const outcome = await callStep(engine, {
    messages: personaPrompt(useMemories, useTurns),
    schema: personaSchema,
    parse: parsePersona,
    maxTokens: answerTokens,
    temperature: 0,
    seed: 0,
  }, { retries: options.retries ?? 2, signal: options.signal });
  if (outcome.status === 'failed') return { cached: false, failure: { error: outcome.error, raw: outcome.raw }, usage: outcome.usage };
  const version = (current?.version ?? 0) + 1;
  const persona: Persona = {
    id: await contentId('persona', { personId, version, inputHash }),
    personId,
    version,
    profile: outcome.value.profile,
    topics: outcome.value.topics,
    isDeep: outcome.value.is_deep,
    gateReason: outcome.value.gate_reason,
    origin: 'extracted',
    inputHash,
    createdAt: (options.now ?? Date.now)(),
  };
  await store.putPersona(persona);
  return { persona, cached: false, usage: outcome.usage };
}

/** One person's history, as the store or a data set holds it. */
export interface PersonHistory {
  personId: string;
  conversations: Conversation[];
  messages: Message[];
}

export interface ProfilePlan extends ProfileOptions {
  /** Memories to use as they are (imported or already kept); without them, they are extracted from the history. */
  memories?: Memory[];
  /**
   * 'infer': a new version only when its inputs changed (the default); 'regenerate': a new
   * version in any case; 'skip': memories only; a Persona: used as it is (an imported one).
   */
  persona?: Persona | 'infer' | 'regenerate' | 'skip';
  /** Called before each conversation is read and before the persona is inferred. */
  onProgress?: (p: { step: 'memories' | 'persona'; done: number; total: number; text: string }) => void;
}

export interface PersonProfile {
  memories: Memory[];
  persona?: Persona;
  /** Conversations whose memories failed to parse: nothing was kept from them, and they are asked again next time. */
  memoryFailures: ExtractionFailure[];
  personaFailure?: { error: string; raw: string };
  usage: StepUsage;
}

/**
 * Memories, then persona, for one person. Memories are extracted conversation by conversation
 * (each one marked done only when it succeeded); the persona is inferred from them and the
 * latest turns, when there is anything to infer from.
 */
export async function profilePerson(engine: ChatEngine, store: EvaluationStore, history: PersonHistory, plan: ProfilePlan = {}): Promise<PersonProfile> {
  const { personId, conversations, messages } = history;
  const usage = emptyUsage();
  const memoryFailures: ExtractionFailure[] = [];
  let memories = plan.memories;
  if (!memories) {
    const own = conversations.filter((c) => c.personId === personId);
    for (const [i, conversation] of own.entries()) {
      plan.onProgress?.({ step: 'memories', done: i, total: own.length, text: `Reading “${conversation.title}”` });
      const r = await extractMemories(engine, store, personId, [conversation], messages.filter((m) => m.conversationId === conversation.id), plan);
      addUsage(usage, r.usage);
      memoryFailures.push(...r.failures);
    }
    memories = await store.listMemories(personId);
  }
  const choice = plan.persona ?? 'infer';
  if (choice === 'skip') return { memories, memoryFailures, usage };
  if (typeof choice === 'object') return { memories, persona: choice, memoryFailures, usage };
  if (!memories.length && !messages.length) return { memories, memoryFailures, usage };
  plan.onProgress?.({ step: 'persona', done: 0, total: 1, text: 'Inferring the persona' });
  const inferred = await inferPersona(engine, store, personId, memories, recentTurns(conversations, messages), { ...plan, force: choice === 'regenerate' });
  addUsage(usage, inferred.usage);
  return { memories, persona: inferred.persona, personaFailure: inferred.failure, memoryFailures, usage };
}

