// `attune compare` end to end: the real CLI process (node bin/attune.js) against the real local
// OpenAI-compatible test server: two protocols on the same data, each into its own results file
// with its header, the comparison figures as JSON and as text, resumed with no new calls.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABELLED_CSV, readResults, runCli } from '../helpers/cli.ts';
import { startOpenAIServer, type OpenAIServer } from '../helpers/openai-server.ts';
import { stepOf } from '../helpers/canned.ts';
import { labelAgreement, spearman } from '../../src/method/aggregate.ts';
import type { ResultLine } from '../../src/method/result-line.ts';
import type { ProtocolComparison } from '../../src/method/compare-protocols.ts';

const cli = (args: string[]) => runCli('compare', args);

let dir: string;
let server: OpenAIServer | undefined;

const criteria = {
  resonation: 'Specific Criteria:\n1. Names the feeling (60%): says what the person feels.\n2. Finds the need (40%): the need beneath.',
  expression: 'Specific Criteria:\n1. Warm tone (50%): sincere.\n2. Validation first (50%): before advice.',
  reception: 'Specific Criteria:\n1. Feels understood (70%): would feel heard.\n2. Safe (30%): nothing intrusive.',
};
const sessions = [{
  session_id: 's1',
  persona: { is_deep_persona: true, gate_reason: 'Ongoing work stress.', topics: ['work'], persona_profile: '- Emotional expression: direct\n- Stress response: withdraws, then plans' },
  queries: [
    { query_id: 'q1', category: 'Emotional Support', query: 'I got passed over again and I feel invisible.', relevant_mem: [1], criteria },
    { query_id: 'q2', category: 'Social Strategy', query: 'How do I tell my friend she keeps cancelling on me?', relevant_mem: [2], criteria },
  ],
  conversation: [{ role: 'user', text: 'Work is rough lately.' }, { role: 'assistant', text: 'I am sorry to hear that.' }],
  extracted_memory: [
    { label: 'states and experiences', label_suggestion: '', value: 'Passed over for promotion in spring.', evidence: 'said so' },
    { label: 'social relationships', label_suggestion: '', value: 'Has a friend who often cancels plans.', evidence: 'said so' },
  ],
}];
const systemA = [{ responses: [{ response: 'That sounds painful; being overlooked twice would hurt anyone.' }, { response: 'Tell her honestly how the cancellations feel, without blaming.' }] }];
const systemB = [{ responses: [{ response: 'Work is like that. Move on.' }, { response: 'Just stop inviting her.' }] }];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'attune-compare-'));
  writeFileSync(join(dir, 'sessions.json'), JSON.stringify(sessions));
  writeFileSync(join(dir, 'kind.json'), JSON.stringify(systemA));
  writeFileSync(join(dir, 'curt.json'), JSON.stringify(systemB));
  writeFileSync(join(dir, 'labelled.csv'), LABELLED_CSV);
  return () => rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const results = (path: string): { header: { type: string; protocol: string; settings: { protocol: string } }; lines: ResultLine[] } => readResults(path);

describe('attune compare', { timeout: 180_000 }, () => {
  it('runs reference and fast on the same data into their own results files, and reports their agreement and cost', async () => {
    server = await startOpenAIServer();
    const out = join(dir, 'ref-fast');
    const args = ['--protocols', 'reference,fast', '--data', join(dir, 'sessions.json'), '--predictions', join(dir, 'kind.json'), '--predictions', join(dir, 'curt.json'),
      '--base-url', server.url, '--model', 'test-model', '--out', out, '--quiet'];
    const r = await cli([...args, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ProtocolComparison & { results: string[] };
    expect(report.protocols).toEqual(['reference', 'fast']);
    expect(report.results).toEqual([join(out, 'reference.jsonl'), join(out, 'fast.jsonl')]);

    const reference = results(join(out, 'reference.jsonl'));
    const fast = results(join(out, 'fast.jsonl'));
    expect(reference.header).toMatchObject({ type: 'attune-run', protocol: 'reference', settings: { protocol: 'reference' } });
    expect(fast.header).toMatchObject({ type: 'attune-run', protocol: 'fast', settings: { protocol: 'fast' } });
    expect(reference.lines.map((l) => l.candidateId)).toEqual(fast.lines.map((l) => l.candidateId));
    expect(report.candidates).toBe(4);

    // The figures are those of the two results files.
    for (const d of ['resonation', 'expression', 'reception'] as const) {
      const x = reference.lines.map((l) => l.aggregate.dimensions[d].meanRaw!);
      const y = fast.lines.map((l) => l.aggregate.dimensions[d].meanRaw!);
      expect(report.figures[d].n).toBe(4);
      expect(report.figures[d].spearman).toBe(spearman(x, y));
      // Two cases of two candidates: at most one pair each.
      expect(report.figures[d].pairwise.pairs).toBeLessThanOrEqual(2);
    }
    expect(report.figures.overall.spearman).toBe(spearman(reference.lines.map((l) => l.empathy!), fast.lines.map((l) => l.empathy!)));
    // No human labels in these data.
    expect(report.figures.overall.labels).toEqual([null, null]);

    // Cost: what the server saw, per protocol (eval.py's three text judgments; fast's combined call and bystander).
    const steps = server.chatRequests().map((q) => stepOf(q.body.messages));
    expect(steps.filter((s) => s === 'judge-fixed-text')).toHaveLength(4 * 3);
    expect(steps.filter((s) => s === 'judge-combined')).toHaveLength(4);
    expect(report.cost.map((c) => [c.protocol, c.calls])).toEqual([['reference', 12], ['fast', 8]]);
    expect(report.cost.every((c) => c.promptTokens > 0 && c.completionTokens > 0 && c.ms >= 0)).toBe(true);

    // Again: both runs resume from their files, nothing is asked again, the same figures come back as text.
    const before = server.chatRequests().length;
    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(server.chatRequests().length).toBe(before);
    expect(again.stdout).toMatch(/^reference vs fast on 4 candidates/);
    expect(again.stdout).toMatch(/^ {2}overall +n +4 +Spearman/m);
    expect(again.stdout).toMatch(/^ {2}reference +[\d.]+ s, 0 calls, 0 prompt \+ 0 completion tokens/m);
  });

  it('reports each protocol\'s agreement with human labels where the data has them', async () => {
    server = await startOpenAIServer();
    const r = await cli(['--protocols', 'default,fast', '--data', join(dir, 'labelled.csv'), '--base-url', server.url, '--model', 'test-model', '--out', join(dir, 'labelled'), '--quiet', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ProtocolComparison;
    const files = ['default', 'fast'].map((p) => results(join(dir, 'labelled', `${p}.jsonl`)).lines);
    for (const [i, lines] of files.entries()) {
      const expected = labelAgreement(lines.map((l) => ({ group: l.caseId, label: l.label!, score: l.empathy! })));
      expect(report.figures.overall.labels[i]).toEqual(expected);
      expect(expected.pairs).toBe(2);
    }
  });

  it('refuses a wrong --protocols before any request', async () => {
    server = await startOpenAIServer();
    const base = ['--data', join(dir, 'labelled.csv'), '--base-url', server.url, '--model', 'test-model', '--out', join(dir, 'bad')];
    const unknown = await cli(['--protocols', 'reference,slow', ...base]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--protocols: "slow" is not a protocol \(reference, reward, default, fast\)/);
    const one = await cli(['--protocols', 'fast', ...base]);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/--protocols expects two different protocols, got "fast"/);
    expect(server.requests).toHaveLength(0);
  });
});
