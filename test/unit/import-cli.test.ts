// The CLI as a user runs it: `node bin/attune.js import ...` in a child process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function attune(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/attune.js', ...args], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

describe('attune import', () => {
  it('prints one JSON object with counts and exit code 0 for good files', async () => {
    const { code, stdout } = await attune('import', 'test/fixtures/import/personaemp-sessions.json', 'test/fixtures/import/personaemp-predictions.json', '--dry-run', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ format: 'mixed', people: 2, conversations: 2, messages: 6, memories: 4, cases: 3, candidates: 3, errors: [] });
    expect(report.files.map((f: { format: string }) => f.format)).toEqual(['personaemp', 'personaemp-predictions']);
  });

  it('reads the reference\'s sessions, criteria and three predictions files together', async () => {
    const ref = (name: string) => `test/fixtures/reference/${name}`;
    const { code, stdout } = await attune('import', ref('English.json'), ref('English_criteria.json'), ref('qwen2.5-7b-instruct.json'),
      ref('deepseek-r1-distill-8b.json'), ref('llama-3.1-8b-instruct.json'), '--dry-run');
    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual(expect.arrayContaining([
      `${ref('English.json')}: personaemp: 3 people, 3 conversations, 13 messages, 6 memories, 6 cases, 0 candidates`,
      `${ref('deepseek-r1-distill-8b.json')}: personaemp-predictions: 0 people, 0 conversations, 0 messages, 0 memories, 0 cases, 6 candidates`,
      `${ref('English_criteria.json')}: personaemp-criteria: 0 people, 0 conversations, 0 messages, 0 memories, 0 cases, 0 candidates, criteria for 6 cases`,
      `${ref('English_criteria.json')}: note: criteria for 6 queries of 3 sessions`,
    ]));
  });

  it('names the format when all files share it', async () => {
    const { code, stdout } = await attune('import', 'test/fixtures/import/chatgpt-export.zip', '--dry-run', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ format: 'chatgpt', people: 1, conversations: 2, messages: 8 });
  });

  it('exits non-zero and lists errors with file, place and message when a file fails', async () => {
    const { code, stdout } = await attune('import', 'test/fixtures/import/chat.txt', 'test/malformed/jsonl-not-json-line.jsonl', 'missing.json', '--dry-run', '--json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.format).toBe('plaintext');
    expect(report.messages).toBe(4);
    expect(report.errors).toEqual([
      { file: 'missing.json', where: 'file', message: expect.stringContaining('ENOENT') },
      { file: 'test/malformed/jsonl-not-json-line.jsonl', where: 'line 3', message: expect.stringContaining('not valid JSON') },
    ]);
  });

  it('applies --max-mb before reading', async () => {
    const { code, stdout } = await attune('import', 'test/malformed/huge-for-limit.json', '--dry-run', '--json', '--max-mb', '0.001');
    expect(code).toBe(1);
    expect(JSON.parse(stdout).errors[0]).toMatchObject({ where: 'byte 1048', message: expect.stringContaining('size limit') });
  });

  it('refuses to pretend to import without --dry-run (Node has no store)', async () => {
    const { code, stderr, stdout } = await attune('import', 'test/fixtures/import/chat.txt');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Node has no store');
  });
});
