// The records Attune keeps, as zod schemas. The store validates every record against these
// before writing; the importers and the method produce them. No Dexie, DOM or Svelte here.
import { z } from 'zod';
import { JudgeTemplateRef, RunHeader } from './settings.ts';

export const DIMENSIONS = ['resonation', 'expression', 'reception'] as const;
export const Dimension = z.enum(DIMENSIONS);
export type Dimension = z.infer<typeof Dimension>;

export const QUERY_CATEGORIES = ['ES', 'HEI', 'SS'] as const;
export const QueryCategory = z.enum(QUERY_CATEGORIES);
export type QueryCategory = z.infer<typeof QueryCategory>;
/** The full names the reference's files write for each category (METHOD.md). */
export const QUERY_CATEGORY_NAMES: Record<QueryCategory, string> = {
  ES: 'Emotional Support', HEI: 'High-EQ Interaction', SS: 'Social Strategy',
};

export const ImportFormat = z.enum([
  'chatgpt', 'claude', 'sharegpt', 'openai-jsonl', 'personaemp', 'personaemp-predictions',
  'personaemp-criteria', 'csv', 'plaintext', 'demo', 'manual',
]);
export type ImportFormat = z.infer<typeof ImportFormat>;

/** Where a record came from: the format, the file name and the id it had there, if any. */
export const Source = z.object({
  format: ImportFormat,
  file: z.string().optional(),
  externalId: z.string().optional(),
});
export type Source = z.infer<typeof Source>;

const id = z.string().min(1);
const epochMs = z.number().finite();

export const Person = z.object({
  id,
  name: z.string().min(1),
  source: Source,
  demo: z.boolean().default(false),
  createdAt: epochMs,
});
export type Person = z.infer<typeof Person>;

export const Conversation = z.object({
  id,
  personId: id,
  title: z.string(),
  /** Time of the first message, epoch ms, when the source had it. */
  startedAt: epochMs.nullable(),
  source: Source,
  messageCount: z.number().int().nonnegative(),
});
export type Conversation = z.infer<typeof Conversation>;

export const Role = z.enum(['user', 'assistant']);
export type Role = z.infer<typeof Role>;

export const Message = z.object({
  id,
  conversationId: id,
  personId: id,
  /** Position in the conversation, from 0. */
  index: z.number().int().nonnegative(),
  role: Role,
  text: z.string(),
  time: epochMs.nullable(),
});
export type Message = z.infer<typeof Message>;

/** A message as a MessageChunk holds it: its conversation and person are the chunk's. */
export const ChunkedMessage = Message.omit({ conversationId: true, personId: true });
export type ChunkedMessage = z.infer<typeof ChunkedMessage>;

/**
 * How the store keeps messages: consecutive messages of one conversation in one record, because
 * IndexedDB costs about the same per record whatever its size (a 100 MB export is ~85,000
 * messages but ~7,000 chunks). `id` is the first message's id; `messageIds` lists every
 * message's id, in order, for the index that finds a message by its id.
 */
export const MessageChunk = z.object({
  id,
  conversationId: id,
  personId: id,
  messageIds: z.array(id).min(1),
  messages: z.array(ChunkedMessage).min(1),
}).refine(
  (c) => c.id === c.messages[0].id && c.messageIds.length === c.messages.length && c.messages.every((m, i) => m.id === c.messageIds[i]),
  { message: 'expected "id" to be the first message\'s id and "messageIds" to list the messages\' ids in order', path: ['messageIds'] },
);
export type MessageChunk = z.infer<typeof MessageChunk>;

export const MemoryOrigin = z.enum(['imported', 'extracted', 'manual']);
export const Memory = z.object({
  id,
  personId: id,
  /** Category, e.g. "social relationships", "constraints and boundaries". */
  label: z.string().min(1),
  value: z.string().min(1),
  /** Message ids the fact rests on; imported memories may carry free-text evidence instead. */
  evidence: z.array(z.string()),
  origin: MemoryOrigin,
  /** Position in the data set's own list of the person's memories (the reference's prompts list them in that order). */
  order: z.number().int().nonnegative().optional(),
  /** For extracted memories: hash of the conversation they were drawn from (incremental extraction). */
  sourceHash: z.string().optional(),
  updatedAt: epochMs,
});
export type Memory = z.infer<typeof Memory>;

export const Persona = z.object({
  id,
  personId: id,
  /** 1, 2, ...: regenerating or editing adds a version; the highest is current. */
  version: z.number().int().positive(),
  profile: z.string(),
  topics: z.array(z.string()),
  isDeep: z.boolean(),
  gateReason: z.string(),
  origin: MemoryOrigin,
  /** Hash of the inputs (memories + recent turns) it was inferred from, for caching. */
  inputHash: z.string().optional(),
  createdAt: epochMs,
});
export type Persona = z.infer<typeof Persona>;

export const ReferenceCriteria = z.object({
  resonation: z.string().optional(),
  expression: z.string().optional(),
  reception: z.string().optional(),
});

export const Case = z.object({
  id,
  personId: id,
  query: z.string().min(1),
  category: QueryCategory,
  /** The category as the data wrote it ("Emotional Support"), when it was not the code. */
  categoryLabel: z.string().optional(),
  /** A reference data set's session_id and query_id, for results a user of the reference can pair by id. */
  sessionId: z.string().optional(),
  queryId: z.string().optional(),
  scenario: z.string().optional(),
  /** Memory ids the data set marks as relevant to this query. */
  relevantMemoryIds: z.array(z.string()).default([]),
  /** Criteria text shipped with a reference data set, kept for comparison. */
  referenceCriteria: ReferenceCriteria.optional(),
  source: Source,
  createdAt: epochMs,
});
export type Case = z.infer<typeof Case>;

export const CandidateSource = z.enum([
  'import', 'paste', 'history', 'generated-generic', 'generated-personalized', 'demo',
]);
export type CandidateSource = z.infer<typeof CandidateSource>;

export const Candidate = z.object({
  id,
  caseId: id,
  personId: id,
  text: z.string(),
  source: CandidateSource,
  /** A short name to tell candidates apart ("preferred", "model X", "generic"). */
  name: z.string().optional(),
  /** The system under test that wrote it: a reference predictions file's name. Figures are reported per system. */
  system: z.string().optional(),
  /** Human label when the data has one: a score, or 1/0 for preferred/not preferred. */
  label: z.number().finite().nullable().default(null),
  createdAt: epochMs,
});
export type Candidate = z.infer<typeof Candidate>;

export const Criterion = z.object({
  name: z.string().min(1),
  weight: z.number().finite().nonnegative(),
  description: z.string(),
});
export type Criterion = z.infer<typeof Criterion>;

export const CriteriaSet = z.object({
  /** Content hash of (persona, case, dimension, model): the cache key. */
  id,
  caseId: id,
  dimension: Dimension,
  /** dataset: the case's own criteria text (a reference data set's); derived: written by the judge model. */
  source: z.enum(['dataset', 'derived']).default('derived'),
  /** The criteria text quoted verbatim to the judge (a data set's); absent: the items as numbered lines. */
  text: z.string().optional(),
  /** The criteria as items; for a data set's text, those that could be read from it (possibly none). */
  items: z.array(Criterion),
  /** Set when the model's weights did not sum to 100 and were rescaled. */
  renormalized: z.boolean(),
  edited: z.boolean().default(false),
  model: z.string(),
  createdAt: epochMs,
});
export type CriteriaSet = z.infer<typeof CriteriaSet>;

export const JudgeKind = z.enum(['resonation', 'expression', 'reception', 'bystander']);
export type JudgeKind = z.infer<typeof JudgeKind>;

export const Judgment = z.object({
  /** Content hash of (criteria, candidate, kind, trial, model, seed, mode): the cache key. */
  id,
  runId: z.string().optional(),
  caseId: id,
  candidateId: id,
  kind: JudgeKind,
  mode: z.enum(['fixed', 'dynamic', 'logprob']),
  trial: z.number().int().nonnegative(),
  model: z.string(),
  seed: z.number().int(),
  status: z.enum(['ok', 'failed']),
  /** 1–5 for the three dimensions (may be fractional in logprob mode); absent on failure. */
  score: z.number().finite().optional(),
  /** Bystander's five 0–20 sub-scores, keyed by the reference's names. */
  subscores: z.record(z.string(), z.number().finite()).optional(),
  analysis: z.string().optional(),
  criteria: z.array(Criterion).optional(),
  /** The stored criteria set the judgment was made against (fixed and logprob modes). */
  criteriaId: z.string().optional(),
  /** The model's raw output of the last attempt, always kept. */
  raw: z.string(),
  error: z.string().optional(),
  attempts: z.number().int().positive(),
  /** e.g. "prompt-injection" when the candidate tries to instruct the judge. */
  flags: z.array(z.string()).default([]),
  /** What had to be left out of the prompt to fit the context window. */
  truncation: z.string().optional(),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number() }),
  createdAt: epochMs,
});
export type Judgment = z.infer<typeof Judgment>;

export const Run = z.object({
  id,
  name: z.string(),
  status: z.enum(['pending', 'running', 'paused', 'done', 'cancelled', 'failed']),
  /** Everything that determines the run's results (the same header the CLI writes first in a results file). */
  header: RunHeader,
  /** The user's judge template, when the run uses one (the header keeps its name and hash). */
  judgeTemplate: JudgeTemplateRef.optional(),
  caseIds: z.array(z.string()),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  createdAt: epochMs,
  updatedAt: epochMs,
});
export type Run = z.infer<typeof Run>;

export const Setting = z.object({ key: z.string().min(1), value: z.unknown() });
export type Setting = z.infer<typeof Setting>;
