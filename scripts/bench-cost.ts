// bench:cost: what one evaluation costs in model calls and tokens, on a synthetic
// PersonaEmp-like data set (10 people × 2 cases × 3 candidates = 20 cases, 60 candidates) run
// through the local recording OpenAI-compatible server with canned answers:
//   (a) the reference protocol: dynamic mode, k = 4, every call re-sending the full context
//       (persona, every memory, scenario, query, reply), plus the bystander;
//   (b) Attune's default: fixed mode (criteria derived once per case and dimension and
//       cached), the k trials of a dimension as k samples of one request (OpenAI's n), memories
//       chosen by relevance within a token budget; same k, same formulas;
//   (c) (b) run again on the same store: the cache answers everything;
//   (d) (b) with one request per trial, as on servers without `n` (llama.cpp).
// Tokens are counted by the server (chars/4 + 4 per message) identically for every request.
//   npm run bench:cost
import { startOpenAIServer, type OpenAIServer } from '../test/helpers/openai-server.ts';
import { OpenAIEngine } from '../src/llm/openai.ts';
import { runEvaluation, type EvaluationItem, type EvaluationSettings } from '../src/method/pipeline.ts';
import { PROTOCOLS } from '../src/method/protocols.ts';

const DEFAULT_SETTINGS = PROTOCOLS.default.settings;
import { MemoryEvaluationStore } from '../src/method/store.ts';
import type { Candidate, Case, Memory, Persona } from '../src/domain/records.ts';
import { stepOf } from '../test/helpers/canned.ts';

const PEOPLE = 10;
const CASES_PER_PERSON = 2;
const CANDIDATES_PER_CASE = 3;
const MEMORIES_PER_PERSON = 40;
const K = 4;

// A deterministic PRNG so that every run measures the same data.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const LABELS = ['social relationships', 'states and experiences', 'personal background', 'constraints and boundaries', 'positive opinions', 'negative opinions', 'possessions'];
const NOUNS = ['sister', 'manager', 'flatmate', 'promotion', 'exam', 'garden', 'bicycle', 'choir', 'grandmother', 'dog', 'night shift', 'thesis', 'landlord', 'marathon', 'piano', 'move abroad', 'team lead', 'best friend', 'startup', 'therapy'];
const VERBS = ['worries about', 'is proud of', 'avoids talking about', 'feels guilty about', 'often mentions', 'is frustrated by', 'finds comfort in', 'is anxious about'];
const QUERIES = [
  'I got passed over for the {n} again and I feel invisible at work. I do not know why I even try.',
  'My {n} keeps cancelling on me and I am starting to think I am the problem. How do I bring it up without a fight?',
  'I finally finished the {n} and nobody noticed. Is it silly to feel this empty about it?',
  'I snapped at my {n} today and now I cannot stop replaying it. What should I say tomorrow?',
];

function synthetic(): EvaluationItem[] {
  const rand = rng(7);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const items: EvaluationItem[] = [];
  for (let p = 0; p < PEOPLE; p++) {
    const personId = `person${p}`;
    const memories: Memory[] = Array.from({ length: MEMORIES_PER_PERSON }, (_, i) => ({
      id: `${personId}-mem${i}`, personId, label: pick(LABELS),
      value: `The user ${pick(VERBS)} their ${pick(NOUNS)}, especially since it came up around the ${pick(NOUNS)} last ${pick(['spring', 'winter', 'month', 'year'])}.`,
      evidence: [], origin: 'imported', updatedAt: 0,
    }));
    const persona: Persona = {
      id: `${personId}-persona`, personId, version: 1, origin: 'imported', createdAt: 0, isDeep: true,
      gateReason: 'Recurring emotional themes around work and close relationships.',
      topics: [pick(NOUNS), pick(NOUNS), pick(NOUNS)],
      profile: [
        '- Empathy level: high; notices others\' moods quickly and tends to put them first.',
        '- Emotional expression: direct in writing, understated in person; uses humour to deflect.',
        '- Mood stability: steady most weeks, dips sharply after perceived rejection.',
        '- Sensitivity: strong reaction to being overlooked or talked down to.',
        '- Stress response: withdraws for a day, then makes detailed plans.',
        '- Caring style: practical help over words; remembers small details about friends.',
        '- Emotional needs: to be taken seriously, reassurance without pity, room to decide.',
      ].join('\n'),
    };
    for (let c = 0; c < CASES_PER_PERSON; c++) {
      const caseId = `${personId}-case${c}`;
      const theCase: Case = {
        id: caseId, personId, category: pick(['ES', 'HEI', 'SS'] as const), relevantMemoryIds: [], source: { format: 'demo' }, createdAt: 0,
        query: pick(QUERIES).replace('{n}', pick(NOUNS)),
        scenario: `Late evening after a long day. Earlier the user had a short, tense exchange about the ${pick(NOUNS)} and has been quiet since. They open the chat without greeting and type quickly, deleting and retyping the first line twice.`,
      };
      const candidates: Candidate[] = Array.from({ length: CANDIDATES_PER_CASE }, (_, j) => ({
        id: `${caseId}-cand${j}`, caseId, personId, source: 'demo', label: null, createdAt: 0,
        text: [
          'That sounds genuinely painful, and it makes sense that it hit you hard.',
          `Being overlooked after putting in so much effort around the ${pick(NOUNS)} would leave most people feeling unseen.`,
          'Before deciding anything, it might help to name what you most want right now: recognition, a clear explanation, or simply some space.',
          j === 0 ? 'If it helps, we could draft what you might say tomorrow, in your own direct style.' : 'Try to get some rest tonight; things often look different in the morning.',
        ].join(' '),
      }));
      items.push({ case: theCase, persona, memories, candidates });
    }
  }
  return items;
}

interface Tally {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  byStep: Record<string, { calls: number; promptTokens: number; completionTokens: number }>;
}

function tally(server: OpenAIServer, from: number): Tally {
  const t: Tally = { calls: 0, promptTokens: 0, completionTokens: 0, byStep: {} };
  for (const r of server.chatRequests().slice(from)) {
    const step = stepOf(r.body.messages);
    const s = (t.byStep[step] ??= { calls: 0, promptTokens: 0, completionTokens: 0 });
    for (const x of [t, s]) {
      x.calls++;
      x.promptTokens += r.promptTokens ?? 0;
      x.completionTokens += r.completionTokens ?? 0;
    }
  }
  return t;
}

const perCandidate = (t: Tally, n: number) => ({
  calls: +(t.calls / n).toFixed(2),
  promptTokens: Math.round(t.promptTokens / n),
  completionTokens: Math.round(t.completionTokens / n),
  totalTokens: Math.round((t.promptTokens + t.completionTokens) / n),
});

async function measure(server: OpenAIServer, settings: Partial<EvaluationSettings>, store = new MemoryEvaluationStore()) {
  const engine = await new OpenAIEngine({ baseUrl: server.url, contextWindow: 32768 }).load('bench-judge');
  const from = server.chatRequests().length;
  const started = Date.now();
  const run = await runEvaluation({ engine, store, items: synthetic(), settings });
  return { tally: tally(server, from), run, ms: Date.now() - started, store };
}

const server = await startOpenAIServer();
try {
  const candidates = PEOPLE * CASES_PER_PERSON * CANDIDATES_PER_CASE;
  const reference = await measure(server, { mode: 'dynamic', k: K, memoryBudget: Infinity, criteriaMemoryBudget: Infinity, bystander: true, samplesPerCall: 1 });
  const attuneOneCallPerTrial = await measure(server, { ...DEFAULT_SETTINGS, k: K, samplesPerCall: 1 });
  const attune = await measure(server, { ...DEFAULT_SETTINGS, k: K });
  const rerun = await measure(server, { ...DEFAULT_SETTINGS, k: K }, attune.store);
  const total = (t: Tally) => t.promptTokens + t.completionTokens;
  const ratio = total(attune.tally) / total(reference.tally);
  const report = {
    bench: 'cost',
    data: { people: PEOPLE, cases: PEOPLE * CASES_PER_PERSON, candidates, memoriesPerPerson: MEMORIES_PER_PERSON, k: K },
    tokenCounting: 'server-side estimate: ceil(chars/4) + 4 per message, identical for both protocols',
    reference: {
      protocol: 'dynamic, k=4, full context in every call, plus bystander',
      perCandidate: perCandidate(reference.tally, candidates), totals: reference.tally,
      failedJudgments: reference.run.summary.failedJudgments,
    },
    attuneDefault: {
      protocol: `fixed (criteria once per case and dimension, cached), k=4 samples in one request per dimension (n=4), memories by relevance within ${DEFAULT_SETTINGS.memoryBudget} tokens per judge prompt (${DEFAULT_SETTINGS.criteriaMemoryBudget} for criteria), plus bystander`,
      perCandidate: perCandidate(attune.tally, candidates), totals: attune.tally,
      failedJudgments: attune.run.summary.failedJudgments,
    },
    attuneOnServersWithoutN: {
      protocol: 'as attuneDefault, but one request per trial (servers that reject n, e.g. llama.cpp)',
      perCandidate: perCandidate(attuneOneCallPerTrial.tally, candidates),
      ratioTotalTokens: +(total(attuneOneCallPerTrial.tally) / total(reference.tally)).toFixed(3),
    },
    attuneRerunSameSettings: { calls: rerun.tally.calls, promptTokens: rerun.tally.promptTokens, completionTokens: rerun.tally.completionTokens },
    ratio: {
      totalTokens: +ratio.toFixed(3),
      promptTokens: +(attune.tally.promptTokens / reference.tally.promptTokens).toFixed(3),
      completionTokens: +(attune.tally.completionTokens / reference.tally.completionTokens).toFixed(3),
      calls: +(attune.tally.calls / reference.tally.calls).toFixed(3),
    },
    target: 'attuneDefault total tokens ≤ 1/3 of reference',
    meetsTarget: ratio <= 1 / 3,
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await server.close();
}
