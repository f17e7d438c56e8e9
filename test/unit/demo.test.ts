import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { buildDemoBundle } from '../../src/demo/bundle.ts';
import { DEMO_PEOPLE } from '../../src/demo/people.ts';

describe('demo data set', () => {
  it('has three or four people, each with conversations, memories, a persona and cases of every category', async () => {
    const b = await buildDemoBundle();
    expect(b.people.length).toBeGreaterThanOrEqual(3);
    expect(b.people.length).toBeLessThanOrEqual(4);
    for (const p of b.people) {
      expect(p.demo).toBe(true);
      expect(b.conversations.filter((c) => c.personId === p.id).length).toBeGreaterThanOrEqual(2);
      expect(b.memories.filter((m) => m.personId === p.id).length).toBeGreaterThanOrEqual(4);
      expect(b.personas.filter((x) => x.personId === p.id)).toHaveLength(1);
      const cats = new Set(b.cases.filter((c) => c.personId === p.id).map((c) => c.category));
      expect([...cats].sort()).toEqual(['ES', 'HEI', 'SS']);
    }
  });

  it('gives every case a generic, a personalized and a poor candidate, ranked by label', async () => {
    const b = await buildDemoBundle();
    for (const c of b.cases) {
      const cands = b.candidates.filter((x) => x.caseId === c.id);
      expect(cands.map((x) => x.name).sort()).toEqual(['generic', 'personalized', 'poor']);
      const label = (n: string) => cands.find((x) => x.name === n)!.label!;
      expect(label('personalized')).toBeGreaterThan(label('generic'));
      expect(label('generic')).toBeGreaterThan(label('poor'));
    }
  });

  it('links every memory to existing messages of the same person and every case to its memories', async () => {
    const b = await buildDemoBundle();
    const msgs = new Map(b.messages.map((m) => [m.id, m]));
    const mems = new Map(b.memories.map((m) => [m.id, m]));
    for (const m of b.memories) {
      expect(m.evidence.length).toBeGreaterThan(0);
      for (const e of m.evidence) expect(msgs.get(e)?.personId).toBe(m.personId);
    }
    for (const c of b.cases) for (const id of c.relevantMemoryIds) expect(mems.get(id)?.personId).toBe(c.personId);
  });

  it('is deterministic: building twice gives identical records with unique ids', async () => {
    const [a, b] = [await buildDemoBundle(), await buildDemoBundle()];
    expect(b).toEqual(a);
    const ids = [...a.people, ...a.conversations, ...a.messages, ...a.memories, ...a.cases, ...a.candidates].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(a.people.map((p) => p.name)).toEqual(DEMO_PEOPLE.map((p) => p.name));
  });
});

describe('demo loading', () => {
  it('loads on first start, is removed with everything it owns, stays removed, and restores', async () => {
    const { AttuneDB } = await import('../../src/store/db.ts');
    const { ensureDemo, removeDemo, loadDemo } = await import('../../src/demo/load.ts');
    const db = new AttuneDB(`demo-test-${Math.random()}`);
    await ensureDemo(db);
    const bundle = await buildDemoBundle();
    expect(await db.people.count()).toBe(bundle.people.length);
    expect(await db.candidates.count()).toBe(bundle.candidates.length);
    await ensureDemo(db); // second start adds nothing
    expect(await db.countMessages()).toBe(bundle.messages.length);

    expect(await removeDemo(db)).toBe(bundle.people.length);
    for (const t of ['people', 'messageChunks', 'memories', 'cases', 'candidates'] as const) expect(await db.table(t).count()).toBe(0);
    await ensureDemo(db);
    expect(await db.people.count()).toBe(0);

    const added = await loadDemo(db);
    expect(added.cases).toBe(bundle.cases.length);
    expect(await db.people.count()).toBe(bundle.people.length);
    db.close();
  });
});
