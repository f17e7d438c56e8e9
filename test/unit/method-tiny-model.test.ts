// The real pipeline driven by the tiny random-weight model through the Transformers.js
// adapter. Its output is gibberish, so every judgment must come out either schema-valid or
// as a recorded failure with the raw text: never a silent or default score.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTinyModel } from '../../scripts/make-tiny-model.ts';
import { TransformersEngine } from '../../src/llm/transformers.ts';
import type { ChatEngine, ChatRequest } from '../../src/llm/engine.ts';
import { Judgment } from '../../src/domain/records.ts';
import { runEvaluation } from '../../src/method/pipeline.ts';
import { MemoryEvaluationStore } from '../../src/method/store.ts';
import { extractMemories } from '../../src/method/profile.ts';
import { conversation, items } from '../helpers/method-fixtures.ts';

describe('tiny random-weight model through the real pipeline', () => {
  const root = mkdtempSync(join(tmpdir(), 'attune-tiny-'));
  const engine = new TransformersEngine({ localModelPath: `${root}/`, dtype: 'fp32', allowRemoteModels: false });
  let chat: ChatEngine;
  const requests: ChatRequest[] = [];

  beforeAll(async () => {
    makeTinyModel(join(root, 'tiny-llama'));
    const loaded = await engine.load('tiny-llama');
    // Counts the calls that reach the model, without changing what it does.
    chat = { info: loaded.info, countTokens: (t) => loaded.countTokens(t), chat: (r) => (requests.push(r), loaded.chat(r)) };
  });
  afterAll(async () => {
    await engine.unload();
    rmSync(root, { recursive: true, force: true });
  });

  it.each(['fixed', 'dynamic'] as const)('%s mode: judgments are schema-valid or recorded failures with raw text; aggregates never invent a score', async (mode) => {
    requests.length = 0;
    const store = new MemoryEvaluationStore();
    const item = items(1, 1)[0];
    item.candidates[0].text = 'That sounds hard.';
    const run = await runEvaluation({
      engine: chat, store, items: [item],
      settings: { mode, k: 1, retries: 1, memoryBudget: 40, criteriaMemoryBudget: 40, answerTokens: { criteria: 24, judge: 24, dynamic: 24, combined: 24, bystander: 24 } },
    });
    const result = run.results[0];
    // The model was really asked: criteria (fixed) or judge calls (dynamic), and the bystander.
    expect(requests.length).toBeGreaterThanOrEqual(4);
    expect(result.judgments.filter((j) => j.raw !== '').length).toBeGreaterThan(0);
    expect(result.judgments).toHaveLength(4);
    for (const j of result.judgments) {
      expect(Judgment.safeParse(j).success).toBe(true);
      if (j.status === 'ok') {
        if (j.kind === 'bystander') expect(Object.keys(j.subscores!)).toHaveLength(5);
        else expect(j.score).toBeGreaterThanOrEqual(1);
      } else {
        expect(j.score).toBeUndefined();
        expect(typeof j.raw).toBe('string');
        expect(j.error).toBeTruthy();
      }
    }
    for (const d of ['resonation', 'expression', 'reception'] as const) {
      const ok = result.judgments.filter((j) => j.kind === d && j.status === 'ok');
      expect(result.aggregate.dimensions[d].nOk).toBe(ok.length);
      if (!ok.length) expect(result.aggregate.dimensions[d].score).toBeNull();
    }
    if (result.judgments.some((j) => j.kind !== 'bystander' && j.status === 'failed')) expect(result.aggregate.empathy).toBeNull();
    expect(run.summary.failedJudgments).toBe(result.judgments.filter((j) => j.status === 'failed').length);
    // What the model was asked fit its context window.
    for (const r of requests) {
      let tokens = 0;
      for (const m of r.messages) tokens += await chat.countTokens(m.content);
      expect(tokens + (r.maxTokens ?? 0)).toBeLessThanOrEqual(chat.info.contextWindow);
    }
  });

  it('memory extraction with gibberish yields failures kept for retry, not invented memories', async () => {
    const store = new MemoryEvaluationStore();
    const conv = conversation('c1', [['user', 'My sister moved away.'], ['assistant', 'That is hard.']]);
    const r = await extractMemories(chat, store, 'p1', [conv.conversation], conv.messages, { retries: 0, answerTokens: 24 });
    if (r.failures.length) {
      expect(r.memories).toEqual([]);
      expect(store.marks.size).toBe(0);
      expect(r.conversationsExtracted).toBe(0);
    } else {
      for (const m of r.memories) expect(m.value.length).toBeGreaterThan(0);
    }
  });
});
