// A run header in words, row by row: how a set of results was produced. The HTML report and the
// Batch screen show the same rows.
import type { RunHeader } from '../domain/settings.ts';

export function runHeaderRows(h: RunHeader): [label: string, value: string][] {
  const s = h.settings;
  return [
    ['Model', `${h.engine.model} (${h.engine.kind}, context window ${h.engine.contextWindow} tokens)`],
    ['Protocol', h.protocol],
    ['Judging', `${s.mode} mode, ${s.judgeLayout}, k = ${s.k}, temperature ${s.temperature}, seed ${s.seed}, ${s.retries} retries`],
    ['Criteria', s.criteriaSource === 'dataset' ? `the data set's, else ${s.missingCriteria === 'derive' ? 'derived once per case' : 'the run stops'}` : 'derived by the judge model'],
    ['Memories', `${s.memoryBudget === null ? 'all that fit the context window' : `up to ${s.memoryBudget} tokens`}, ${s.memoryOrder === 'dataset' ? 'in the data set\'s order' : 'most relevant first'}`],
    ['Reward', s.bystander ? `empathy + λ·(bystander − 1), λ = ${s.lambda}` : 'empathy (no bystander)'],
    ['Answers', `${s.answerFormat}, read the ${s.scoring === 'reference' ? 'reference\'s' : 'Attune'} way${s.decodeCap ? `; at most ${s.decodeCap} decoded tokens per candidate` : ''}`],
    ['Replies addressing the evaluator', s.injectionPolicy === 'score-1' ? 'scored 1 on every dimension' : s.injectionPolicy === 'exclude' ? 'left out of the summary' : 'flagged only'],
    ['Attune', `${h.attuneVersion}, prompt version ${h.promptVersion}${h.judgeTemplate ? `, judge template ${h.judgeTemplate.name} (sha256 ${h.judgeTemplate.sha256.slice(0, 12)}…)` : ''}; started ${h.startedAt}`],
  ];
}
