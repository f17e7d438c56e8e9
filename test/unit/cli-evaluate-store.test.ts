// The CLI's file-backed pieces: the JSONL judgment cache and the results file survive a
// process killed mid-write (a torn last line) without losing or duplicating anything.
import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlEvaluationStore } from '../../src/cli/jsonl-store.ts';
import { readDone } from '../../src/cli/evaluate.ts';
import { runHeader } from '../../src/method/run-header.ts';
import { PROTOCOLS } from '../../src/method/protocols.ts';
import { runEvaluation } from '../../src/method/pipeline.ts';
import { ScriptedEngine } from '../helpers/scripted-engine.ts';
import { items } from '../helpers/method-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'attune-jsonl-'));

describe('JsonlEvaluationStore', () => {
  it('reopens with everything that was put, so a second run makes no calls', async () => {
    const path = join(dir, 'cache.jsonl');
    await runEvaluation({ engine: new ScriptedEngine(), store: new JsonlEvaluationStore(path), items: items(1, 2), settings: { k: 2 } });
    const reopened = new JsonlEvaluationStore(path);
    expect(reopened.judgments.size).toBe(2 * 7);
    expect(reopened.criteria.size).toBe(3);
    const engine = new ScriptedEngine();
    await runEvaluation({ engine, store: reopened, items: items(1, 2), settings: { k: 2 } });
    expect(engine.calls).toHaveLength(0);
  });

  it('skips a torn last line and cuts it off before appending', async () => {
    const path = join(dir, 'torn.jsonl');
    const store = new JsonlEvaluationStore(path);
    await store.putMark('a');
    appendFileSync(path, '{"t":"mark","r":"b"');
    const reopened = new JsonlEvaluationStore(path);
    expect(reopened.skippedLines).toBe(1);
    expect([...reopened.marks]).toEqual(['a']);
    await reopened.putMark('c');
    expect([...new JsonlEvaluationStore(path).marks]).toEqual(['a', 'c']);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

describe('results file', () => {
  it('keeps complete lines after the run header, drops a torn one and says where', () => {
    const path = join(dir, 'results.jsonl');
    const header = runHeader({ settings: PROTOCOLS.default.settings, engine: { kind: 'openai', model: 'm', contextWindow: 4096, constrainedJson: false, logprobs: false }, data: [], startedAt: new Date(0) });
    const line = JSON.stringify({ type: 'result', candidateId: 'c1', aggregate: { empathy: 0.5 } });
    writeFileSync(path, `${JSON.stringify(header)}\n${line}\n{"type":"result","candidateId":"c2","aggr`);
    const warnings: string[] = [];
    const done = readDone(path, { ...header, startedAt: new Date(1).toISOString() }, (w) => warnings.push(w));
    expect(done.lines.map((l) => l.candidateId)).toEqual(['c1']);
    expect(done.startedAt).toBe(header.startedAt);
    expect(warnings).toEqual([expect.stringMatching(/results\.jsonl \(line 3\): not a complete result line/)]);
    expect(readFileSync(path, 'utf8')).toBe(`${JSON.stringify(header)}\n${line}\n`);
  });
});
