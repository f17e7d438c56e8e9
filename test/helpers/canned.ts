// Canned, valid answers for each step of the method, chosen by recognising the step from its
// system prompt. Shared by the scripted engine and the local OpenAI-compatible test server.
import type { ChatMessage } from '../../src/llm/engine.ts';

export type StepName =
  | 'memories' | 'persona' | 'criteria' | 'judge-fixed' | 'judge-dynamic' | 'judge-fixed-text' | 'judge-dynamic-text' | 'judge-combined'
  | 'bystander' | 'bystander-numbers' | 'pairwise' | 'reply' | 'unknown';

export function stepOf(messages: ChatMessage[]): StepName {
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  if (system.includes('durable facts')) return 'memories';
  if (system.includes('short profile')) return 'persona';
  if (system.includes('design the yardstick')) return 'criteria';
  if (system.includes('strict judge')) {
    if (system.includes('all three dimensions')) return 'judge-combined';
    const text = system.includes('Answer in plain text') ? '-text' : '';
    return system.includes('First write these criteria') ? `judge-dynamic${text}` as StepName : `judge-fixed${text}` as StepName;
  }
  if (system.includes('neutral third party')) return system.includes('five numbers') ? 'bystander-numbers' : 'bystander';
  if (system.includes('compare two replies')) return 'pairwise';
  if (system.includes('supportive assistant')) return 'reply';
  return 'unknown';
}

export const CANNED_CRITERIA = [
  { name: 'Names the feeling', weight: 30, description: 'Recognises the stated emotion accurately.' },
  { name: 'Finds the need', weight: 25, description: 'Infers the unmet need beneath the words.' },
  { name: 'Fits the person', weight: 25, description: 'Adapts to the person\'s known temperament without reciting facts.' },
  { name: 'Stays grounded', weight: 20, description: 'Does not over-read beyond the query and scenario.' },
];

export const CANNED_BYSTANDER = {
  'Content Effectiveness': 16,
  'Logical Structure & Clarity': 15,
  'Communication Efficiency': 14,
  'Objectivity & Neutrality': 17,
  'Information Accuracy & Verifiability': 18,
};

/** A deterministic score 1–5 from the prompt text and seed, so that trials differ but repeat exactly. */
export function cannedScore(messages: ChatMessage[], seed = 0): number {
  const text = messages.map((m) => m.content).join('\n') + seed;
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return 2 + (h % 4);
}

export function cannedAnswer(messages: ChatMessage[], seed = 0): string {
  const analysis = 'The reply recognises the frustration and the wish to be taken seriously, then offers one concrete step. It could validate longer before advising.';
  switch (stepOf(messages)) {
    case 'memories': {
      const refs = [...(messages.at(-1)?.content ?? '').matchAll(/^(m\d+) HUMAN:/gm)].map((m) => m[1]);
      return JSON.stringify({ memories: refs.slice(0, 2).map((r, i) => ({ label: 'states and experiences', value: `Fact ${i + 1} drawn from ${r}.`, evidence: [r] })) });
    }
    case 'persona':
      return JSON.stringify({ profile: '- Emotional expression: direct\n- Stress response: withdraws, then plans', topics: ['work'], is_deep: true, gate_reason: 'An ongoing concern about work recurs.' });
    case 'criteria':
      return JSON.stringify({ criteria: CANNED_CRITERIA });
    case 'judge-fixed':
      return JSON.stringify({ analysis, score: cannedScore(messages, seed) });
    case 'judge-dynamic':
      return JSON.stringify({ criteria: CANNED_CRITERIA, analysis, score: cannedScore(messages, seed) });
    case 'judge-fixed-text':
      return `Analysis: ${analysis}\nScores: \\boxed{${cannedScore(messages, seed)}}`;
    case 'judge-dynamic-text':
      return `Specific Criteria:\n${CANNED_CRITERIA.map((c, i) => `${i + 1}. ${c.name} (${c.weight}%): ${c.description}`).join('\n')}\nAnalysis: ${analysis}\nScores: \\boxed{${cannedScore(messages, seed)}}`;
    case 'judge-combined': {
      const verdict = (salt: number) => ({ analysis: 'Names the hurt, then one concrete step.', score: cannedScore(messages, seed + salt) });
      return JSON.stringify({ resonation: verdict(0), expression: verdict(1), reception: verdict(2), addresses_evaluator: false });
    }
    case 'bystander':
      return JSON.stringify(CANNED_BYSTANDER);
    case 'bystander-numbers':
      return JSON.stringify({ scores: Object.values(CANNED_BYSTANDER) });
    case 'pairwise':
      return JSON.stringify({ analysis: 'A validates first.', better: 'A' });
    case 'reply':
      return 'That sounds exhausting. It makes sense you feel let down; would it help to plan what to say tomorrow?';
    default:
      return 'I do not know this step.';
  }
}
