// bench:cost: what one evaluation costs under each named protocol (src/method/protocols.ts),
// side by side, on one synthetic PersonaEmp-like data set (10 people × 2 cases × 3 candidates =
// 20 cases, 60 candidates, 30–60 memories per person, the data set's criteria text on every case)
// run through the real local OpenAI-compatible test server, once where the server honours `n`
// and once where it rejects it (llama.cpp). Every figure is counted at the recording server:
// calls, prompt tokens, prompt tokens left uncached under prefix caching (vLLM-style automatic
// prefix caching against every earlier prompt, and llama.cpp single-slot caching against the
// previous prompt only), decoded tokens, and the decode cap (the sum of max_tokens × n asked).
// Judge answers are realistically long (a 60–120 token analysis per per-dimension judgment; the
// combined judge's one sentence per dimension as its prompt asks), cut at max_tokens as a
// server would. Criteria cost is reported apart, from a second run on the same data without
// criteria text, where each protocol derives them once per case and dimension (the reference
// then stands for prepare_criteria.py followed by eval.py).
//   npm run bench:cost
import { startOpenAIServer, type ChatBody, type OpenAIServer, type ScriptedReply } from '../test/helpers/openai-server.ts';
import { CANNED_BYSTANDER, cannedScore, stepOf } from '../test/helpers/canned.ts';
import { OpenAIEngine } from '../src/llm/openai.ts';
import { estimateTokens } from '../src/llm/tokens.ts';
import { runEvaluation, type EvaluationItem } from '../src/method/pipeline.ts';
import { PROTOCOL_NAMES, PROTOCOLS, type ProtocolName } from '../src/method/protocols.ts';
import { MemoryEvaluationStore } from '../src/method/store.ts';
import { DIMENSIONS, type Candidate, type Case, type Memory, type Persona } from '../src/domain/records.ts';

const PEOPLE = 10;
const CASES_PER_PERSON = 2;
const CANDIDATES_PER_CASE = 3;
const MEMORIES_MIN = 30;
const MEMORIES_MAX = 60;

// A deterministic PRNG so that every run measures the same data and the same answers.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

const LABELS = ['social relationships', 'states and experiences', 'personal background / past experience', 'constraints and boundaries', 'positive opinions', 'negative opinions', 'possessions'];
const NOUNS = ['sister', 'manager', 'flatmate', 'promotion', 'exam', 'garden', 'bicycle', 'choir', 'grandmother', 'dog', 'night shift', 'thesis', 'landlord', 'marathon', 'piano', 'move abroad', 'team lead', 'best friend', 'startup', 'therapy'];
const VERBS = ['worries about', 'is proud of', 'avoids talking about', 'feels guilty about', 'often mentions', 'is frustrated by', 'finds comfort in', 'is anxious about'];
const WHEN = ['last spring', 'over the winter', 'since the move', 'after the argument in March', 'for most of the year', 'since university'];
const QUERIES = [
  'I got passed over for the {n} again and I feel invisible at work. I do not know why I even try anymore, and I am tired of pretending it does not bother me.',
  'My {n} keeps cancelling on me and I am starting to think I am the problem. How do I bring it up without it turning into a fight like last time?',
  'I finally finished the {n} and nobody noticed. Is it silly to feel this empty about it? I thought I would feel relieved.',
  'I snapped at my {n} today and now I cannot stop replaying it. What should I say tomorrow so it does not get worse?',
];
const REPLY_SENTENCES = [
  'That sounds genuinely painful, and it makes sense that it hit you this hard.',
  'Being overlooked after putting in so much effort would leave most people feeling unseen.',
  'You have clearly been carrying this for a while, and it is tiring to keep pretending it does not matter.',
  'Before deciding anything, it might help to name what you most want right now: recognition, a clear explanation, or simply some space.',
  'If it helps, we could draft what you might say tomorrow, in your own direct style.',
  'It could be worth asking for a short conversation where you describe what happened without assigning blame.',
  'Try to get some rest tonight; things often look different in the morning, even if the problem is still there.',
  'You mentioned before that long walks help you think; maybe that is a gentle place to start.',
  'Whatever you choose, your reaction is understandable, and it does not make you difficult or oversensitive.',
  'One small step could be writing down the two or three points that matter most to you, so you feel prepared.',
];
const CRITERIA_NAMES = ['Names the feeling', 'Finds the need beneath', 'Fits this person', 'Stays grounded', 'Respects autonomy', 'Concrete next step'];
const ANALYSIS_SENTENCES = [
  'The reply opens by naming the hurt directly, which matches the criterion on recognising the stated emotion.',
  'It links the present disappointment to the person\'s long-standing wish to be taken seriously without reciting remembered facts.',
  'The suggestion to decide what they want before acting respects their habit of withdrawing first and planning afterwards.',
  'However, the advice arrives quickly, and the validation could have been held a little longer before it.',
  'The tone is warm and plain, without pity, which suits someone who dislikes being talked down to.',
  'It does not over-read the scenario; it stays with what the person actually said.',
  'The closing offer to draft a message is concrete and leaves the decision with the person.',
  'A more careful reply would acknowledge the uncertainty about what the other person meant.',
  'The high-weight criterion on the unmet need is met only in part: the need for recognition is implied rather than named.',
];
const SHORT_VERDICTS = [
  'Names the hurt and the wish to be seen, then offers one concrete step.',
  'Warm and plain, validation first, though the advice comes a little early.',
  'They would likely feel understood and safe to reply and share more.',
];

function sentences(rand: () => number, pool: string[], minTokens: number, maxTokens: number): string {
  const target = minTokens + Math.floor(rand() * (maxTokens - minTokens + 1));
  const out: string[] = [];
  // Sentences drawn at random, never the same one twice in a row.
  while (estimateTokens(out.join(' ')) < target) {
    const next = pool[Math.floor(rand() * pool.length)];
    if (next !== out.at(-1)) out.push(next);
  }
  return out.join(' ');
}

function criteriaTextFor(rand: () => number, dimension: string): string {
  const count = 4 + Math.floor(rand() * 3);
  const weights = Array.from({ length: count }, () => 1 + rand());
  const total = weights.reduce((s, w) => s + w, 0);
  const percents = weights.map((w) => Math.round((w / total) * 100));
  percents[0] += 100 - percents.reduce((s, p) => s + p, 0);
  return `Specific Criteria:\n${percents.map((p, i) => `${i + 1}. ${CRITERIA_NAMES[i]} (${p}%): For ${dimension}, a strong reply ${sentences(rand, ANALYSIS_SENTENCES, 20, 35).toLowerCase()}`).join('\n')}`;
}

function synthetic(withCriteria: boolean): EvaluationItem[] {
  const rand = rng(7);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const items: EvaluationItem[] = [];
  const seenReplies = new Set<string>();
  for (let p = 0; p < PEOPLE; p++) {
    const personId = `person${p}`;
    const count = MEMORIES_MIN + Math.floor(rand() * (MEMORIES_MAX - MEMORIES_MIN + 1));
    const memories: Memory[] = Array.from({ length: count }, (_, i) => ({
      id: `${personId}-mem${i}`, personId, label: pick(LABELS),
      value: `The user ${pick(VERBS)} their ${pick(NOUNS)}, especially ${pick(WHEN)}, when it came up alongside the ${pick(NOUNS)}.`,
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
        `- Emotional needs: to be taken seriously, reassurance without pity, room to decide; currently preoccupied with the ${pick(NOUNS)}.`,
      ].join('\n'),
    };
    for (let c = 0; c < CASES_PER_PERSON; c++) {
      const caseId = `${personId}-case${c}`;
      const theCase: Case = {
        id: caseId, personId, category: pick(['ES', 'HEI', 'SS'] as const), source: { format: 'demo' }, createdAt: 0,
        relevantMemoryIds: [pick(memories).id, pick(memories).id, pick(memories).id],
        query: pick(QUERIES).replace('{n}', pick(NOUNS)),
        scenario: `Late evening after a long day. Earlier the user had a short, tense exchange about the ${pick(NOUNS)} and has been quiet since. They open the chat without greeting and type quickly, deleting and retyping the first line twice.`,
        ...(withCriteria ? { referenceCriteria: Object.fromEntries(DIMENSIONS.map((d) => [d, criteriaTextFor(rand, d)])) } : {}),
      };
      const candidates: Candidate[] = Array.from({ length: CANDIDATES_PER_CASE }, (_, j) => {
        const text = sentences(rand, REPLY_SENTENCES, 90, 220);
        // Requests are attributed to candidates by their text.
        if (seenReplies.has(text)) throw new Error('bench:cost: two synthetic candidates have the same text');
        seenReplies.add(text);
        return { id: `${caseId}-cand${j}`, caseId, personId, source: 'demo', label: null, createdAt: 0, text };
      });
      items.push({ case: theCase, persona, memories, candidates });
    }
  }
  return items;
}

/** Answers of realistic length for each step, cut at max_tokens as a server would. */
function realisticAnswer(body: ChatBody): ScriptedReply {
  const rand = rng(hash(JSON.stringify(body.messages)) ^ (body.seed ?? 0));
  const score = cannedScore(body.messages, body.seed);
  const analysis = () => sentences(rand, ANALYSIS_SENTENCES, 60, 120);
  const criteria = () => CRITERIA_NAMES.slice(0, 5).map((name, i) => ({ name, weight: [30, 25, 20, 15, 10][i], description: sentences(rand, ANALYSIS_SENTENCES, 15, 25) }));
  let text: string;
  switch (stepOf(body.messages)) {
    case 'criteria': text = JSON.stringify({ criteria: criteria() }); break;
    case 'judge-fixed': text = JSON.stringify({ analysis: analysis(), score, addresses_evaluator: false }); break;
    case 'judge-fixed-text': text = `Analysis: ${analysis()}\nScores: \\boxed{${score}}`; break;
    case 'judge-dynamic': text = JSON.stringify({ criteria: criteria(), analysis: analysis(), score, addresses_evaluator: false }); break;
    case 'judge-dynamic-text': text = `Specific Criteria:\n${criteria().map((c, i) => `${i + 1}. ${c.name} (${c.weight}%): ${c.description}`).join('\n')}\nAnalysis: ${analysis()}\nScores: \\boxed{${score}}`; break;
    case 'judge-combined': {
      const verdict = (i: number) => ({ analysis: SHORT_VERDICTS[i], score: cannedScore(body.messages, (body.seed ?? 0) + i) });
      text = JSON.stringify({ resonation: verdict(0), expression: verdict(1), reception: verdict(2), addresses_evaluator: false });
      break;
    }
    case 'bystander': text = JSON.stringify(CANNED_BYSTANDER); break;
    case 'bystander-numbers': text = JSON.stringify({ scores: Object.values(CANNED_BYSTANDER) }); break;
    default: throw new Error(`bench:cost: unexpected step in ${body.messages[0]?.content.slice(0, 80)}`);
  }
  const limit = body.max_tokens ?? Infinity;
  if (estimateTokens(text) <= limit) return { text };
  return { text: Buffer.from(text).subarray(0, limit * 3).toString('utf8'), finishReason: 'length' };
}

type ServerKind = 'n' | 'rejectN';

interface Cost {
  calls: number;
  promptTokens: number;
  uncachedAnyEarlier: number;
  uncachedPrevious: number;
  decodedTokens: number;
  maxTokensAsked: number;
}

const zero = (): Cost => ({ calls: 0, promptTokens: 0, uncachedAnyEarlier: 0, uncachedPrevious: 0, decodedTokens: 0, maxTokensAsked: 0 });

function add(into: Cost, r: { promptTokens?: number; completionTokens?: number; uncachedPromptTokens?: { anyEarlier: number; previous: number }; body: ChatBody }) {
  into.calls++;
  into.promptTokens += r.promptTokens ?? 0;
  into.uncachedAnyEarlier += r.uncachedPromptTokens?.anyEarlier ?? 0;
  into.uncachedPrevious += r.uncachedPromptTokens?.previous ?? 0;
  into.decodedTokens += r.completionTokens ?? 0;
  into.maxTokensAsked += (r.body.max_tokens ?? 0) * Math.max(1, r.body.n ?? 1);
}

const round = (x: number, digits = 1) => +x.toFixed(digits);
const per = (c: Cost, n: number) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, round(v / n)])) as unknown as Cost;

/** The candidate a request judges, read from its <candidate_reply> block. */
function candidateOf(body: ChatBody, byText: Map<string, string>): string | undefined {
  const m = /<candidate_reply>\n([\s\S]*?)\n<\/candidate_reply>/.exec(body.messages.at(-1)?.content ?? '');
  return m ? byText.get(m[1]) : undefined;
}

async function measure(protocol: ProtocolName, kind: ServerKind, withCriteria: boolean) {
  const server: OpenAIServer = await startOpenAIServer({ respond: realisticAnswer, rejectN: kind === 'rejectN' });
  try {
    const items = synthetic(withCriteria);
    const byText = new Map(items.flatMap((i) => i.candidates).map((c) => [c.text, c.id]));
    const engine = await new OpenAIEngine({ baseUrl: server.url, contextWindow: 32768 }).load('bench-judge');
    const started = Date.now();
    const run = await runEvaluation({
      engine, store: new MemoryEvaluationStore(), items,
      settings: { protocol, ...(withCriteria ? {} : { missingCriteria: 'derive' as const }) },
    });
    const ms = Date.now() - started;
    process.stderr.write(`bench:cost: ${protocol} on a server that ${kind === 'n' ? 'honours' : 'rejects'} n, ${withCriteria ? 'criteria in the data' : 'criteria derived'}: ${ms} ms\n`);
    const judge = zero();
    const criteria = zero();
    const perCandidate = new Map<string, Cost>();
    const answered = server.chatRequests().filter((r) => r.promptTokens !== undefined);
    for (const r of answered) {
      if (stepOf(r.body.messages) === 'criteria') {
        add(criteria, r);
        continue;
      }
      add(judge, r);
      const id = candidateOf(r.body, byText);
      if (!id) throw new Error('bench:cost: a judge request without a known candidate');
      add(perCandidate.get(id) ?? perCandidate.set(id, zero()).get(id)!, r);
    }
    const candidates = byText.size;
    return {
      protocol, kind, ms, candidates, cases: items.length, judge, criteria, perCandidate,
      rejectedRequests: server.chatRequests().length - answered.length,
      failedJudgments: run.summary.failedJudgments,
      samplesFallback: run.samplesFallback,
      maxDecodeCapPerCandidate: Math.max(...[...perCandidate.values()].map((c) => c.maxTokensAsked)),
      pipelineMaxDecodeAsked: Math.max(...run.results.map((r) => r.decode.asked)),
    };
  } finally {
    await server.close();
  }
}

type Measured = Awaited<ReturnType<typeof measure>>;

function report(m: Measured) {
  const p = per(m.judge, m.candidates);
  return {
    perCandidate: {
      calls: p.calls,
      promptTokens: p.promptTokens,
      uncachedPromptTokens: { vllmPrefixCache: p.uncachedAnyEarlier, llamacppSingleSlot: p.uncachedPrevious },
      decodedTokens: p.decodedTokens,
      decodeCapAsked: { mean: p.maxTokensAsked, max: m.maxDecodeCapPerCandidate, protocolCap: PROTOCOLS[m.protocol].settings.decodeCap },
    },
    rejectedRequests: m.rejectedRequests,
    failedJudgments: m.failedJudgments,
    samplesFallback: m.samplesFallback,
    ms: m.ms,
  };
}

const runs: Measured[] = [];
const derived: Measured[] = [];
for (const kind of ['n', 'rejectN'] as const) {
  for (const protocol of PROTOCOL_NAMES) {
    runs.push(await measure(protocol, kind, true));
    derived.push(await measure(protocol, kind, false));
  }
}
const find = (list: Measured[], protocol: ProtocolName, kind: ServerKind) => list.find((m) => m.protocol === protocol && m.kind === kind)!;

// The target compares default's cost where the server caches prompts with what the reference
// costs as eval.py runs it: every prompt sent whole. Checked under both cache styles: a vLLM-style
// prefix cache (which llama.cpp also approaches with several slots or its RAM prompt cache) and
// llama.cpp with a single slot, which keeps only the previous prompt.
const targets = (['n', 'rejectN'] as const).map((kind) => {
  const reference = find(runs, 'reference', kind);
  const attune = find(runs, 'default', kind);
  const referenceFull = reference.judge.promptTokens + reference.judge.decodedTokens;
  const under = (cache: 'uncachedAnyEarlier' | 'uncachedPrevious') => {
    const ratio = (attune.judge[cache] + attune.judge.decodedTokens) / referenceFull;
    return {
      ratio: round(ratio, 3),
      meets: ratio <= 1 / 3,
      likeForLike: round((attune.judge[cache] + attune.judge.decodedTokens) / (reference.judge[cache] + reference.judge.decodedTokens), 3),
    };
  };
  return {
    server: kind === 'n' ? 'honours n' : 'rejects n (llama.cpp)',
    compared: 'default: uncached prompt tokens + decoded tokens; reference: full prompt tokens + decoded tokens (eval.py sends every prompt whole); likeForLike: the reference with the same cache',
    vllmPrefixCache: under('uncachedAnyEarlier'),
    llamacppSingleSlot: under('uncachedPrevious'),
    withoutAnyCache: round((attune.judge.promptTokens + attune.judge.decodedTokens) / referenceFull, 3),
  };
});
const fastCap = Math.max(...runs.filter((m) => m.protocol === 'fast').map((m) => m.maxDecodeCapPerCandidate));

const out = {
  bench: 'cost',
  data: {
    people: PEOPLE, cases: PEOPLE * CASES_PER_PERSON, candidatesPerCase: CANDIDATES_PER_CASE, candidates: runs[0].candidates,
    memoriesPerPerson: `${MEMORIES_MIN}–${MEMORIES_MAX}`,
    criteria: 'the data set\'s criteria text on every case (the reference\'s evaluation requires it)',
  },
  counting: {
    where: 'at the recording test server, per answered chat request; requests a server refused (400 to n) are counted apart as rejectedRequests',
    tokens: 'server estimate: ceil(UTF-8 bytes / 3) per message content + 4 per message',
    uncachedPromptTokens: 'vllmPrefixCache: prompt tokens after the leading 16-token blocks already seen in any earlier prompt (vLLM automatic prefix caching, never evicted); llamacppSingleSlot: prompt tokens after the common prefix with the previous prompt only (llama.cpp cache_prompt, one slot)',
    decodeCapAsked: 'sum of max_tokens × n over the judge and bystander calls made for one candidate, attributed by its <candidate_reply> block',
    answers: 'per-dimension judge analyses of 60–120 tokens, combined judge one sentence per dimension, cut at max_tokens',
  },
  protocols: Object.fromEntries(PROTOCOL_NAMES.map((name) => [name, {
    settings: (({ mode, judgeLayout, k, bystander, bystanderFormat, answerFormat, answerTokens, decodeCap, memoryBudget, memoryOrder }) => ({ mode, judgeLayout, k, bystander, bystanderFormat, answerFormat, answerTokens, decodeCap, memoryBudget, memoryOrder }))(PROTOCOLS[name].settings),
    serverWithN: report(find(runs, name, 'n')),
    serverRejectingN: report(find(runs, name, 'rejectN')),
    criteriaWhenDerived: (() => {
      const d = find(derived, name, 'n');
      const c = per(d.criteria, d.cases);
      return {
        note: 'the same data without criteria text: criteria derived once per case and dimension, not counted per candidate above',
        perCase: { calls: c.calls, promptTokens: c.promptTokens, uncachedPromptTokens: { vllmPrefixCache: c.uncachedAnyEarlier, llamacppSingleSlot: c.uncachedPrevious }, decodedTokens: c.decodedTokens, maxTokensAsked: c.maxTokensAsked },
        judgePerCandidate: report(d).perCandidate,
      };
    })(),
  }])),
  targets: {
    defaultAtMostOneThirdOfReference: targets,
    fastDecodeCapPerCandidate: { max: fastCap, cap: 600, meets: fastCap <= 600 },
  },
};
console.log(JSON.stringify(out, null, 2));
const failed = [...runs, ...derived].filter((m) => m.failedJudgments > 0);
if (failed.length) {
  console.error(`bench:cost: failed judgments in ${failed.map((m) => `${m.protocol}/${m.kind}`).join(', ')}`);
  process.exitCode = 1;
}
