// Small hand-made records for method tests and benches: one person with memories, a persona,
// cases and candidates. Plain values, no store.
import type { Candidate, Case, Conversation, Memory, Message, Persona } from '../../src/domain/records.ts';
import type { EvaluationItem } from '../../src/method/pipeline.ts';

const T = 1_700_000_000_000;

export function memory(i: number, label: string, value: string, personId = 'p1'): Memory {
  return { id: `mem${i}`, personId, label, value, evidence: [`msg${i}`], origin: 'imported', updatedAt: T };
}

export const MEMORIES: Memory[] = [
  memory(1, 'social relationships', 'Has a younger sister, Mia, who recently moved abroad.'),
  memory(2, 'constraints and boundaries', 'Dislikes being told to "just relax" when stressed.'),
  memory(3, 'states and experiences', 'Was passed over for a promotion at the design agency in spring.'),
  memory(4, 'personal background', 'Grew up in a small coastal town and values directness.'),
  memory(5, 'positive opinions', 'Finds long walks by the sea calming.'),
  memory(6, 'possessions', 'Owns an old film camera inherited from a grandfather.'),
];

export const PERSONA: Persona = {
  id: 'persona1', personId: 'p1', version: 1,
  profile: '- Empathy level: high\n- Emotional expression: direct, sometimes blunt\n- Stress response: withdraws, then makes a plan\n- Emotional needs: to be taken seriously, practical respect',
  topics: ['work', 'family'], isDeep: true, gateReason: 'Recurring work stress and family ties.', origin: 'imported', createdAt: T,
};

export function makeCase(i: number, query: string, scenario?: string): Case {
  return {
    id: `case${i}`, personId: 'p1', query, category: 'ES', scenario, relevantMemoryIds: [],
    source: { format: 'manual' }, createdAt: T,
  };
}

export function makeCandidate(caseId: string, j: number, text: string, label: number | null = null): Candidate {
  return { id: `${caseId}-cand${j}`, caseId, personId: 'p1', text, source: 'import', label, createdAt: T };
}

export const CASE1 = makeCase(1, 'My manager gave the promotion to someone else again and I feel invisible at work.', 'After a team meeting where the decision was announced.');

export function items(nCases = 2, nCandidates = 2): EvaluationItem[] {
  const queries = [
    CASE1.query,
    'My sister moved abroad and our calls keep getting shorter. I miss her.',
    'A friend cancelled on me for the third time. Should I say something?',
  ];
  return Array.from({ length: nCases }, (_, i) => {
    const c = i === 0 ? CASE1 : makeCase(i + 1, queries[i % queries.length]);
    return {
      case: c,
      persona: PERSONA,
      memories: MEMORIES,
      candidates: Array.from({ length: nCandidates }, (_, j) =>
        makeCandidate(c.id, j, j === 0 ? 'That sounds really painful. Being overlooked twice would make anyone feel unseen.' : 'Just relax, it will be fine.')),
    };
  });
}

export function conversation(id: string, texts: [('user' | 'assistant'), string][], personId = 'p1'): { conversation: Conversation; messages: Message[] } {
  return {
    conversation: { id, personId, title: id, startedAt: null, source: { format: 'manual' }, messageCount: texts.length },
    messages: texts.map(([role, text], index) => ({ id: `${id}-m${index}`, conversationId: id, personId, index, role, text, time: null })),
  };
}
