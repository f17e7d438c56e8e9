// The writes the Evaluate and Person screens make, through the app's database singleton.
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { db, StoreValidationError } from '../../src/store/db.ts';
import { contentId } from '../../src/lib/hash.ts';
import type { CriteriaSet, Memory } from '../../src/domain/records.ts';
import { addCandidate, createCase, removeCandidate, saveEditedCriteria } from '../../src/services/cases.ts';
import { deleteMemory, saveMemory, savePersonaVersion } from '../../src/services/person.ts';

beforeEach(async () => {
  await Promise.all(db.tables.map((t) => t.clear()));
});

describe('cases service', () => {
  it('creates a case whose id is the hash of its trimmed content; the same query twice is one case', async () => {
    const id = await createCase('person_1', { query: '  I failed my exam.  ', category: 'ES', scenario: ' ' });
    expect(id).toBe(await contentId('case', { personId: 'person_1', query: 'I failed my exam.', category: 'ES', scenario: undefined }));
    const stored = await db.cases.get(id);
    expect(stored).toMatchObject({ personId: 'person_1', query: 'I failed my exam.', category: 'ES', relevantMemoryIds: [], source: { format: 'manual' } });
    expect(stored).not.toHaveProperty('scenario');
    expect(await createCase('person_1', { query: 'I failed my exam.', category: 'ES', scenario: '' })).toBe(id);
    expect(await db.cases.count()).toBe(1);
  });

  it('rejects a query that is only spaces through the store schema', async () => {
    await expect(createCase('person_1', { query: '   ', category: 'ES', scenario: '' })).rejects.toBeInstanceOf(StoreValidationError);
    expect(await db.cases.count()).toBe(0);
  });

  it('adds a candidate keyed by case and text, and removes it', async () => {
    const of = { id: 'case_1', personId: 'person_1' };
    const id = await addCandidate(of, 'That sounds hard.', 'paste', '  mine ');
    expect(id).toBe(await contentId('cand', { caseId: 'case_1', text: 'That sounds hard.' }));
    expect(await db.candidates.get(id)).toMatchObject({ caseId: 'case_1', personId: 'person_1', text: 'That sounds hard.', source: 'paste', name: 'mine', label: null });
    const unnamed = await addCandidate(of, 'Other reply', 'import', ' ');
    expect(await db.candidates.get(unnamed)).not.toHaveProperty('name');
    await removeCandidate(id);
    expect((await db.candidates.toArray()).map((c) => c.id)).toEqual([unnamed]);
  });

  const set: CriteriaSet = {
    id: 'crit_1', caseId: 'case_1', dimension: 'expression', source: 'derived', model: 'm', edited: false, renormalized: false, createdAt: 1,
    items: [{ name: 'Tone', weight: 100, description: 'warm' }],
  };

  it('saves edited criteria rescaled to shares of 100 under the same id, dropping unnamed items', async () => {
    await db.criteria.put(set);
    await saveEditedCriteria(set, [
      { name: 'Tone', weight: 30, description: 'warm' },
      { name: 'Detail', weight: 10, description: 'specific' },
      { name: ' ', weight: 0, description: 'blank row' },
    ]);
    const saved = await db.criteria.get('crit_1');
    expect(saved?.items).toEqual([{ name: 'Tone', weight: 75, description: 'warm' }, { name: 'Detail', weight: 25, description: 'specific' }]);
    expect(saved).toMatchObject({ edited: true, renormalized: true, dimension: 'expression', source: 'derived', model: 'm' });
    expect(saved!.createdAt).toBeGreaterThan(1);

    await saveEditedCriteria(set, [{ name: 'Tone', weight: 60, description: 'warm' }, { name: 'Detail', weight: 40, description: 'd' }]);
    expect((await db.criteria.get('crit_1'))?.renormalized).toBe(false);
  });

  it('refuses criteria whose weights sum to zero and leaves the stored set alone', async () => {
    await db.criteria.put(set);
    await expect(saveEditedCriteria(set, [{ name: 'Tone', weight: 0, description: 'warm' }])).rejects.toThrow(/sum to 0/);
    expect(await db.criteria.get('crit_1')).toEqual(set);
  });
});

describe('person service', () => {
  it('saves each persona edit as the next version, keeping the earlier ones', async () => {
    const first = await savePersonaVersion('person_1', { profile: 'Calm.', topics: ' work, , sleep ', isDeep: true, gateReason: 'enough history' });
    expect(first).toMatchObject({ version: 1, topics: ['work', 'sleep'], origin: 'manual' });
    expect(first.id).toBe(await contentId('persona', { personId: 'person_1', version: 1, profile: 'Calm.', topics: ['work', 'sleep'], isDeep: true, gateReason: 'enough history' }));
    const second = await savePersonaVersion('person_1', { profile: 'Calm, tired.', topics: 'work', isDeep: false, gateReason: 'edited' });
    expect(second.version).toBe(2);
    expect((await db.personas.where('personId').equals('person_1').sortBy('version')).map((p) => p.profile)).toEqual(['Calm.', 'Calm, tired.']);
  });

  it('adds a trimmed manual memory, updates an extracted one in place, and deletes', async () => {
    const added = await saveMemory('person_1', { label: ' work ', value: ' Nurse on night shifts ' });
    expect(await db.memories.get(added.id)).toMatchObject({ label: 'work', value: 'Nurse on night shifts', evidence: [], origin: 'manual' });

    const extracted: Memory = { id: 'mem_x', personId: 'person_1', label: 'pets', value: 'a cat', evidence: ['msg_1'], origin: 'extracted', sourceHash: 'h1', updatedAt: 1 };
    await db.memories.put(extracted);
    await saveMemory('person_1', { label: 'pets', value: 'two cats' }, extracted);
    expect(await db.memories.get('mem_x')).toMatchObject({ value: 'two cats', evidence: ['msg_1'], origin: 'extracted', sourceHash: 'h1' });
    expect(await db.memories.count()).toBe(2);

    await deleteMemory(added.id);
    expect((await db.memories.toArray()).map((m) => m.id)).toEqual(['mem_x']);
  });

  it('rejects an empty memory through the store schema', async () => {
    await expect(saveMemory('person_1', { label: 'work', value: '  ' })).rejects.toBeInstanceOf(StoreValidationError);
    expect(await db.memories.count()).toBe(0);
  });
});
