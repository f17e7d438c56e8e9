// Cache keys, in one place. A stored criteria set or judgment is reused (across candidates,
// trials, resumed and later runs) only when every field that can change the model's answer, or
// how the answer is read, is equal. The fields are named by the interfaces below; the prompt
// text itself (persona, memories, case, criteria, candidate, instructions) is in `messages`.
import type { ChatMessage, EngineInfo } from '../llm/engine.ts';
import { SAMPLE_SEED_STRIDE } from '../llm/engine.ts';
import type { Dimension, JudgeKind } from '../domain/records.ts';
import type { EvaluationSettings } from '../domain/settings.ts';
import { contentId } from '../lib/hash.ts';

/** Bumped when a judge, criteria or bystander prompt changes meaning; recorded in every run header. */
export const JUDGE_PROMPT_VERSION = 2;
/** Bumped when the memories or persona prompt changes meaning (kept apart so that a judge change does not redo every person's extraction). */
export const PROFILE_PROMPT_VERSION = 1;

export { SAMPLE_SEED_STRIDE };

/** The seed of trial t: spread far apart so that retries (seed + attempt) never collide with another trial. */
export function trialSeed(base: number, trial: number): number {
  return (base + trial * SAMPLE_SEED_STRIDE) % 2_147_483_647;
}

/** The seed as a cache key holds it: only where sampling can make it matter. */
export function answerSeed(temperature: number, seed: number): number | null {
  return temperature === 0 ? null : seed;
}

/** What goes into one model answer. */
export interface AnswerFields {
  engine: EngineInfo['kind'];
  model: string;
  messages: ChatMessage[];
  temperature: number;
  /** null at temperature 0: decoding is greedy, so the seed cannot change the answer (answerSeed). */
  seed: number | null;
  maxTokens: number;
  /** Whether decoding was constrained to a JSON schema. */
  constrained: boolean;
  logprobs: boolean;
}

export interface CriteriaKeyFields extends AnswerFields {
  caseId: string;
  dimension: Dimension;
}

/** Also how the answer is read into a judgment. */
export interface JudgmentKeyFields extends AnswerFields {
  caseId: string;
  candidateId: string;
  kind: JudgeKind;
  trial: number;
  mode: EvaluationSettings['mode'];
  layout: EvaluationSettings['judgeLayout'];
  scoring: EvaluationSettings['scoring'];
  bystanderFormat: EvaluationSettings['bystanderFormat'];
}

export function criteriaKey(f: CriteriaKeyFields): Promise<string> {
  return contentId('crit', { v: JUDGE_PROMPT_VERSION, ...f });
}

/** A data set's criteria text for (case, dimension): no model involved. */
export function datasetCriteriaKey(f: { caseId: string; dimension: Dimension; text: string }): Promise<string> {
  return contentId('crit', { v: JUDGE_PROMPT_VERSION, dataset: true, ...f });
}

export function judgmentKey(f: JudgmentKeyFields): Promise<string> {
  return contentId('jdg', { v: JUDGE_PROMPT_VERSION, ...f });
}

/** A judgment that could not be asked (no criteria, a prompt that cannot fit): keyed by its cause, so a retry of the cause asks again. */
export function unsentJudgmentKey(f: { caseId: string; candidateId: string; kind: JudgeKind; trial: number; cause: string }): Promise<string> {
  return contentId('jdg', { v: JUDGE_PROMPT_VERSION, unsent: true, ...f });
}
