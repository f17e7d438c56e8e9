// The named protocols: complete sets of evaluation settings, chosen by name in one place by the
// Evaluate and Batch screens, the evaluation worker and the CLI (`--protocol`). Every result
// records the protocol and its full settings (the run header, src/domain/settings.ts).
//
// - reference: the authors' evaluation (evaluation/eval.py): the data set's fixed criteria quoted
//   verbatim, one judge call per (candidate, dimension) at temperature 0.3, all memories, the
//   answer as "Analysis: … Scores: \boxed{x}", read as eval.py reads it; an answer with no
//   readable score is final (retries 0), as eval.py records None and asks nothing again.
// - reward: the PereGRM reward of training (peregrm_reward.py): dynamic criteria in each judge
//   call, GRM_TRIAL = 1 trial at 0.3, the bystander, λ = 0.5, no retry either.
// - default: Attune's everyday protocol: fixed criteria (the data set's, else derived once and
//   cached), k sampled trials with prompts laid out for prefix caching, all memories that fit.
// - fast: for a laptop GPU: one call judges all three dimensions against the cached criteria,
//   expected scores from log-probabilities, a five-number bystander, at most 600 decoded tokens
//   per candidate.
import { EvaluationSettings, PROTOCOL_NAMES, type ProtocolName } from '../domain/settings.ts';

export { PROTOCOL_NAMES, type ProtocolName };

export interface Protocol {
  name: ProtocolName;
  title: string;
  summary: string;
  settings: EvaluationSettings;
}

const REFERENCE: EvaluationSettings = {
  protocol: 'reference',
  mode: 'fixed',
  judgeLayout: 'per-dimension',
  criteriaSource: 'dataset',
  missingCriteria: 'stop',
  k: 1,
  lambda: 0.5,
  seed: 42,
  retries: 0,
  temperature: 0.3,
  criteriaTemperature: 0.2,
  memoryBudget: null,
  criteriaMemoryBudget: null,
  memoryOrder: 'dataset',
  bystander: false,
  bystanderFormat: 'named',
  answerFormat: 'text',
  scoring: 'reference',
  answerTokens: { criteria: 2048, judge: 2048, dynamic: 2048, combined: 2048, bystander: 512 },
  decodeCap: null,
  samplesPerCall: 'auto',
  injectionPolicy: 'flag',
};

export const PROTOCOLS: Record<ProtocolName, Protocol> = {
  reference: {
    name: 'reference',
    title: 'Reference (eval.py)',
    summary: 'Reproduces the authors\' evaluation: the data set\'s fixed criteria, one judge call per dimension at temperature 0.3, all memories, answers read as eval.py reads them, figures per system.',
    settings: REFERENCE,
  },
  reward: {
    name: 'reward',
    title: 'Reward (PereGRM)',
    summary: 'Reproduces the PereGRM training reward: the judge writes its own criteria in each call, one trial at 0.3, plus the bystander; reward = empathy + λ·(b − 1).',
    settings: {
      ...REFERENCE,
      protocol: 'reward',
      mode: 'dynamic',
      criteriaSource: 'derive',
      missingCriteria: 'derive',
      bystander: true,
    },
  },
  default: {
    name: 'default',
    title: 'Default',
    summary: 'Fixed criteria (the data set\'s, else derived once per case and cached), 3 sampled trials per dimension, all memories that fit, prompts shared across candidates for prefix caching, plus the bystander.',
    settings: {
      protocol: 'default',
      mode: 'fixed',
      judgeLayout: 'per-dimension',
      criteriaSource: 'dataset',
      missingCriteria: 'derive',
      k: 3,
      lambda: 0.5,
      seed: 42,
      retries: 2,
      temperature: 0.7,
      criteriaTemperature: 0,
      memoryBudget: null,
      criteriaMemoryBudget: null,
      memoryOrder: 'relevance',
      bystander: true,
      bystanderFormat: 'named',
      answerFormat: 'json',
      scoring: 'attune',
      answerTokens: { criteria: 700, judge: 300, dynamic: 900, combined: 600, bystander: 120 },
      decodeCap: null,
      samplesPerCall: 'auto',
      injectionPolicy: 'score-1',
    },
  },
  fast: {
    name: 'fast',
    title: 'Fast (laptop GPU)',
    summary: 'One call judges all three dimensions against the cached criteria with a short analysis each; expected scores from log-probabilities; a five-number bystander; at most 600 decoded tokens per candidate.',
    settings: {
      protocol: 'fast',
      mode: 'logprob',
      judgeLayout: 'combined',
      criteriaSource: 'dataset',
      missingCriteria: 'derive',
      k: 1,
      lambda: 0.5,
      seed: 42,
      retries: 1,
      temperature: 0,
      criteriaTemperature: 0,
      memoryBudget: null,
      criteriaMemoryBudget: null,
      memoryOrder: 'relevance',
      bystander: true,
      bystanderFormat: 'numbers',
      answerFormat: 'json',
      scoring: 'attune',
      // 268 + 28 = 296 per candidate, so one retry of each still fits the 600-token cap.
      answerTokens: { criteria: 700, judge: 268, dynamic: 900, combined: 268, bystander: 28 },
      decodeCap: 600,
      samplesPerCall: 'auto',
      injectionPolicy: 'score-1',
    },
  },
};

export const DEFAULT_PROTOCOL: ProtocolName = 'default';

/**
 * A protocol's settings with some fields changed (the CLI's options, the screens' form),
 * validated as a whole: an invalid value is an error naming the field, never a silent default.
 */
export function protocolSettings(name: ProtocolName, overrides: Partial<EvaluationSettings> = {}): EvaluationSettings {
  const base = PROTOCOLS[name].settings;
  const merged = { ...base, ...overrides, protocol: name, answerTokens: { ...base.answerTokens, ...overrides.answerTokens } };
  const parsed = EvaluationSettings.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid setting ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** The fields in which settings differ from their protocol's (empty: the protocol as named). */
export function customizedFields(settings: EvaluationSettings): string[] {
  const base = PROTOCOLS[settings.protocol].settings as Record<string, unknown>;
  return Object.entries(settings).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(base[k])).map(([k]) => k);
}
