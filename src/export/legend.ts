// What every figure Attune shows means: its range and how it is computed, in one place. The
// screens' legend and tooltips (ui/components/ScoreLegend.svelte) and the HTML report read it;
// the README's "How scores are computed" says the same at more length.
import { DEFAULT_LAMBDA } from '../method/aggregate.ts';

export type ScoreTerm =
  | 'scale' | 'resonation' | 'expression' | 'reception' | 'empathy' | 'bystander' | 'reward'
  | 'lambda' | 'overall' | 'meanEmpathy' | 'failures' | 'label' | 'judgeScore';

export interface TermExplanation {
  /** The name as the screens show it. */
  name: string;
  /** What it is, its range and how it is computed, in one or two sentences. */
  text: string;
}

export const SCORE_TERMS: Record<ScoreTerm, TermExplanation> = {
  scale: {
    name: '0–1 scale',
    text: 'Every score in the tables runs from 0 (worst) to 1 (best), except reward, which can go below 0. The judge scores 1–5; a dimension score is that divided by 5, so it never goes below 0.2.',
  },
  judgeScore: {
    name: 'Judge score (1–5)',
    text: 'What the judge model gave one reply on one dimension in one trial, on its 1–5 scale: 1 fails the criteria, 3 meets some, 5 meets them all. Means marked "(1–5)" average these.',
  },
  resonation: {
    name: 'Resonation',
    text: 'How accurately the reply understands this person: the feeling, its link to what is known about them, the need beneath. The mean over trials of the judge score divided by 5 (0.2–1).',
  },
  expression: {
    name: 'Expression',
    text: 'How well the reply says it: warm, validating before advising, clear, respectful, fitted to the person. The mean over trials of the judge score divided by 5 (0.2–1).',
  },
  reception: {
    name: 'Reception',
    text: 'How this person would likely take it: understood, safe, helped, wanting to reply. The mean over trials of the judge score divided by 5 (0.2–1).',
  },
  empathy: {
    name: 'Empathy',
    text: 'The harmonic mean of resonation, expression and reception (0–1): 3 / (1/r + 1/e + 1/c). A weak dimension pulls it down more than a plain average would; it is missing if any dimension is.',
  },
  bystander: {
    name: 'Bystander',
    text: 'A neutral reader who sees only the query and the reply scores content, structure, efficiency, neutrality and accuracy, 0–20 each; their sum divided by 100 (0–1). Warmth alone does not raise it.',
  },
  reward: {
    name: 'Reward',
    text: `Empathy + λ × (bystander − 1): equal to empathy when the bystander gives full marks, lower otherwise. With λ = ${DEFAULT_LAMBDA} it runs from −${DEFAULT_LAMBDA} to 1. Results are ranked by it.`,
  },
  lambda: {
    name: 'λ (lambda)',
    text: `How much the bystander's view weighs in the reward: 0 ignores it; ${DEFAULT_LAMBDA} is the reference's default.`,
  },
  overall: {
    name: 'Overall empathy score (reference)',
    text: 'The figure the reference reports for a data set: the mean of the three dimension means (1–5), divided by 5. It averages the dimensions first, so when no judgment failed it is never below mean empathy.',
  },
  meanEmpathy: {
    name: 'Mean empathy',
    text: "The mean of each reply's empathy (a harmonic mean), so a reply strong on two dimensions and weak on one counts lower here than in the reference's overall score.",
  },
  failures: {
    name: 'Failures',
    text: 'Judge calls that failed (no readable score after the retries). The failed part is left out and shown as "—", never replaced by a made-up score.',
  },
  label: {
    name: 'label n',
    text: "A human label that came with the data: a score from the data set, or 1 for the preferred and 0 for the non-preferred reply of a pair. Agreement figures compare the judge's ranking with it.",
  },
};

/** The tooltip of a figure: its name and explanation. */
export function termTooltip(term: ScoreTerm): string {
  const t = SCORE_TERMS[term];
  return `${t.name}: ${t.text}`;
}

/** The terms a legend lists, in reading order. */
export const LEGEND_ORDER: ScoreTerm[] = [
  'scale', 'resonation', 'expression', 'reception', 'empathy', 'bystander', 'reward', 'lambda',
  'judgeScore', 'overall', 'meanEmpathy', 'failures', 'label',
];

export const METHOD_SECTION = 'How scores are computed';
