// Resume only what is the same run (issue 10, item 2): the real CLI process against the local
// server. A results file is written once; re-running with any one settings field changed is
// refused (exit 2) naming exactly that field and offering --new-run, and leaves the file as it
// was; identical settings resume with no model call; --new-run writes a new file beside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { startOpenAIServer, type OpenAIServer } from '../helpers/openai-server.ts';

const cli = (args: string[]) => runCli('evaluate', args);

let dir: string;
let server: OpenAIServer;

const CSV = [
  'query,response,label',
  'I failed my exam and feel stupid.,That must sting. One exam does not define you.,1',
  'I failed my exam and feel stupid.,Study harder next time.,0',
].join('\n');
const TEMPLATE = 'Judge {dimension}. {criteria} {memories} {scenario} {persona} {query} {response} Answer "Scores: \\boxed{{x}}".';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-resume-'));
  writeFileSync(join(dir, 'labelled.csv'), CSV);
  // Same file name, other content: only the data's hash differs.
  mkdirSync(join(dir, 'edited'));
  writeFileSync(join(dir, 'edited', 'labelled.csv'), CSV.replace('Study harder next time.', 'Study harder next time!'));
  writeFileSync(join(dir, 'template.txt'), TEMPLATE);
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const chatCalls = () => server.chatRequests().length;

// Each settings field, the option that changes it alone, and the header path the refusal must name.
const CHANGES: { field: string; args: string[]; differs: string[] }[] = [
  { field: 'protocol', args: ['--protocol', 'reward'], differs: ['protocol'] },
  { field: 'mode', args: ['--mode', 'dynamic'], differs: ['settings.mode'] },
  { field: 'k', args: ['--k', '2'], differs: ['settings.k'] },
  { field: 'lambda', args: ['--lambda', '0.25'], differs: ['settings.lambda'] },
  { field: 'temperature', args: ['--temperature', '0.2'], differs: ['settings.temperature'] },
  { field: 'seed', args: ['--seed', '7'], differs: ['settings.seed'] },
  { field: 'retries', args: ['--retries', '0'], differs: ['settings.retries'] },
  { field: 'bystander', args: ['--no-bystander'], differs: ['settings.bystander'] },
  { field: 'samples per call', args: ['--one-call-per-trial'], differs: ['settings.samplesPerCall'] },
  { field: 'missing criteria', args: ['--missing-criteria', 'stop'], differs: ['settings.missingCriteria'] },
  { field: 'model', args: ['--model', 'other-model'], differs: ['engine.model'] },
  { field: 'data file content', args: ['--data', 'EDITED'], differs: ['data'] },
  { field: 'judge template', args: ['--judge-template', 'TEMPLATE'], differs: ['judgeTemplate'] },
];

/** Runs `tasks` at most `limit` at a time (each spawns a CLI process). */
async function pooled<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  }));
  return out;
}

describe('attune evaluate: resume only the same run', { timeout: 180_000 }, () => {
  it('refuses each changed field by name, resumes identical settings with no call, and --new-run starts a file beside it', async () => {
    const out = join(dir, 'results.jsonl');
    const base = (overrides: string[] = []) => {
      const data = overrides.includes('EDITED') ? join(dir, 'edited', 'labelled.csv') : join(dir, 'labelled.csv');
      const rest = overrides.filter((a) => a !== '--data' && a !== 'EDITED').map((a) => (a === 'TEMPLATE' ? join(dir, 'template.txt') : a));
      const model = rest.includes('--model') ? [] : ['--model', 'test-model'];
      return ['--data', data, '--base-url', server.url, ...model, '--k', '1', '--out', out, '--quiet', ...rest];
    };
    const first = await cli(base());
    expect(first.code).toBe(0);
    const written = readFileSync(out, 'utf8');
    expect(written.trim().split('\n')).toHaveLength(3);
    const callsAfterFirst = chatCalls();
    expect(callsAfterFirst).toBeGreaterThan(0);

    const refused = await pooled(CHANGES.map((c) => () => cli(base(c.args))), 3);
    for (const [i, c] of CHANGES.entries()) {
      const r = refused[i];
      expect(r.code, `${c.field}: ${r.stderr}`).toBe(2);
      const named = /holds a run with other settings \((.*) differs?\)/.exec(r.stderr)?.[1].split(', ');
      if (c.field === 'protocol') expect(named, c.field).toContain('protocol');
      else expect(named, c.field).toEqual(c.differs);
      expect(r.stderr, c.field).toContain('Add --new-run to start a new results file beside it');
    }
    expect(readFileSync(out, 'utf8')).toBe(written);
    expect(chatCalls()).toBe(callsAfterFirst);

    // Identical settings (and a different --concurrency, which changes no result): resumed, no call.
    const again = await cli([...base(), '--concurrency', '2']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Resuming: 2 candidates already in/);
    expect(again.stderr).toMatch(/This run: 0 model calls/);
    expect(chatCalls()).toBe(callsAfterFirst);
    expect(readFileSync(out, 'utf8')).toBe(written);
    expect(again.stdout).toBe(first.stdout);

    // --new-run with another k: a new file beside the first, which stays as it was.
    const fresh = await cli([...base(['--k', '2']), '--new-run']);
    expect(fresh.code).toBe(0);
    const second = join(dir, 'results.2.jsonl');
    expect(fresh.stderr).toContain(`New run: writing to ${second}`);
    const [header, ...lines] = readFileSync(second, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(header.settings.k).toBe(2);
    expect(lines).toHaveLength(2);
    expect(lines[0].scores.resonation.trials).toHaveLength(2);
    expect(readFileSync(out, 'utf8')).toBe(written);
  });
});
