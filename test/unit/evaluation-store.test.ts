import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { AttuneDB } from '../../src/store/db.ts';
import { DexieEvaluationStore } from '../../src/store/evaluation-store.ts';
import type { Judgment } from '../../src/domain/records.ts';

const judgment = (id: string, runId: string): Judgment => ({
  id, runId, caseId: 'case_1', candidateId: 'cand_1', kind: 'resonation', mode: 'fixed', trial: 0, model: 'm', seed: 1,
  status: 'ok', score: 4, raw: '{"score":4}', attempts: 1, flags: [], usage: { promptTokens: 10, completionTokens: 5 }, createdAt: 1,
});

describe('DexieEvaluationStore', () => {
  it('persists judgments, criteria, personas, memories and marks across reopening the database', async () => {
    const name = `eval-store-${Math.random()}`;
    const db = new AttuneDB(name);
    const store = new DexieEvaluationStore(db);
    await store.putJudgment(judgment('j1', 'run_a'));
    await store.putJudgment(judgment('j2', 'run_b'));
    await store.putCriteria({ id: 'crit_1', caseId: 'case_1', dimension: 'expression', source: 'derived', items: [{ name: 'Tone', weight: 100, description: 'warm' }], renormalized: false, edited: false, model: 'm', createdAt: 1 });
    await store.putPersona({ id: 'p1', personId: 'person_1', version: 1, profile: 'x', topics: [], isDeep: false, gateReason: 'r', origin: 'extracted', createdAt: 1 });
    await store.putMemories([{ id: 'mem1', personId: 'person_1', label: 'l', value: 'v', evidence: [], origin: 'extracted', updatedAt: 1 }]);
    await store.putMark('conv:abc');
    db.close();

    const again = new DexieEvaluationStore(new AttuneDB(name));
    expect((await again.listJudgments('run_a')).map((j) => j.id)).toEqual(['j1']);
    expect((await again.getJudgment('j2'))?.score).toBe(4);
    expect((await again.getCriteria('crit_1'))?.dimension).toBe('expression');
    expect(await again.listPersonas('person_1')).toHaveLength(1);
    expect(await again.listMemories('person_1')).toHaveLength(1);
    expect(await again.hasMark('conv:abc')).toBe(true);
    expect(await again.hasMark('conv:other')).toBe(false);
  });

  it('refuses an invalid judgment (the store validates every record)', async () => {
    const store = new DexieEvaluationStore(new AttuneDB(`eval-store-${Math.random()}`));
    await expect(store.putJudgment({ ...judgment('j3', 'r'), attempts: 0 })).rejects.toThrow(/attempts/);
  });
});
