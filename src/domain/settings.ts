// The settings of an evaluation run and the header that describes a run completely. One type
// for the method (src/method), the CLI's results file and the app's Run record, so that every
// result can be traced to exactly how it was produced. Named sets of these settings (the
// protocols) live in src/method/protocols.ts.
import { z } from 'zod';

export const PROTOCOL_NAMES = ['reference', 'reward', 'default', 'fast'] as const;
export const ProtocolName = z.enum(PROTOCOL_NAMES);
export type ProtocolName = z.infer<typeof ProtocolName>;

export const JudgeMode = z.enum(['fixed', 'dynamic', 'logprob']);
export type JudgeMode = z.infer<typeof JudgeMode>;

/** Tokens of memories a prompt may hold; null: every memory that fits the context window. */
const MemoryBudget = z.number().int().positive().nullable();

export const EvaluationSettings = z.object({
  /** The named protocol these settings are, or were edited from. */
  protocol: ProtocolName,
  /**
   * fixed: criteria once per (case, dimension), every candidate judged against them;
   * dynamic: the judge writes its own criteria in each call; logprob: fixed criteria, one pass,
   * the expected score from token log-probabilities.
   */
  mode: JudgeMode,
  /** per-dimension: one judge call per (candidate, dimension); combined: one call judges all three. */
  judgeLayout: z.enum(['per-dimension', 'combined']),
  /** dataset: the case's own criteria text, quoted verbatim, when it has them; derive: always written by the judge model. */
  criteriaSource: z.enum(['dataset', 'derive']),
  /** With criteriaSource "dataset", a case without criteria: derive them once, or stop the run. */
  missingCriteria: z.enum(['derive', 'stop']),
  /** Trials per (candidate, dimension); logprob mode always makes one pass. */
  k: z.number().int().positive(),
  /** Weight of the bystander in the reward: reward = empathy + λ·(b − 1). */
  lambda: z.number().finite().nonnegative(),
  seed: z.number().int().nonnegative(),
  /** Extra attempts after an unparseable answer or a transient engine error. */
  retries: z.number().int().nonnegative(),
  /** Sampling temperature of judge calls. */
  temperature: z.number().finite().nonnegative(),
  /** Sampling temperature of criteria derivation. */
  criteriaTemperature: z.number().finite().nonnegative(),
  memoryBudget: MemoryBudget,
  criteriaMemoryBudget: MemoryBudget,
  /** dataset: memories in the order the data has them (the reference's); relevance: the case's relevant ones first, then by relevance to the query. */
  memoryOrder: z.enum(['dataset', 'relevance']),
  bystander: z.boolean(),
  /** named: a JSON object keyed by the five aspects (the reference's); numbers: the five numbers only, in order (fewer tokens to decode). */
  bystanderFormat: z.enum(['named', 'numbers']),
  /** json: JSON answers (schema-constrained where the engine can); text: the reference's "Analysis: … Scores: \boxed{x}". */
  answerFormat: z.enum(['json', 'text']),
  /**
   * How a judge's score is read. attune: a score outside 1–5 is an unparseable answer;
   * reference: as the reference reads it (the first \boxed{} number, whatever its value, flagged when out of range).
   */
  scoring: z.enum(['attune', 'reference']),
  answerTokens: z.object({
    criteria: z.number().int().positive(),
    judge: z.number().int().positive(),
    dynamic: z.number().int().positive(),
    combined: z.number().int().positive(),
    bystander: z.number().int().positive(),
  }),
  /** Hard cap on the sum of max_tokens over every call made for one candidate (criteria apart); null: none. */
  decodeCap: z.number().int().positive().nullable(),
  /**
   * "auto": the k trials of a dimension go out as one request with k samples (OpenAI's `n`)
   * when the engine supports it, so the prompt is processed once; 1: one call per trial.
   */
  samplesPerCall: z.union([z.literal('auto'), z.literal(1)]),
  /** A reply that addresses the evaluator: flag it only, exclude it from summaries, or score it 1 on every dimension. */
  injectionPolicy: z.enum(['flag', 'exclude', 'score-1']),
});
export type EvaluationSettings = z.infer<typeof EvaluationSettings>;

/** A judge prompt supplied by the user, with named placeholders (src/method/template.ts). */
export const JudgeTemplateRef = z.object({ name: z.string(), sha256: z.string(), text: z.string() });
export type JudgeTemplateRef = z.infer<typeof JudgeTemplateRef>;

/**
 * Everything that determines a run's results, written as the first line of every results file
 * and kept on the app's Run record (after Inspect AI's EvalSpec). Two runs may share results
 * only when their headers agree on every field but `startedAt`.
 */
export const RunHeader = z.object({
  type: z.literal('attune-run'),
  /** Version of this header's layout. */
  format: z.literal(1),
  attuneVersion: z.string(),
  promptVersion: z.number().int(),
  protocol: ProtocolName,
  settings: EvaluationSettings,
  engine: z.object({ kind: z.string(), model: z.string(), contextWindow: z.number().int().positive() }),
  /** The data the run reads, with content hashes. */
  data: z.array(z.object({ file: z.string(), sha256: z.string() })),
  judgeTemplate: JudgeTemplateRef.omit({ text: true }).nullable(),
  startedAt: z.string(),
});
export type RunHeader = z.infer<typeof RunHeader>;

/** The header fields that differ between two runs, as dotted paths ("settings.k"); `startedAt` never counts. */
export function headerDifferences(a: RunHeader, b: RunHeader): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (path === 'startedAt') return;
    if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push(path);
  };
  walk(a, b, '');
  return out;
}
