// `attune evaluate` end to end: the real CLI process (node bin/attune.js) against a real local
// OpenAI-compatible server, on PersonaEmp sessions + predictions and on a labelled CSV.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABELLED_CSV, readResults, runCli } from '../helpers/cli.ts';
import { startOpenAIServer, type OpenAIServer } from '../helpers/openai-server.ts';
import { cannedAnswer } from '../helpers/canned.ts';
import { TINY_MODEL_DIR } from '../../scripts/make-tiny-model.ts';

const cli = (args: string[], onStderr?: (text: string, interrupt: () => void) => void) => runCli('evaluate', args, onStderr);

let dir: string;
let server: OpenAIServer | undefined;

const sessions = [{
  session_id: 's1',
  persona: { is_deep_persona: true, gate_reason: 'Ongoing work stress.', topics: ['work'], persona_profile: '- Emotional expression: direct\n- Stress response: withdraws, then plans' },
  queries: [
    { query_id: 'q1', category: 'ES', query: 'I got passed over again and I feel invisible.', relevant_mem: [1], situation: { id: 'x', category: 'ES', topic: 'work', relevant_mem: [1], situation: 'Right after the team meeting.' } },
    { query_id: 'q2', category: 'SS', query: 'How do I tell my friend she keeps cancelling on me?', relevant_mem: [2] },
  ],
  conversation: [{ role: 'user', text: 'Work is rough lately.' }, { role: 'assistant', text: 'I am sorry to hear that.' }],
  extracted_memory: [
    { label: 'states and experiences', label_suggestion: '', value: 'Passed over for promotion in spring.', evidence: 'said so' },
    { label: 'social relationships', label_suggestion: '', value: 'Has a friend who often cancels plans.', evidence: 'said so' },
  ],
}];
const predictions = [
  { responses: [{ response: '<think>be kind</think>That sounds painful; being overlooked twice would hurt anyone.' }] },
  { responses: [{ response: 'Tell her honestly how the cancellations feel, without blaming.' }] },
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-cli-'));
  writeFileSync(join(dir, 'sessions.json'), JSON.stringify(sessions));
  writeFileSync(join(dir, 'predictions.json'), JSON.stringify(predictions));
  writeFileSync(join(dir, 'labelled.csv'), LABELLED_CSV);
  return () => rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const completed = (s: OpenAIServer) => s.chatRequests().filter((r) => r.completionTokens !== undefined).length;

// Each test spawns the CLI a few times; on a loaded 2-core machine that takes a while.

describe('attune evaluate', { timeout: 180_000 }, () => {
  it('judges PersonaEmp predictions, writes one line per candidate, prints the summary, and resumes with zero calls', async () => {
    server = await startOpenAIServer();
    const out = join(dir, 'results.jsonl');
    const args = ['--data', join(dir, 'sessions.json'), '--predictions', join(dir, 'predictions.json'), '--engine', 'openai',
      '--base-url', server.url, '--model', 'test-model', '--k', '2', '--out', out, '--quiet'];
    const first = await cli(args);
    expect(first.stderr).toMatch(/^This run: 14 model calls \(\d+ prompt \+ \d+ completion tokens\), 0 judgments reused/);
    expect(first.code).toBe(0);
    const { header, lines } = readResults(out);
    expect(header).toMatchObject({ type: 'attune-run', protocol: 'default', settings: { protocol: 'default', k: 2, mode: 'fixed' }, engine: { kind: 'openai', model: 'test-model' } });
    expect(header.data.map((d: { file: string }) => d.file)).toEqual(['sessions.json', 'predictions.json']);
    expect(lines).toHaveLength(2);
    const line = lines[0];
    expect(line).toMatchObject({ type: 'result', sessionId: 's1', queryId: 'q1', protocol: 'default' });
    expect(line.scores.resonation.trials).toHaveLength(2);
    expect(line.scores.resonation.trials[0]).toMatchObject({ status: 'ok', analysis: expect.any(String), raw: expect.stringContaining('"score"') });
    expect(line.criteria.expression.items).toHaveLength(4);
    expect(line.bystander).toMatchObject({ status: 'ok', b: 0.8 });
    expect(line.empathy).toBeGreaterThan(0);
    expect(line.reward).toBeCloseTo(line.empathy + 0.5 * (0.8 - 1), 10);
    expect(line.failures).toEqual([]);
    expect(line.tokens.prompt).toBeGreaterThan(0);
    expect(first.stdout).toMatch(/resonation\s+mean \(1-5\): \d\.\d{3}\s+\(n_ok 2, n_failed 0\)/);
    expect(first.stdout).toMatch(/Overall empathy \(mean of dimension means \/ 5\): 0\.\d{4}/);
    expect(first.stdout).toMatch(/Failures: 0 failed judgments/);
    expect(first.stdout).toMatch(/Replies flagged as prompt injection \(they address the judge\): 0/);
    // The judge never saw the <think> block, and the memories and persona reached the prompts.
    const judgeCalls = server.chatRequests().filter((r) => r.body.messages[0].content.includes('strict judge'));
    expect(judgeCalls.every((r) => !r.body.messages[1].content.includes('be kind'))).toBe(true);
    expect(judgeCalls.some((r) => r.body.messages[1].content.includes('Passed over for promotion in spring.'))).toBe(true);
    const calls = completed(server);
    // 2 cases × 3 criteria; per candidate one request with k samples per dimension, plus the bystander.
    expect(calls).toBe(2 * 3 + 2 * 4);

    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Resuming: 2 candidates/);
    expect(again.stderr).toMatch(/This run: 0 model calls/);
    expect(completed(server)).toBe(calls);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(again.stdout).toBe(first.stdout);

    // Without the results file, the cached judgments are reused: still no calls.
    rmSync(out);
    const rebuilt = await cli(args);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toMatch(/This run: 0 model calls \(0 prompt \+ 0 completion tokens\), 14 judgments reused/);
    expect(completed(server)).toBe(calls);
    expect(rebuilt.stdout).toBe(first.stdout);
  });

  it('resumes after being interrupted mid-run: nothing lost, nothing duplicated', async () => {
    server = await startOpenAIServer({ respond: async (body) => ({ text: cannedAnswer(body.messages, body.seed), delayMs: 40 }) });
    const out = join(dir, 'interrupted.jsonl');
    const args = ['--data', join(dir, 'labelled.csv'), '--base-url', server.url, '--model', 'test-model', '--k', '2', '--out', out];
    let killed = false;
    const first = await cli(args, (text, kill) => {
      // Progress lines come at most every 500 ms: the second one is well into the run.
      if (!killed && (text.match(/^\[\d+\/28\]/gm) ?? []).length >= 2) {
        killed = true;
        kill();
      }
    });
    expect(first.code).toBe(130);
    expect(first.stderr).toMatch(/Interrupted/);
    const partial = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).length - 1 : 0;
    expect(partial).toBeLessThan(4);
    const second = await cli(args);
    expect(second.code).toBe(0);
    const { lines } = readResults(out);
    expect(new Set(lines.map((l) => l.candidateId)).size).toBe(4);
    expect(lines).toHaveLength(4);
    // 2 cases × 3 criteria + 4 candidates × 4 requests; at most the one in-flight request is asked twice.
    expect(completed(server)).toBeGreaterThanOrEqual(22);
    expect(completed(server)).toBeLessThanOrEqual(23);
    // Labels present: agreement is printed.
    expect(second.stdout).toMatch(/Agreement with human labels \(4 labelled candidates\): pairwise accuracy \d\.\d{4} over 2 pairs, Spearman (-?\d\.\d{4}|n\/a)/);
  });

  it('records unparseable answers as failures with raw text, counted in the summary', async () => {
    server = await startOpenAIServer({ respond: (body) => (body.messages[0].content.includes('neutral third party') ? 'Looks fine to me.' : cannedAnswer(body.messages, body.seed)) });
    const out = join(dir, 'failures.jsonl');
    const r = await cli(['--data', join(dir, 'labelled.csv'), '--base-url', server.url, '--model', 'm', '--k', '1', '--retries', '1', '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    const line = readResults(out).lines[0];
    expect(line.bystander).toMatchObject({ status: 'failed', b: null });
    expect(line.reward).toBeNull();
    expect(line.failures).toEqual([expect.objectContaining({ kind: 'bystander', raw: 'Looks fine to me.', attempts: 2 })]);
    expect(r.stdout).toMatch(/Mean reward:\s+n\/a\s+\(n_ok 0, n_failed 4\)/);
    expect(r.stdout).toMatch(/Failures: 4 failed judgments in 4 candidates/);
  });

  it('usage errors exit 2 with a clear message; server errors exit 1', async () => {
    const missing = await cli(['--out', join(dir, 'x.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--data FILE is required/);
    const badMode = await cli(['--data', 'a', '--out', 'b', '--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--mode', 'fuzzy']);
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toMatch(/--mode must be fixed, dynamic, logprob, got "fuzzy"/);
    const badK = await cli(['--data', 'a', '--out', 'b', '--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--k', '0']);
    expect(badK.stderr).toMatch(/--k expects an integer ≥ 1/);
    server = await startOpenAIServer({ respond: () => ({ status: 500, body: 'kaboom' }) });
    const down = await cli(['--data', join(dir, 'labelled.csv'), '--base-url', server.url, '--model', 'm', '--out', join(dir, 'down.jsonl'), '--quiet']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/HTTP 500.*kaboom/);
  });
});

// Errors that no retry can fix stop the run at once, after one request, with their own message.
describe('attune evaluate: a refused key or a missing model', { timeout: 120_000 }, () => {
  it('a 401: one request, no retry, the typed message, exit 1, nothing written', async () => {
    server = await startOpenAIServer({ respond: () => ({ status: 401, body: '{"error":{"message":"invalid api key","type":"authentication_error"}}' }) });
    const out = join(dir, 'unauthorized.jsonl');
    const r = await cli(['--data', join(dir, 'labelled.csv'), '--base-url', server.url, '--model', 'test-model', '--retries', '3', '--out', out, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^attune evaluate: The model server refused the API key \(it answered 401 or 403\)/m);
    expect(r.stderr).toMatch(/unauthorized: HTTP 401 from .*invalid api key/);
    expect(server.chatRequests()).toHaveLength(1);
    expect(existsSync(out) ? readFileSync(out, 'utf8') : '').toBe('');
  });

  it('a model the server does not have: one request, no retry, the model named, exit 1', async () => {
    server = await startOpenAIServer({ knownModelsOnly: true, models: [{ id: 'test-model' }] });
    const r = await cli(['--data', join(dir, 'labelled.csv'), '--base-url', server.url, '--model', 'no-such-model', '--retries', '3', '--out', join(dir, 'missing-model.jsonl'), '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^attune evaluate: The model server has no model named "no-such-model"\./m);
    expect(server.chatRequests()).toHaveLength(1);
  });
});

// The same method on a local ONNX folder, in this process, through Transformers.js: the tiny
// random-weight model answers gibberish, so every judgment is a recorded failure or a valid score.
describe('attune evaluate --engine transformers', { timeout: 180_000 }, () => {
  it('runs the tiny model end to end: memories, persona, judgments; resumes with no model call', async () => {
    // No memories and no persona: only the history (and no query may point at a memory).
    const sessionsWithHistory = [{
      ...sessions[0], persona: undefined, extracted_memory: [],
      queries: sessions[0].queries.map(({ relevant_mem: _, situation: __, ...q }) => q),
    }];
    writeFileSync(join(dir, 'history.json'), JSON.stringify(sessionsWithHistory));
    const out = join(dir, 'tiny.jsonl');
    const args = ['--data', join(dir, 'history.json'), '--predictions', join(dir, 'predictions.json'), '--engine', 'transformers',
      '--model-dir', TINY_MODEL_DIR, '--k', '1', '--retries', '0', '--out', out, '--quiet'];
    const first = await cli(args);
    expect(first.code).toBe(0);
    const { header, lines } = readResults(out);
    expect(header.engine).toMatchObject({ kind: 'transformers', model: 'tiny-llama' });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.model).toBe('tiny-llama');
      for (const d of ['resonation', 'expression', 'reception']) {
        for (const trial of line.scores[d].trials) {
          if (trial.status === 'ok') expect(trial.score).toBeGreaterThanOrEqual(1);
          else expect(line.failures).toContainEqual(expect.objectContaining({ kind: d, raw: expect.any(String) }));
        }
      }
    }
    // The history had no memories and no persona: the model was asked for both (gibberish fails, and says so).
    const cache = readFileSync(`${out}.cache.jsonl`, 'utf8');
    expect(first.stderr).toMatch(/memories of conversation conv_\w+ failed|persona of person_\w+ failed/);
    expect(cache).toContain('"t":"judgment"');
    expect(first.stdout).toMatch(/^Candidates: 2$/m);
    expect(first.stdout).toMatch(/Failures: \d+ failed judgments/);

    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/This run: 0 model calls/);
    expect(again.stdout).toBe(first.stdout);
  });

  it('names what is wrong with --model-dir', async () => {
    const none = await cli(['--data', join(dir, 'labelled.csv'), '--engine', 'transformers', '--out', join(dir, 'x.jsonl')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--engine transformers needs --model-dir DIR/);
    const notAModel = await cli(['--data', join(dir, 'labelled.csv'), '--engine', 'transformers', '--model-dir', dir, '--out', join(dir, 'x.jsonl')]);
    expect(notAModel.code).toBe(2);
    expect(notAModel.stderr).toContain(`--model-dir ${dir}: no config.json there`);
    const noWeights = await cli(['--data', join(dir, 'labelled.csv'), '--engine', 'transformers', '--model-dir', `${TINY_MODEL_DIR}-no-weights`, '--out', join(dir, 'x.jsonl')]);
    expect(noWeights.code).toBe(2);
    expect(noWeights.stderr).toMatch(/no model_quantized\.onnx, model\.onnx, .* in .*tiny-llama-no-weights\/onnx/);
    const badDtype = await cli(['--data', join(dir, 'labelled.csv'), '--engine', 'transformers', '--model-dir', TINY_MODEL_DIR, '--dtype', 'q2', '--out', join(dir, 'x.jsonl')]);
    expect(badDtype.stderr).toMatch(/--dtype must be fp32, fp16, q8, q4, q4f16, got "q2"/);
  });
});
