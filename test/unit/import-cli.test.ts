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
