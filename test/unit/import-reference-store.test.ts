// A criteria file in the store: attached to cases of the same import or of an earlier one, as an
// update of those cases in the import's one transaction; all or nothing.
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttuneDB } from '../../src/store/db.ts';
import { parseFiles, parsePastedText, type InputFile } from '../../src/import/index.ts';

const dir = new URL('../fixtures/reference/', import.meta.url);
const text = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const fixture = (name: string): InputFile => ({ name, bytes: new TextEncoder().encode(text(name)) });
const criteriaFile = JSON.parse(text('English_criteria.json')) as { session_id: string; criterias: { query_id: string; resonation: string; expression: string; reception: string }[] }[];
const written = new Map(criteriaFile.flatMap((s) => s.criterias.map(({ query_id, ...texts }) => [query_id, texts])));

let db: AttuneDB;
let n = 0;
beforeEach(async () => {
  db = new AttuneDB(`reference-store-${++n}`);
  await db.open();
});
afterEach(async () => {
  await db.delete();
});

/** Parses as the app's import worker does: stored cases can be looked up. */
async function parse(names: string[]) {
  const result = await parseFiles(names.map(fixture), { storedCases: (ids) => db.casesOfSessions(ids) });
  expect(result.issues).toEqual([]);
  return result.bundles;
}

const criteriaByQuery = async () => Object.fromEntries((await db.cases.toArray()).map((c) => [c.queryId, c.referenceCriteria]));

describe('criteria file into the store', () => {
  it('sessions, criteria and predictions together: every case stored with the file\'s criteria', async () => {
    const added = await db.applyImport(await parse(['English.json', 'English_criteria.json', 'qwen2.5-7b-instruct.json']));
    expect(added).toMatchObject({ people: 3, cases: 6, candidates: 6, criteria: 0 });
    expect(await criteriaByQuery()).toEqual(Object.fromEntries(written));
    const cases = await db.cases.toArray();
    expect(cases.map((c) => [c.sessionId, c.queryId, c.category, c.categoryLabel]).sort()).toContainEqual(['english_1', 'english_1:0', 'HEI', 'High-EQ Interaction']);
    expect((await db.candidates.toArray()).every((c) => c.system === 'qwen2.5-7b-instruct')).toBe(true);
  });

  it('a criteria file after its sessions updates the stored cases, once', async () => {
    await db.applyImport(await parse(['English.json']));
    const before = await criteriaByQuery();
    expect(Object.values(before).filter(Boolean)).toHaveLength(2);
    const bundles = await parse(['English_criteria.json']);
    expect(bundles.map((b) => b.format)).toEqual(['personaemp-criteria']);
    expect(await db.applyImport(bundles)).toEqual({ people: 0, conversations: 0, messages: 0, memories: 0, personas: 0, cases: 0, candidates: 0, criteria: 5 });
    expect(await criteriaByQuery()).toEqual(Object.fromEntries(written));
    // Same file again: nothing changes.
    expect((await db.applyImport(await parse(['English_criteria.json']))).criteria).toBe(0);
  });

  it('writes nothing when a case to update has gone since the preview', async () => {
    await db.applyImport(await parse(['English.json']));
    const criteria = await parse(['English_criteria.json']);
    const chat = await parsePastedText('User: I moved again.\nAssistant: How does it feel?');
    const gone = (await db.cases.toArray()).find((c) => c.queryId === 'english_2:0')!;
    await db.cases.delete(gone.id);
    const before = { cases: await db.cases.toArray(), people: await db.people.count(), messages: await db.countMessages() };
    await expect(db.applyImport([...chat.bundles, ...criteria])).rejects.toThrow('Case of session "english_2", query "english_2:0" is no longer in the library; nothing was imported');
    expect({ cases: await db.cases.toArray(), people: await db.people.count(), messages: await db.countMessages() }).toEqual(before);
  });
});
