// Nothing lost, nothing duplicated under a hard kill (issue 10, item 3): the real CLI process is
// killed with SIGKILL at random moments while it judges (a random number of requests into each
// attempt, then a random few milliseconds, so kills land while answers are read, cached and
// written), and re-run each time. The finished file must hold the header and exactly one line per
// candidate, every line must parse, and every judgment must equal an uninterrupted run's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenAIServer, type OpenAIServer } from '../helpers/openai-server.ts';
import { cannedAnswer } from '../helpers/canned.ts';

let dir: string;
let server: OpenAIServer;
/** Called on every chat request the server receives (the kill schedule hooks in here). */
let onRequest: () => void = () => {};

// 18 cases × 2 replies: 54 criteria calls and 36 × 4 judge and bystander calls, enough work that
// twenty kills (about five requests apart) always land before the run is done.
const TOPICS = [
  ['I failed my exam and feel stupid.', 'That must sting. One exam does not define you.', 'Study harder next time.'],
  ['My dog died yesterday.', 'I am so sorry. Losing a companion is heartbreaking.', 'Get a new one.'],
  ['My sister forgot my birthday again.', 'That hurts, especially when it keeps happening.', 'Birthdays are not a big deal.'],
  ['I have to give a speech tomorrow and I am terrified.', 'Feeling nervous shows you care; want to rehearse the opening together?', 'Just do it.'],
  ['My best friend is moving abroad.', 'Losing daily closeness is hard; you can still plan visits.', 'People move all the time.'],
  ['I got rejected from my dream job.', 'That is a real loss after all the effort you put in.', 'Apply somewhere else.'],
];
const CASES = [...TOPICS, ...['twice', 'again today'].flatMap((more) => TOPICS.map(([q, ...rs]) => [`${q} It happened ${more}.`, ...rs]))];
const CANDIDATES = CASES.length * 2;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-kill-'));
  writeFileSync(join(dir, 'data.csv'), ['query,response', ...CASES.flatMap(([q, ...rs]) => rs.map((r) => `"${q}","${r}"`))].join('\n'));
  server = await startOpenAIServer({
    respond: async (body) => {
      onRequest();
      return { text: cannedAnswer(body.messages, body.seed), delayMs: 15 };
    },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, ['bin/attune.js', 'evaluate', ...args], { cwd: process.cwd(), env: { ...process.env, OPENAI_API_KEY: '' } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

/** Every line parsed (a torn line throws here), the header apart. */
function readResults(path: string) {
  const rows = readFileSync(path, 'utf8').split('\n');
  expect(rows.at(-1)).toBe('');
  const [header, ...lines] = rows.slice(0, -1).map((l) => JSON.parse(l));
  return { header, lines };
}

/** Per candidate, kind and trial: status, score and the raw answer. */
function judgments(lines: { candidateId: string; scores: Record<string, { trials: { trial: number; status: string; score: number | null; raw: string }[] }>; bystander: { status: string; b: number | null; raw: string | null } }[]) {
  const out: Record<string, unknown> = {};
  for (const l of lines) {
    for (const [kind, s] of Object.entries(l.scores)) for (const t of s.trials) out[`${l.candidateId} ${kind} #${t.trial}`] = { status: t.status, score: t.score, raw: t.raw };
    out[`${l.candidateId} bystander`] = { status: l.bystander.status, b: l.bystander.b, raw: l.bystander.raw };
  }
  return out;
}

// Small deterministic pseudo-random numbers, so that a failure can be replayed (the seed is printed).
function random(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('attune evaluate under kill -9', { timeout: 150_000 }, () => {
  it('killed at random moments at least 20 times and resumed: one line per candidate, every judgment as an uninterrupted run, no torn line', async () => {
    const args = (out: string) => ['--data', join(dir, 'data.csv'), '--base-url', server.url, '--model', 'test-model', '--k', '1', '--seed', '11', '--out', out, '--quiet'];
    const reference = join(dir, 'uninterrupted.jsonl');
    const whole = await start(args(reference)).done;
    expect(whole.code, whole.stderr).toBe(0);
    const expected = readResults(reference);
    expect(expected.lines).toHaveLength(CANDIDATES);
    const totalCalls = server.chatRequests().length;
    expect(totalCalls).toBe(CASES.length * 3 + CANDIDATES * 4);

    const seed = Date.now() % 100_000;
    const next = random(seed);
    const out = join(dir, 'killed.jsonl');
    const began = Date.now();
    let kills = 0;
    let finished = false;
    for (let attempt = 0; attempt < 60 && !finished; attempt++) {
      const { child, done } = start(args(out));
      // Most kills come 1–10 requests into the attempt, so that twenty of them spread over the
      // whole run; a few at a random moment from the start (loading the data, opening the
      // files). Each after a random 0–20 ms more.
      const byTime = kills >= 20 ? false : next() < 0.2;
      let seen = 0;
      const target = 1 + Math.floor(next() * 10);
      const kill = () => setTimeout(() => child.kill('SIGKILL'), Math.floor(next() * 20));
      const timer = byTime ? setTimeout(() => child.kill('SIGKILL'), Math.floor(next() * 1500)) : undefined;
      onRequest = () => {
        if (!byTime && ++seen === target && kills < 20) kill();
      };
      const r = await done;
      clearTimeout(timer);
      onRequest = () => {};
      if (r.signal === 'SIGKILL') kills++;
      else {
        expect(r.code, `seed ${seed}: ${r.stderr}`).toBe(0);
        finished = kills >= 20;
      }
      if (Date.now() - began > 110_000) break;
    }
    expect(kills, `seed ${seed}`).toBeGreaterThanOrEqual(20);
    if (!finished) {
      const last = await start(args(out)).done;
      expect(last.code, `seed ${seed}: ${last.stderr}`).toBe(0);
    }

    // Saved work is never asked for again: at most the one request in flight at each kill is repeated.
    const resumedCalls = server.chatRequests().length - totalCalls;
    expect(resumedCalls, `seed ${seed}`).toBeGreaterThanOrEqual(totalCalls);
    expect(resumedCalls, `seed ${seed}`).toBeLessThanOrEqual(totalCalls + kills);

    const { header, lines } = readResults(out);
    expect(header.type).toBe('attune-run');
    expect(lines).toHaveLength(CANDIDATES);
    expect(new Set(lines.map((l) => l.candidateId))).toEqual(new Set(expected.lines.map((l) => l.candidateId)));
    expect(judgments(lines), `seed ${seed}`).toEqual(judgments(expected.lines));
    // The judgment cache parses line by line too (a torn tail is cut off by the next run).
    for (const row of readFileSync(`${out}.cache.jsonl`, 'utf8').split('\n').filter(Boolean)) expect(() => JSON.parse(row)).not.toThrow();
  });
});
