// The protocols' promises, checked where they matter: at the real local OpenAI-compatible test
// server, which records every request. The fast protocol's decode cap (the sum of max_tokens
// over every call made for one candidate, retries included), servers that ignore or reject
// OpenAI's `n`, and the prompt layout that lets a server reuse the shared prefix of a case.
import { afterEach, describe, expect, it } from 'vitest';
import { startOpenAIServer, PromptCacheCounter, type ChatBody, type OpenAIServer, type RecordedRequest } from '../helpers/openai-server.ts';
import { cannedAnswer, stepOf } from '../helpers/canned.ts';
import { items } from '../helpers/method-fixtures.ts';
import { OpenAIEngine } from '../../src/llm/openai.ts';
import { runEvaluation, RunSetupError } from '../../src/method/pipeline.ts';
import { decodeError, encodeError } from '../../src/method/errors.ts';
import { MemoryEvaluationStore } from '../../src/method/store.ts';
import type { ProtocolName } from '../../src/method/protocols.ts';
import type { ChatMessage } from '../../src/llm/engine.ts';

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function evaluate(protocol: ProtocolName, options: Parameters<typeof startOpenAIServer>[0] = {}, nCandidates = 2) {
  server = await startOpenAIServer(options);
  const engine = await new OpenAIEngine({ baseUrl: server.url, contextWindow: 16384 }).load('test-model');
  const data = items(1, nCandidates);
  const run = await runEvaluation({ engine, store: new MemoryEvaluationStore(), items: data, settings: { protocol } });
  return { run, data, requests: server.chatRequests() };
}

const candidateBlock = (body: ChatBody) => /<candidate_reply>\n([\s\S]*?)\n<\/candidate_reply>/.exec(body.messages.at(-1)!.content)?.[1];

/** max_tokens asked per candidate (× n), over every judge and bystander request the server received. */
function askedPerCandidate(requests: (RecordedRequest & { body: ChatBody })[]): Map<string, number> {
  const asked = new Map<string, number>();
  for (const r of requests) {
    if (stepOf(r.body.messages) === 'criteria') continue;
    const text = candidateBlock(r.body);
    expect(text, 'every judge request carries its candidate').toBeDefined();
    asked.set(text!, (asked.get(text!) ?? 0) + (r.body.max_tokens ?? Infinity) * Math.max(1, r.body.n ?? 1));
  }
  return asked;
}

describe('fast: at most 600 decoded tokens per candidate, counted at the server', () => {
  it('answers that parse: one combined judge call and one bystander call per candidate', async () => {
    const { run, requests } = await evaluate('fast');
    const asked = askedPerCandidate(requests);
    expect(asked.size).toBe(2);
    for (const total of asked.values()) expect(total).toBeLessThanOrEqual(600);
    expect(requests.filter((r) => stepOf(r.body.messages) === 'judge-combined')).toHaveLength(2);
    expect(requests.filter((r) => stepOf(r.body.messages) === 'bystander-numbers')).toHaveLength(2);
    expect(run.summary.failedJudgments).toBe(0);
    expect(run.results.every((r) => r.decode.cap === 600 && r.decode.asked <= 600)).toBe(true);
  });

  it('answers that never parse: retries happen, and every candidate still stays within 600', async () => {
    const { run, requests } = await evaluate('fast', {
      respond: (body) => (stepOf(body.messages) === 'criteria' ? cannedAnswer(body.messages, body.seed) : 'I would rather not say.'),
    });
    const asked = askedPerCandidate(requests);
    expect(asked.size).toBe(2);
    for (const total of asked.values()) expect(total).toBeLessThanOrEqual(600);
    // Retried: more than the two first calls per candidate reached the server.
    expect(requests.filter((r) => stepOf(r.body.messages) !== 'criteria').length).toBeGreaterThan(4);
    expect(run.summary.failedJudgments).toBe(2 * 4);
    expect(run.results.every((r) => r.decode.asked <= 600)).toBe(true);
  });

  it('answers that parse only on a retry are ok, within the cap', async () => {
    const seen = new Set<string>();
    const { run, requests } = await evaluate('fast', {
      respond: (body) => {
        const key = `${stepOf(body.messages)}|${candidateBlock(body)}`;
        if (stepOf(body.messages) === 'criteria' || seen.has(key)) return cannedAnswer(body.messages, body.seed);
        seen.add(key);
        return '{"resonation": ';
      },
    });
    for (const total of askedPerCandidate(requests).values()) expect(total).toBeLessThanOrEqual(600);
    expect(run.summary.failedJudgments).toBe(0);
    expect(run.results.flatMap((r) => r.judgments).every((j) => j.attempts === 2)).toBe(true);
  });
});

describe('servers and OpenAI\'s n', () => {
  it('a server that ignores n (one choice back) gives complete results with no failed trials', async () => {
    const { run, requests } = await evaluate('default', { ignoreN: true });
    expect(run.samplesFallback).toBe(true);
    expect(run.summary.failedJudgments).toBe(0);
    for (const r of run.results) {
      expect(r.judgments.filter((j) => j.kind !== 'bystander' && j.status === 'ok')).toHaveLength(3 * 3);
      expect(r.aggregate.empathy).not.toBeNull();
    }
    // Detected once: after the first short answer every trial went out alone.
    expect(requests.filter((r) => (r.body.n ?? 1) > 1)).toHaveLength(1);
  });

  it('a server that rejects n gives complete results with no failed trials', async () => {
    const { run, requests } = await evaluate('default', { rejectN: true });
    expect(run.summary.failedJudgments).toBe(0);
    for (const r of run.results) expect(r.judgments.filter((j) => j.kind !== 'bystander' && j.status === 'ok')).toHaveLength(3 * 3);
    const answered = requests.filter((r) => r.promptTokens !== undefined);
    expect(answered.every((r) => (r.body.n ?? 1) === 1)).toBe(true);
    expect(requests.length - answered.length).toBe(1);
  });
});

const rendered = (messages: ChatMessage[]) => messages.map((m) => `${m.role}\n${m.content}`).join('\n');

describe('the reference protocol on cases without criteria of their own', () => {
  it('stops before any request, with a typed message that crosses the worker boundary as it is', async () => {
    const failure = await evaluate('reference').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RunSetupError);
    expect(server!.chatRequests()).toHaveLength(0);
    const wire = encodeError(failure);
    expect(wire).toMatchObject({ kind: 'method', code: 'missing-criteria' });
    expect(decodeError(wire).userMessage).toMatch(/^1 of 1 cases have no criteria of their own \(case case1\), and the Reference \(eval\.py\) protocol quotes/);
  });
});

describe('prompt layout for prefix caching', () => {
  for (const protocol of ['default', 'fast'] as const) {
    it(`${protocol}: two candidates' judge requests share every byte up to the candidate block`, async () => {
      const { data, requests } = await evaluate(protocol);
      const [a, b] = data[0].candidates.map((c) => requests.filter((r) => candidateBlock(r.body) === c.text && /^judge/.test(stepOf(r.body.messages))));
      expect(a.length).toBeGreaterThan(0);
      expect(a.length).toBe(b.length);
      for (const [i, first] of a.entries()) {
        const x = rendered(first.body.messages);
        const y = rendered(b[i].body.messages);
        const block = x.indexOf('<candidate_reply>');
        expect(block).toBeGreaterThan(0);
        expect(y.indexOf('<candidate_reply>')).toBe(block);
        expect(y.slice(0, block)).toBe(x.slice(0, block));
        // The server's prefix cache then reuses all of it: only the candidate and what follows is new.
        const candidateTokens = Math.ceil(Buffer.byteLength(x.slice(block)) / 3) + 16;
        expect(b[i].uncachedPromptTokens!.anyEarlier).toBeLessThanOrEqual(candidateTokens);
      }
    });
  }
});

describe('the test server\'s prompt cache counter', () => {
  const prompt = (user: string): ChatMessage[] => [{ role: 'system', content: 'You are a judge. '.repeat(20) }, { role: 'user', content: user }];

  it('counts a new prompt whole, a repeated one as cached, and a shared prefix as cached', () => {
    const counter = new PromptCacheCounter();
    const first = prompt('Shared context. '.repeat(30) + 'candidate one');
    const total = first.reduce((s, m) => s + Math.ceil(Buffer.byteLength(m.content) / 3) + 4, 0);
    expect(counter.count(first)).toEqual({ anyEarlier: total, previous: total });
    const again = counter.count(first);
    expect(again.previous).toBe(0);
    expect(again.anyEarlier).toBeLessThan(16);
    const other = counter.count(prompt('Shared context. '.repeat(30) + 'candidate two, longer'));
    expect(other.previous).toBeLessThan(12);
    expect(other.anyEarlier).toBeLessThan(12 + 16);
    // Only the previous prompt counts for the single slot; every earlier one for the block cache.
    counter.count(prompt('Something else entirely.'));
    const back = counter.count(first);
    expect(back.anyEarlier).toBeLessThan(16);
    expect(back.previous).toBeGreaterThan(back.anyEarlier + 100);
  });
});
