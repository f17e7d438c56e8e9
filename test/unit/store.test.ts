import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttuneDB, StoreValidationError, TABLE_NAMES } from '../../src/store/db.ts';
import { emptyBundle, type ImportBundle } from '../../src/domain/bundle.ts';
import type { Candidate, Case, CriteriaSet, Judgment, Message, Run } from '../../src/domain/records.ts';
import { runHeader } from '../../src/method/run-header.ts';
import { PROTOCOLS } from '../../src/method/protocols.ts';

// dexie-export-import expects browser globals that Node lacks: `self` when it loads, and
// FileReader.readAsArrayBuffer when it finalizes an export.
(globalThis as { self?: unknown }).self ??= globalThis;
class NodeFileReader {
  result: ArrayBuffer | null = null;
  onload: ((ev: { target: NodeFileReader }) => void) | null = null;
  onerror: ((ev: { target: { error: unknown } }) => void) | null = null;
  onabort: (() => void) | null = null;
  readAsArrayBuffer(blob: Blob) {
    blob.arrayBuffer().then(
      (buffer) => { this.result = buffer; this.onload?.({ target: this }); },
      (error) => this.onerror?.({ target: { error } }),
    );
  }
}
(globalThis as { FileReader?: unknown }).FileReader ??= NodeFileReader;
const { exportBackup, importBackup, readBackup, countRecords, BackupError } = await import('../../src/store/backup.ts');

let db: AttuneDB;
let dbCount = 0;
beforeEach(async () => {
  db = new AttuneDB(`store-test-${++dbCount}`);
  await db.open();
});
afterEach(async () => {
  await db.delete();
});

const T = 1_700_000_000_000;

/** A person with one conversation of `n` messages, a memory, a persona, a case and a candidate. */
function personBundle(p: string, n = 3, file = `${p}.json`): ImportBundle {
  const b = emptyBundle('sharegpt', file);
  const source = { format: 'sharegpt' as const, file };
  b.people.push({ id: `person_${p}`, name: `Person ${p}`, source, demo: false, createdAt: T });
  b.conversations.push({ id: `conv_${p}`, personId: `person_${p}`, title: `Chat of ${p}`, startedAt: T, source, messageCount: n });
  for (let i = n - 1; i >= 0; i--) {
    b.messages.push({ id: `msg_${p}_${i}`, conversationId: `conv_${p}`, personId: `person_${p}`, index: i, role: i % 2 ? 'assistant' : 'user', text: `message ${i}`, time: T + i * 1000 });
  }
  b.memories.push({ id: `mem_${p}`, personId: `person_${p}`, label: 'social relationships', value: 'has a sister', evidence: [], origin: 'imported', updatedAt: T });
  b.personas.push({ id: `persona_${p}`, personId: `person_${p}`, version: 1, profile: 'kind', topics: [], isDeep: false, gateReason: '', origin: 'imported', createdAt: T });
  // An optional field present but undefined, as importers may write it.
  b.cases.push({ id: `case_${p}`, personId: `person_${p}`, query: 'I feel low', category: 'ES', scenario: undefined, relevantMemoryIds: [], source, createdAt: T });
  b.candidates.push({ id: `cand_${p}`, caseId: `case_${p}`, personId: `person_${p}`, text: 'That sounds hard.', source: 'import', label: null, createdAt: T });
  return b;
}

const criteria = (p: string): CriteriaSet => ({ id: `crit_${p}`, caseId: `case_${p}`, dimension: 'resonation', source: 'derived', items: [{ name: 'warmth', weight: 100, description: 'is warm' }], renormalized: false, edited: false, model: 'm', createdAt: T });
const judgment = (p: string): Judgment => ({ id: `judg_${p}`, runId: 'run_1', caseId: `case_${p}`, candidateId: `cand_${p}`, kind: 'resonation', mode: 'fixed', trial: 0, model: 'm', seed: 1, status: 'ok', score: 4, raw: '{}', attempts: 1, flags: [], usage: { promptTokens: 1, completionTokens: 1 }, createdAt: T });
const run = (caseIds: string[]): Run => ({ id: 'run_1', name: 'batch', status: 'done', header: runHeader({ settings: PROTOCOLS.default.settings, engine: { kind: 'openai', model: 'm', contextWindow: 4096, constrainedJson: false, logprobs: false }, data: [], startedAt: new Date(T) }), caseIds, done: 2, total: 2, failures: 0, createdAt: T, updatedAt: T });

async function snapshot(store: AttuneDB) {
  const out: Record<string, unknown[]> = {};
  for (const name of TABLE_NAMES) out[name] = await store.table(name).toArray();
  return out;
}

describe('validation', () => {
  it('rejects an invalid record, naming table, id and zod path', async () => {
    const bad = { id: 'msg_bad', conversationId: 'c', personId: 'p', index: -1, role: 'user', text: 'x', time: null } as Message;
    const error = await db.addMessages([bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreValidationError);
    const v = error as StoreValidationError;
    // Messages are stored in chunks: the chunk's id is its first message's.
    expect([v.table, v.recordId, v.path]).toEqual(['messageChunks', 'msg_bad', 'messages.0.index']);
    expect(v.message).toContain('messageChunks');
    expect(await db.countMessages()).toBe(0);
  });

  it('refuses a chunk whose message ids disagree with its messages', async () => {
    const chunk = { id: 'msg_1', conversationId: 'c', personId: 'p', messageIds: ['msg_1', 'msg_other'], messages: [
      { id: 'msg_1', index: 0, role: 'user', text: 'a', time: null }, { id: 'msg_2', index: 1, role: 'assistant', text: 'b', time: null },
    ] } as const;
    await expect(db.messageChunks.add(structuredClone(chunk) as never)).rejects.toThrow(/messageChunks record "msg_1" at messageIds/);
  });

  it('validates writes that bypass the helpers (direct put, update, modify)', async () => {
    await expect(db.table('cases').put({ id: 'case_x', personId: 'p', query: '', category: 'ES' } as Case)).rejects.toThrow(/cases record "case_x" at query/);
    await db.applyImport([personBundle('a')]);
    await expect(db.cases.update('case_a', { category: 'XX' as Case['category'] })).rejects.toThrow(StoreValidationError);
    await expect(db.candidates.toCollection().modify((c) => { (c as { text: unknown }).text = 7; })).rejects.toThrow();
    expect((await db.cases.get('case_a'))?.category).toBe('ES');
    expect((await db.candidates.get('cand_a'))?.text).toBe('That sounds hard.');
  });

  it('applies schema defaults on write', async () => {
    const c = { id: 'cand_d', caseId: 'case', personId: 'p', text: 't', source: 'paste', createdAt: T } as Candidate;
    await db.putRecord('candidates', c);
    expect((await db.getRecord('candidates', 'cand_d'))?.label).toBeNull();
  });
});

describe('applyImport', () => {
  it('adds everything once and nothing on a second import of the same content', async () => {
    const first = await db.applyImport([personBundle('a'), personBundle('b', 4)]);
    expect(first).toEqual({ people: 2, conversations: 2, messages: 7, memories: 2, personas: 2, cases: 2, candidates: 2, criteria: 0 });
    const again = await db.applyImport([personBundle('a'), personBundle('b', 4)]);
    expect(again).toEqual({ people: 0, conversations: 0, messages: 0, memories: 0, personas: 0, cases: 0, candidates: 0, criteria: 0 });
    expect(await db.countMessages()).toBe(7);
    expect(await db.messageChunks.count()).toBe(2);
  });

  it('counts records repeated across bundles once', async () => {
    const added = await db.applyImport([personBundle('a', 2, 'one.json'), personBundle('a', 2, 'two.json')]);
    expect(added.people).toBe(1);
    expect(added.messages).toBe(2);
  });

  it('leaves the store unchanged when any record is invalid', async () => {
    await db.applyImport([personBundle('a')]);
    const before = await snapshot(db);
    const broken = personBundle('b');
    broken.candidates[0] = { ...broken.candidates[0], source: 'nowhere' as Candidate['source'] };
    await expect(db.applyImport([personBundle('c'), broken])).rejects.toThrow(/candidates record "cand_b" at source/);
    expect(await snapshot(db)).toEqual(before);
  });

  it('refuses a message whose person and conversation exist neither in the file nor in the store', async () => {
    await db.applyImport([personBundle('a')]);
    const before = await snapshot(db);
    const orphan = personBundle('b');
    orphan.messages[0] = { ...orphan.messages[0], conversationId: 'conv_nowhere' };
    await expect(db.applyImport([orphan])).rejects.toThrow('messageChunks record "msg_b_2": conversationId "conv_nowhere" names no record in conversations');
    const noPerson = personBundle('c');
    noPerson.people = [];
    await expect(db.applyImport([noPerson])).rejects.toThrow(/record "conv_c": personId "person_c" names no record in people/);
    expect(await snapshot(db)).toEqual(before);
  });

  it('accepts references to records already in the store', async () => {
    await db.applyImport([personBundle('a')]);
    const more = emptyBundle('csv', 'more.csv');
    more.candidates.push({ ...personBundle('a').candidates[0], id: 'cand_a2', text: 'Another reply.' });
    expect((await db.applyImport([more])).candidates).toBe(1);
  });
});

describe('queries', () => {
  it('lists messages of a conversation in order and conversations by person', async () => {
    await db.applyImport([personBundle('a', 5), personBundle('b', 2)]);
    expect((await db.listMessages('conv_a')).map((m) => m.index)).toEqual([0, 1, 2, 3, 4]);
    expect((await db.listConversations('person_b')).map((c) => c.id)).toEqual(['conv_b']);
    expect((await db.listCandidates('case_a')).map((c) => c.id)).toEqual(['cand_a']);
    expect((await db.listPeople()).map((p) => p.name)).toEqual(['Person a', 'Person b']);
    expect(await db.personCounts('person_a')).toEqual({ conversations: 1, messages: 5, cases: 1 });
    expect((await db.listPersonMessages('person_b')).map((m) => m.id)).toEqual(['msg_b_0', 'msg_b_1']);
    const found = await db.getMessages(['msg_a_3', 'msg_b_0', 'msg_nowhere']);
    expect([...found.keys()].sort()).toEqual(['msg_a_3', 'msg_b_0']);
    expect(found.get('msg_a_3')).toEqual({ id: 'msg_a_3', conversationId: 'conv_a', personId: 'person_a', index: 3, role: 'assistant', text: 'message 3', time: T + 3000 });
  });

  it('returns the highest persona version as current', async () => {
    await db.applyImport([personBundle('a')]);
    await db.putRecord('personas', { id: 'persona_a2', personId: 'person_a', version: 2, profile: 'newer', topics: [], isDeep: true, gateReason: '', origin: 'manual', createdAt: T });
    expect((await db.currentPersona('person_a'))?.profile).toBe('newer');
  });
});

describe('people and settings', () => {
  it('deletes a person and everything that belongs to them, and nothing else', async () => {
    await db.applyImport([personBundle('a'), personBundle('b')]);
    await db.putRecords('criteria', [criteria('a'), criteria('b')]);
    await db.putRecords('judgments', [judgment('a'), judgment('b')]);
    await db.putRecord('runs', run(['case_a', 'case_b']));

    await db.deletePerson('person_a');

    const left = await snapshot(db);
    for (const name of ['people', 'conversations', 'messageChunks', 'memories', 'personas', 'cases', 'candidates', 'criteria', 'judgments'] as const) {
      expect(left[name].length, name).toBeGreaterThan(0);
      expect(JSON.stringify(left[name]), name).not.toMatch(/_a\b|_a_/);
    }
    expect((await db.runs.get('run_1'))?.caseIds).toEqual(['case_b']);
    expect(await db.countMessages()).toBe(3);
  });

  it('renames a person and refuses an empty name or an unknown person', async () => {
    await db.applyImport([personBundle('a')]);
    await db.renamePerson('person_a', '  Alice ');
    expect((await db.people.get('person_a'))?.name).toBe('Alice');
    await expect(db.renamePerson('person_a', '   ')).rejects.toThrow(/empty/);
    await expect(db.renamePerson('person_zz', 'Bob')).rejects.toThrow(/No person/);
  });

  it('stores settings', async () => {
    expect(await db.getSetting('theme', 'light')).toBe('light');
    await db.setSetting('theme', 'dark');
    await db.setSetting('engine', { kind: 'webllm', model: 'x' });
    expect(await db.getSetting('theme', 'light')).toBe('dark');
    expect(await db.getSetting('engine', null)).toEqual({ kind: 'webllm', model: 'x' });
  });
});

describe('backup', () => {
  async function filled(): Promise<AttuneDB> {
    await db.applyImport([personBundle('a'), personBundle('b', 6)]);
    await db.putRecords('criteria', [criteria('a')]);
    await db.putRecords('judgments', [judgment('a')]);
    await db.putRecord('runs', run(['case_a']));
    await db.setSetting('theme', 'dark');
    return db;
  }

  it('round-trips the whole store through one file', async () => {
    const source = await filled();
    const blob = await exportBackup(source);
    const other = new AttuneDB(`store-test-restore-${dbCount}`);
    await other.applyImport([personBundle('z')]); // restore replaces what was there
    await importBackup(blob, other);
    expect(await snapshot(other)).toEqual(await snapshot(source));
    expect(Object.keys((await other.cases.get('case_a'))!)).not.toContain('scenario');
    await other.delete();
  });

  it('refuses a bad file and leaves the store unchanged', async () => {
    const store = await filled();
    const before = await snapshot(store);
    const good = JSON.parse(await (await exportBackup(store)).text());

    const badRecord = structuredClone(good);
    const chunks = badRecord.data.data.find((t: { tableName: string }) => t.tableName === 'messageChunks');
    chunks.rows[1].messages[2].role = 'system';
    await expect(importBackup(new Blob([JSON.stringify(badRecord)]), store)).rejects.toThrow(/messageChunks record "msg_\w+" at messages.2.role/);

    // One message in two chunks.
    const twice = structuredClone(good);
    const twiceRows = twice.data.data.find((t: { tableName: string }) => t.tableName === 'messageChunks').rows;
    const copy = { ...twiceRows[1], id: 'msg_b_copy', messageIds: ['msg_b_copy', twiceRows[1].messageIds[1]], messages: [{ ...twiceRows[1].messages[0], id: 'msg_b_copy' }, twiceRows[1].messages[1]] };
    twiceRows.push(copy);
    twice.data.tables.find((t: { name: string }) => t.name === 'messageChunks').rowCount++;
    await expect(importBackup(new Blob([JSON.stringify(twice)]), store)).rejects.toThrow(`message "${copy.messageIds[1]}" appears twice`);

    const unknownTable = structuredClone(good);
    unknownTable.data.data[0].tableName = 'secrets';
    await expect(importBackup(new Blob([JSON.stringify(unknownTable)]), store)).rejects.toThrow(BackupError);

    // Valid records but a duplicate key: the write fails after the tables were cleared.
    const duplicate = structuredClone(good);
    const people = duplicate.data.data.find((t: { tableName: string }) => t.tableName === 'people');
    people.rows.push(people.rows[0]);
    await expect(importBackup(new Blob([JSON.stringify(duplicate)]), store)).rejects.toThrow();

    await expect(importBackup(new Blob(['{"formatName":"dexie", "data": ']), store)).rejects.toThrow(/expected JSON/);
    await expect(importBackup(new Blob(['{"hello": 1}']), store)).rejects.toThrow(/formatName/);

    // Only the people table: the rest was cut out.
    const partial = structuredClone(good);
    partial.data.data = partial.data.data.filter((t: { tableName: string }) => t.tableName === 'people');
    await expect(importBackup(new Blob([JSON.stringify(partial)]), store)).rejects.toThrow(
      /tables conversations, messageChunks, memories, personas, cases, candidates, criteria, judgments, runs, settings missing/);

    // Rows cut from a table whose header still counts them.
    const cut = structuredClone(good);
    cut.data.data.find((t: { tableName: string }) => t.tableName === 'messageChunks').rows.splice(1);
    await expect(importBackup(new Blob([JSON.stringify(cut)]), store)).rejects.toThrow(/\(messageChunks\)\): the header says 2 rows, the file holds 1/);

    // Every table present and empty, headers agreeing.
    const empty = structuredClone(good);
    for (const t of empty.data.data) t.rows = [];
    for (const t of empty.data.tables) t.rowCount = 0;
    await expect(importBackup(new Blob([JSON.stringify(empty)]), store)).rejects.toThrow(/every table is empty/);

    // A message whose person and conversation are not in the backup.
    const dangling = structuredClone(good);
    const rows = dangling.data.data.find((t: { tableName: string }) => t.tableName === 'messageChunks').rows;
    rows[0] = { ...rows[0], personId: 'person_gone', conversationId: 'conv_gone' };
    await expect(importBackup(new Blob([JSON.stringify(dangling)]), store)).rejects.toThrow(/messageChunks record "msg_\w+": personId "person_gone" names no record in people/);

    // A judgment of a candidate that is not there.
    const noCandidate = structuredClone(good);
    const candidates = noCandidate.data.data.find((t: { tableName: string }) => t.tableName === 'candidates');
    candidates.rows = candidates.rows.filter((c: { id: string }) => c.id !== 'cand_a');
    noCandidate.data.tables.find((t: { name: string }) => t.name === 'candidates').rowCount = candidates.rows.length;
    await expect(importBackup(new Blob([JSON.stringify(noCandidate)]), store)).rejects.toThrow(/judgments record "judg_a": candidateId "cand_a"/);


    expect(await snapshot(store)).toEqual(before);
  });
});

describe('restore checks', () => {
  it('reads a backup into counts without touching the store, and restores a trusted empty copy', async () => {
    await db.applyImport([personBundle('a')]);
    const copy = await exportBackup(db);
    const checked = await readBackup(copy, db);
    expect(checked.counts).toEqual(await countRecords(db));
    expect(checked.counts.messages).toBe(3);

    const emptyStore = new AttuneDB(`store-test-empty-${dbCount}`);
    const emptyCopy = await exportBackup(emptyStore);
    await expect(importBackup(emptyCopy, db)).rejects.toThrow(/every table is empty/);
    // The app's own safety copy of an empty library restores: that is what the library was.
    await importBackup(emptyCopy, db, { trusted: true });
    expect(await db.people.count()).toBe(0);
    await emptyStore.delete();
  });

  it('deleting a candidate deletes its judgments, so the library stays restorable', async () => {
    await db.applyImport([personBundle('a')]);
    await db.putRecords('judgments', [judgment('a')]);
    await db.deleteCandidate('cand_a');
    expect(await db.judgments.count()).toBe(0);
    await expect(readBackup(await exportBackup(db), db)).resolves.toBeTruthy();
  });
});
