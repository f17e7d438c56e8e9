// The real CLI in a child process (node bin/attune.js, as a user runs it), and its results
// files read back, for the tests of `attune evaluate` and `attune compare`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Two queries with a kind and a curt reply each, labelled 1 and 0: a small data set with human labels. */
export const LABELLED_CSV = [
  'query,response,label',
  'I failed my exam and feel stupid.,That must sting. One exam does not define you.,1',
  'I failed my exam and feel stupid.,Study harder next time.,0',
  'My dog died yesterday.,I am so sorry. Losing a companion is heartbreaking.,1',
  'My dog died yesterday.,Get a new one.,0',
].join('\n');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `attune <command> ...args`; `onStderr` sees the error output so far and may interrupt the process (SIGINT). */
export function runCli(command: 'evaluate' | 'compare', args: string[], onStderr?: (text: string, interrupt: () => void) => void): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/attune.js', command, ...args], { cwd: process.cwd(), env: { ...process.env, OPENAI_API_KEY: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, () => child.kill('SIGINT'));
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A results file: its run header, then one line per candidate, as parsed JSON (tests type what they read). */
export function readResults(path: string) {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return { header, lines };
}
