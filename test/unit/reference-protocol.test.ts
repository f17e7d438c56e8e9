// The reference and reward protocols reproduce the authors' figures: the real CLI process
// (node bin/attune.js) on the reference's own file shapes (test/fixtures/reference: sessions,
// criteria file, three predictions files) against the real local OpenAI-compatible server,
// which answers each (candidate, dimension) in the reference's text format with a score chosen
// here. Every expected figure is written by hand from eval.py's and peregrm_reward.py's formulas
// (../shared/METHOD.md), never computed by Attune's own aggregate.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readResults, runCli } from '../helpers/cli.ts';
import { startOpenAIServer, type ChatBody, type OpenAIServer } from '../helpers/openai-server.ts';

const cli = (args: string[]) => runCli('evaluate', args);

const FIXTURES = 'test/fixtures/reference';
const SYSTEMS = ['qwen2.5-7b-instruct', 'llama-3.1-8b-instruct', 'deepseek-r1-distill-8b'] as const;
type System = (typeof SYSTEMS)[number];
const DIMS = ['resonation', 'expression', 'reception'] as const;
type Dim = (typeof DIMS)[number];

interface Session {
  session_id: string;
  queries: { query_id: string; query: string; criteria?: Record<Dim, string> }[];
  extracted_memory: { value: string }[];
  persona: { persona_profile: string };
}
const sessions = JSON.parse(readFileSync(join(FIXTURES, 'English.json'), 'utf8')) as Session[];
const criteriaFile = JSON.parse(readFileSync(join(FIXTURES, 'English_criteria.json'), 'utf8')) as { session_id: string; criterias: ({ query_id: string } & Record<Dim, string>)[] }[];
const responses = (system: System) =>
  (JSON.parse(readFileSync(join(FIXTURES, `${system}.json`), 'utf8')) as { responses: { response: string }[] }[]).map((e) => e.responses.map((r) => r.response));

/** A judge answer: a score to box, or a whole answer text. */
type Answer = number | { text: string };
const THINK_THEN_4: Answer = { text: '<think>A first look says \\boxed{1}, but it does name the feeling.</think>\nAnalysis: it names the feeling and offers a step.\nScores: \\boxed{4}' };
const UNPARSEABLE = 'I think this reply is quite good overall, maybe a four.';
const NO_SCORE: Answer = { text: UNPARSEABLE };

// The answer to each (system, query, dimension): [resonation, expression, reception].
// llama's and deepseek's replies to english_0:1 are the same text, so they share their answers.
const ANSWERS: Record<System, Record<string, [Answer, Answer, Answer]>> = {
  'qwen2.5-7b-instruct': {
    'english_0:0': [3.5, 5, 4],
    'english_0:1': [4, 4, 5],
    'english_1:0': [5, THINK_THEN_4, 4],
    'english_1:1': [4, 5, 5],
    'english_1:2': [3, 4, 4],
    'english_2:0': [5, 5, 5],
  },
  'llama-3.1-8b-instruct': {
    'english_0:0': [2, 2, 1],
    'english_0:1': [4, 3, 4],
    'english_1:0': [1, 1, 2],
    'english_1:1': [3, NO_SCORE, 3],
    'english_1:2': [2, 3, 2],
    'english_2:0': [2, 2, 3],
  },
  'deepseek-r1-distill-8b': {
    'english_0:0': [4, 4, 5],
    'english_0:1': [4, 3, 4],
    'english_1:0': [3, 3, 4],
    // The empty response: judged as an empty reply (eval.py skips it, then pairs by position).
    'english_1:1': [1, 1, 1],
    'english_1:2': [5, 5, 4],
    'english_2:0': [3, 4, 3],
  },
};

const queryIds = sessions.flatMap((s) => s.queries.map((q) => q.query_id));
const sessionOf = (queryId: string) => sessions.find((s) => s.queries.some((q) => q.query_id === queryId))!;

/** The reply the judge sees, as eval.py cuts it: the text after the last </think>. */
const judged = (response: string) => (response.includes('<think>') ? response.split('</think>').at(-1)! : response).trim();

/** The reply's text → which (system, query) it is; a text two systems share maps to the first. */
function replyIndex(systems: readonly System[]): Map<string, { system: System; queryId: string }> {
  const index = new Map<string, { system: System; queryId: string }>();
  for (const system of systems) {
    const flat = responses(system).flat();
    flat.forEach((r, i) => {
      if (!index.has(judged(r))) index.set(judged(r), { system, queryId: queryIds[i] });
    });
  }
  return index;
}

function answerText(a: Answer, dynamic: boolean): string {
  if (typeof a !== 'number') return a.text;
  const criteria = dynamic ? 'Specific Criteria:\n1. Names the feeling (50%): says what the person feels.\n2. Fits the person (50%): uses what is known about them.\n' : '';
  return `${criteria}Analysis: the reply is judged against each criterion in turn.\nScores: \\boxed{${a}}`;
}

/** The candidate and dimension a judge prompt is about (Attune's own prompt layout). */
function judgeTarget(body: ChatBody): { reply: string; dimension: Dim } | undefined {
  const user = body.messages.at(-1)!.content;
  const reply = /<candidate_reply>\n([\s\S]*?)\n<\/candidate_reply>/.exec(user)?.[1];
  const dimension = /Judge the reply's (\w+)\./.exec(user)?.[1] as Dim | undefined;
  return reply === undefined || !dimension ? undefined : { reply, dimension };
}

let dir: string;
let server: OpenAIServer | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-reference-'));
  for (const f of ['English.json', 'English_criteria.json', ...SYSTEMS.map((s) => `${s}.json`)]) copyFileSync(join(FIXTURES, f), join(dir, f));
  return () => rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const predictionArgs = (systems: readonly System[]) => systems.flatMap((s) => ['--predictions', join(dir, `${s}.json`)]);

describe('the reference protocol reproduces eval.py', { timeout: 180_000 }, () => {
  it('per item, per dimension and overall, per system; failures kept; pairing by id; prompts as eval.py builds them', async () => {
    const index = replyIndex(SYSTEMS);
    server = await startOpenAIServer({
      respond: (body) => {
        const target = judgeTarget(body);
        if (!target) return { status: 400, body: 'not a judge prompt' };
        const who = index.get(target.reply);
        if (!who) return { status: 400, body: `unknown reply ${target.reply.slice(0, 40)}` };
        return answerText(ANSWERS[who.system][who.queryId][DIMS.indexOf(target.dimension)], false);
      },
    });
    const out = join(dir, 'reference.jsonl');
    const r = await cli(['--data', join(dir, 'English.json'), '--criteria', join(dir, 'English_criteria.json'), ...predictionArgs(SYSTEMS),
      '--protocol', 'reference', '--format', 'reference', '--base-url', server.url, '--model', 'judge', '--out', out, '--quiet']);
    expect(r.stderr).not.toMatch(/attune evaluate:/);
    expect(r.code).toBe(0);
    const { header, lines } = readResults(out);
    expect(header).toMatchObject({ protocol: 'reference', settings: { mode: 'fixed', k: 1, temperature: 0.3, scoring: 'reference', bystander: false, retries: 0 } });
    expect(lines).toHaveLength(18);

    // Every line is its own (system, query): ids and system name the reply judged, so nothing is
    // shifted after deepseek's empty response.
    for (const system of SYSTEMS) {
      const texts = responses(system).flat();
      queryIds.forEach((queryId, i) => {
        const line = lines.find((l) => l.system === system && l.queryId === queryId);
        expect(line, `${system} ${queryId}`).toBeDefined();
        expect(line.sessionId).toBe(sessionOf(queryId).session_id);
        DIMS.forEach((d, j) => {
          const answer = ANSWERS[system][queryId][j];
          const trial = line.scores[d].trials[0];
          expect(line.scores[d].trials).toHaveLength(1);
          if (answer === NO_SCORE) {
            // Kept as a failure with the judge's raw text, never defaulted.
            expect(trial).toMatchObject({ status: 'failed', score: null, raw: UNPARSEABLE });
            expect(line.scores[d]).toMatchObject({ score: null, meanRaw: null, nOk: 0, nFailed: 1 });
            expect(line.failures).toContainEqual(expect.objectContaining({ kind: d, raw: UNPARSEABLE }));
          } else {
            const expected = answer === THINK_THEN_4 ? 4 : (answer as number);
            expect(trial.status, `${system} ${queryId} ${d}`).toBe('ok');
            expect(trial.score, `${system} ${queryId} ${d}`).toBe(expected);
            expect(trial.raw).toBe(answerText(answer, false));
          }
        });
        if (texts[i] === '') expect(line.scores.resonation.trials[0].score).toBe(1);
      });
    }
    const deepseekAfterEmpty = lines.find((l) => l.system === 'deepseek-r1-distill-8b' && l.queryId === 'english_1:2');
    expect(DIMS.map((d) => deepseekAfterEmpty.scores[d].trials[0].score)).toEqual([5, 5, 4]);

    // eval.py's figures per predictions file, by hand: per dimension the mean of the non-None raw
    // scores, overall = (sum of the three means) / 3 / 5.
    const qwen = { resonation: (3.5 + 4 + 5 + 4 + 3 + 5) / 6, expression: (5 + 4 + 4 + 5 + 4 + 5) / 6, reception: (4 + 5 + 4 + 5 + 4 + 5) / 6 };
    const llama = { resonation: (2 + 4 + 1 + 3 + 2 + 2) / 6, expression: (2 + 3 + 1 + 3 + 2) / 5, reception: (1 + 4 + 2 + 3 + 2 + 3) / 6 };
    const deepseek = { resonation: (4 + 4 + 3 + 1 + 5 + 3) / 6, expression: (4 + 3 + 3 + 1 + 5 + 4) / 6, reception: (5 + 4 + 4 + 1 + 4 + 3) / 6 };
    const expected: Record<System, Record<Dim, number> & { overall: number }> = {
      'qwen2.5-7b-instruct': { ...qwen, overall: (qwen.resonation + qwen.expression + qwen.reception) / 3 / 5 },
      'llama-3.1-8b-instruct': { ...llama, overall: (llama.resonation + llama.expression + llama.reception) / 3 / 5 },
      'deepseek-r1-distill-8b': { ...deepseek, overall: (deepseek.resonation + deepseek.expression + deepseek.reception) / 3 / 5 },
    };
    // The same figures written out, so that a slip in the sums above cannot pass unseen.
    expect(expected['qwen2.5-7b-instruct'].overall).toBeCloseTo(0.87222, 5);
    expect(expected['llama-3.1-8b-instruct'].overall).toBeCloseTo(0.46889, 5);
    expect(expected['deepseek-r1-distill-8b'].overall).toBeCloseTo(0.67778, 5);
    const printed = r.stdout.slice(r.stdout.indexOf('Per system'));
    for (const system of SYSTEMS) {
      const block = printed.slice(printed.indexOf(`${system}:`)).split('\n').slice(0, 5).join('\n');
      expect(block).toBe([
        `${system}:`,
        ...DIMS.map((d) => `${d}: ${expected[system][d].toFixed(4)}`),
        `Overall empathy score: ${expected[system].overall.toFixed(4)}`,
      ].join('\n'));
    }
    // Per line, the mean raw score per dimension is the one trial's score (null for the failure).
    const llamaMissing = lines.find((l) => l.system === 'llama-3.1-8b-instruct' && l.queryId === 'english_1:1');
    expect(llamaMissing.empathy).toBeNull();
    expect(r.stdout).toMatch(/Failures: 1 failed judgments in 1 candidates/);

    // The prompts: one call per (candidate, dimension) at 0.3, each quoting the data set's criteria
    // verbatim and every memory of the session. The one unparseable answer is asked once and
    // kept (retries 0), as eval.py records None; llama's and deepseek's identical reply to
    // english_0:1 is judged for each, as eval.py does.
    const calls = server.chatRequests().filter((c) => c.completionTokens !== undefined);
    expect(calls.every((c) => c.body.temperature === 0.3)).toBe(true);
    const perTarget = new Map<string, number>();
    for (const c of calls) {
      const t = judgeTarget(c.body)!;
      perTarget.set(`${t.dimension} ${t.reply}`, (perTarget.get(`${t.dimension} ${t.reply}`) ?? 0) + 1);
      const who = index.get(t.reply)!;
      const session = sessionOf(who.queryId);
      const user = c.body.messages.map((m) => m.content).join('\n');
      const fileCriteria = criteriaFile.find((s) => s.session_id === session.session_id)!.criterias.find((q) => q.query_id === who.queryId)!;
      expect(user).toContain(fileCriteria[t.dimension]);
      for (const m of session.extracted_memory) expect(user).toContain(m.value);
      expect(user).toContain(session.persona.persona_profile);
    }
    // deepseek's reasoning before its reply never reaches the judge.
    expect(calls.some((c) => c.body.messages.some((m) => m.content.includes('The user is new and was corrected publicly')))).toBe(false);
    expect(perTarget.size).toBe(17 * 3);
    expect([...perTarget.values()].filter((n) => n !== 1).sort()).toEqual([2, 2, 2]);
    expect(calls).toHaveLength(18 * 3);

    // --format reference: eval.py's <predictions>_fix_criteria_res.json, one per predictions file,
    // parsed back and compared field by field.
    for (const system of SYSTEMS) {
      const path = join(dir, `${system}_fix_criteria_res.json`);
      expect(r.stderr).toContain(`Wrote ${path}`);
      const written = JSON.parse(readFileSync(path, 'utf8')) as unknown[];
      expect(written).toHaveLength(6);
      written.forEach((item, i) => {
        const queryId = queryIds[i];
        expect(Object.keys(item as object)).toEqual(['session_id', 'query_id', 'resonation', 'expression', 'reception']);
        expect(item).toEqual({
          session_id: sessionOf(queryId).session_id,
          query_id: queryId,
          ...Object.fromEntries(DIMS.map((d, j) => {
            const answer = ANSWERS[system][queryId][j];
            const score = answer === NO_SCORE ? null : answer === THINK_THEN_4 ? 4 : answer;
            return [d, { score, full_judge: answerText(answer, false) }];
          })),
        });
      });
    }
  });
});

describe('the reward protocol reproduces peregrm_reward.py', { timeout: 120_000 }, () => {
  it('dimension = boxed/5 clamped, harmonic mean, b = sum/100, reward = empathy + 0.5·(b − 1); a failure gives no reward', async () => {
    const system = 'qwen2.5-7b-instruct';
    const index = replyIndex([system]);
    // [resonation, expression, reception] boxed scores and the bystander's five sub-scores.
    const plan: Record<string, { judge: [Answer, Answer, Answer]; bystander: number[] }> = {
      'english_0:0': { judge: [4, 5, 3], bystander: [18, 17, 16, 15, 14] },
      'english_0:1': { judge: [7, 4, 5], bystander: [20, 20, 20, 20, 20] },
      'english_1:0': { judge: [3.5, 4, 4], bystander: [10, 10, 10, 10, 10] },
      'english_1:1': { judge: [5, NO_SCORE, 5], bystander: [15, 15, 15, 15, 15] },
      'english_1:2': { judge: [2, 3, 0], bystander: [12, 12, 12, 12, 12] },
      'english_2:0': { judge: [5, 5, 5], bystander: [19, 19, 19, 19, 19] },
    };
    const keys = ['Content Effectiveness', 'Logical Structure & Clarity', 'Communication Efficiency', 'Objectivity & Neutrality', 'Information Accuracy & Verifiability'];
    server = await startOpenAIServer({
      respond: (body) => {
        const user = body.messages.at(-1)!.content;
        if (body.messages[0].content.includes('neutral third party')) {
          const who = [...index.entries()].find(([text]) => text && user.includes(text))?.[1];
          if (!who) return { status: 400, body: 'unknown reply' };
          return `\`\`\`json\n${JSON.stringify(Object.fromEntries(keys.map((k, i) => [k, plan[who.queryId].bystander[i]])))}\n\`\`\``;
        }
        const target = judgeTarget(body);
        const who = target && index.get(target.reply);
        if (!target || !who) return { status: 400, body: 'unknown prompt' };
        return answerText(plan[who.queryId].judge[DIMS.indexOf(target.dimension)], true);
      },
    });
    const out = join(dir, 'reward.jsonl');
    const r = await cli(['--data', join(dir, 'English.json'), ...predictionArgs([system]), '--protocol', 'reward',
      '--base-url', server.url, '--model', 'judge', '--out', out, '--quiet']);
    expect(r.stderr).not.toMatch(/attune evaluate:/);
    expect(r.code).toBe(0);
    const { header, lines } = readResults(out);
    expect(header).toMatchObject({ protocol: 'reward', settings: { mode: 'dynamic', k: 1, lambda: 0.5, bystander: true, temperature: 0.3, retries: 0 } });
    const line = (q: string) => lines.find((l) => l.queryId === q);

    // By hand. s_d = min(1, boxed/5); E = 3 / Σ 1/s_d (0 if any s_d is 0); b = min(1, Σ/100); reward = E + 0.5·(b − 1).
    const harmonic = (a: number, b: number, c: number) => 3 / (1 / a + 1 / b + 1 / c);
    const expected: Record<string, { s: (number | null)[]; empathy: number | null; b: number; reward: number | null }> = {
      'english_0:0': { s: [0.8, 1, 0.6], empathy: harmonic(0.8, 1, 0.6), b: 0.8, reward: harmonic(0.8, 1, 0.6) + 0.5 * (0.8 - 1) },
      'english_0:1': { s: [1, 0.8, 1], empathy: harmonic(1, 0.8, 1), b: 1, reward: harmonic(1, 0.8, 1) },
      'english_1:0': { s: [0.7, 0.8, 0.8], empathy: harmonic(0.7, 0.8, 0.8), b: 0.5, reward: harmonic(0.7, 0.8, 0.8) + 0.5 * (0.5 - 1) },
      // peregrm_reward.py would put 0.6 in for the unparseable expression; Attune has no reward.
      'english_1:1': { s: [1, null, 1], empathy: null, b: 0.75, reward: null },
      'english_1:2': { s: [0.4, 0.6, 0], empathy: 0, b: 0.6, reward: 0 + 0.5 * (0.6 - 1) },
      'english_2:0': { s: [1, 1, 1], empathy: 1, b: 0.95, reward: 1 + 0.5 * (0.95 - 1) },
    };
    expect(expected['english_0:0'].reward).toBeCloseTo(0.665957, 6);
    expect(expected['english_0:1'].reward).toBeCloseTo(0.923077, 6);
    expect(expected['english_1:0'].reward).toBeCloseTo(0.513636, 6);
    for (const [q, e] of Object.entries(expected)) {
      const l = line(q);
      DIMS.forEach((d, i) => {
        if (e.s[i] === null) expect(l.scores[d].score).toBeNull();
        else expect(l.scores[d].score, `${q} ${d}`).toBeCloseTo(e.s[i]!, 10);
      });
      expect(l.bystander.b, q).toBeCloseTo(e.b, 10);
      if (e.empathy === null) expect(l.empathy).toBeNull();
      else expect(l.empathy, q).toBeCloseTo(e.empathy, 10);
      if (e.reward === null) expect(l.reward).toBeNull();
      else expect(l.reward, q).toBeCloseTo(e.reward, 10);
    }
    expect(line('english_1:1').failures).toEqual([expect.objectContaining({ kind: 'expression', raw: UNPARSEABLE })]);
    // The summary counts the missing reward beside the mean of the five others.
    const rewards = Object.values(expected).map((e) => e.reward).filter((x): x is number => x !== null);
    const meanReward = rewards.reduce((s, x) => s + x, 0) / 5;
    expect(r.stdout).toContain(`Mean reward:                                   ${meanReward.toFixed(4)}  (n_ok 5, n_failed 1)`);
  });
});

describe('a judge template', { timeout: 120_000 }, () => {
  const TEMPLATE = [
    'Judge the {dimension} of a reply. Answer "Analysis: ..." then "Scores: \\boxed{{x}}".',
    'Criteria:\n{criteria}', 'Memories:\n{memories}', 'Scenario: {scenario}', 'Persona: {persona}', 'Query: {query}',
    'REPLY START\n{response}\nREPLY END',
  ].join('\n');

  it('with every placeholder: the filled prompt reaches the server and its sha256 is in the run header', async () => {
    const system = 'qwen2.5-7b-instruct';
    const path = join(dir, 'template.txt');
    writeFileSync(path, TEMPLATE);
    const index = replyIndex([system]);
    server = await startOpenAIServer({
      respond: (body) => {
        const user = body.messages.at(-1)!.content;
        const reply = /REPLY START\n([\s\S]*?)\nREPLY END/.exec(user)?.[1];
        const dimension = /^Judge the (\w+) of a reply/.exec(user)?.[1] as Dim | undefined;
        const who = reply === undefined ? undefined : index.get(reply);
        if (!who || !dimension) return { status: 400, body: 'not the template' };
        return answerText(ANSWERS[system][who.queryId][DIMS.indexOf(dimension)], false);
      },
    });
    const out = join(dir, 'template.jsonl');
    const r = await cli(['--data', join(dir, 'English.json'), '--criteria', join(dir, 'English_criteria.json'), ...predictionArgs([system]),
      '--protocol', 'reference', '--judge-template', path, '--base-url', server.url, '--model', 'judge', '--out', out, '--quiet']);
    expect(r.stderr).not.toMatch(/attune evaluate:/);
    expect(r.code).toBe(0);
    const { header, lines } = readResults(out);
    expect(header.judgeTemplate).toEqual({ name: 'template.txt', sha256: createHash('sha256').update(TEMPLATE).digest('hex') });
    expect(lines).toHaveLength(6);
    const calls = server.chatRequests();
    expect(calls).toHaveLength(18);
    const first = sessions[0];
    const call = calls.find((c) => c.body.messages.at(-1)!.content.includes(`Query: ${first.queries[0].query}`) && c.body.messages.at(-1)!.content.startsWith('Judge the resonation'))!;
    expect(call.body.messages).toHaveLength(1);
    const prompt = call.body.messages[0].content;
    expect(prompt).toContain('"Scores: \\boxed{x}"');
    expect(prompt).toContain(`Criteria:\n${criteriaFile[0].criterias[0].resonation}`);
    for (const m of first.extracted_memory) expect(prompt).toContain(m.value);
    expect(prompt).toContain(first.persona.persona_profile);
    expect(prompt).toContain(`REPLY START\n${responses(system)[0][0]}\nREPLY END`);
    expect(lines[0].scores.resonation.trials[0].score).toBe(3.5);
  });

  it('an unknown or a missing placeholder: exit 2 naming it, no request', async () => {
    server = await startOpenAIServer();
    const path = join(dir, 'bad-template.txt');
    const base = ['--data', join(dir, 'English.json'), ...predictionArgs(['qwen2.5-7b-instruct']), '--protocol', 'reference',
      '--judge-template', path, '--base-url', server.url, '--model', 'judge', '--out', join(dir, 'bad.jsonl'), '--quiet'];
    writeFileSync(path, `${TEMPLATE}\nTone: {tone}`);
    const unknown = await cli(base);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('judge template bad-template.txt: unknown placeholder {tone}');
    writeFileSync(path, TEMPLATE.replace('Memories:\n{memories}', '').replace('Persona: {persona}', ''));
    const missing = await cli(base);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing placeholders {memories}, {persona}');
    expect(server.chatRequests()).toHaveLength(0);
    expect(existsSync(join(dir, 'bad.jsonl'))).toBe(false);
  });
});
