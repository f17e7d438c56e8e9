// Messages stored in chunks (schema version 4): how messages are grouped, the upgrade of a
// version 3 library (one record per message), restoring a backup made by version 3, and imports
// that add to a conversation already stored or split one across transactions.
import 'fake-indexeddb/auto';
import Dexie, { liveQuery } from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { AttuneDB, STORES_V2 } from '../../src/store/db.ts';
import { CHUNK_MAX_CHARS, CHUNK_MAX_MESSAGES, messagesOfChunks, toMessageChunks } from '../../src/store/message-chunks.ts';
import { emptyBundle, type ImportBundle } from '../../src/domain/bundle.ts';
import type { Message } from '../../src/domain/records.ts';

// dexie-export-import expects `self` when it loads, and FileReader when it finalizes an export.
(globalThis as { self?: unknown }).self ??= globalThis;
(globalThis as { FileReader?: unknown }).FileReader ??= class {
  result: ArrayBuffer | null = null;
  onload: ((ev: { target: unknown }) => void) | null = null;
  onerror: ((ev: { target: { error: unknown } }) => void) | null = null;
  readAsArrayBuffer(blob: Blob) {
    blob.arrayBuffer().then((b) => { this.result = b; this.onload?.({ target: this }); }, (error) => this.onerror?.({ target: { error } }));
  }
};
const { exportDB } = await import('dexie-export-import');
const { importBackup, readBackup } = await import('../../src/store/backup.ts');

const T = 1_700_000_000_000;
const source = { format: 'sharegpt' as const, file: 'chat.json' };

function message(conversationId: string, index: number, text = `message ${index}`): Message {
  return { id: `msg_${conversationId}_${index}`, conversationId, personId: 'person_a', index, role: index % 2 ? 'assistant' : 'user', text, time: T + index };
}

/** A person (person_a unless told) with conversations of the given lengths (conv_0, conv_1, …). */
function bundle(lengths: number[], person = 'a'): ImportBundle {
  const b = emptyBundle('sharegpt', 'chat.json');
  const personId = `person_${person}`;
  const conv = (c: number) => (person === 'a' ? `conv_${c}` : `conv_${person}${c}`);
  b.people.push({ id: personId, name: `Person ${person}`, source, demo: false, createdAt: T });
  lengths.forEach((n, c) => {
    b.conversations.push({ id: conv(c), personId, title: `Chat ${c}`, startedAt: T, source, messageCount: n });
    for (let i = 0; i < n; i++) b.messages.push({ ...message(conv(c), i), personId });
  });
  return b;
}

const opened: Dexie[] = [];
let dbCount = 0;
function open<T extends Dexie>(db: T): T {
  opened.push(db);
  return db;
}
afterEach(async () => {
  for (const db of opened.splice(0)) {
    db.close();
    await Dexie.delete(db.name);
  }
});

/** A library as schema version 3 stored it: one record per message, and the import journal. */
function versionThree(name: string): Dexie {
  const v3 = new Dexie(name);
  v3.version(3).stores(STORES_V2);
  return open(v3);
}

async function fillVersionThree(v3: Dexie, lengths: number[]): Promise<ImportBundle> {
  const b = bundle(lengths);
  await v3.table('people').bulkAdd(b.people);
  await v3.table('conversations').bulkAdd(b.conversations);
  // Stored in an order unlike the conversations' (by id), as IndexedDB returns them.
  await v3.table('messages').bulkAdd([...b.messages].reverse());
  return b;
}

describe('message chunks', () => {
  it('groups messages by conversation within bounds, and gives them back as they were', () => {
    const long = Array.from({ length: CHUNK_MAX_MESSAGES + 5 }, (_, i) => message('conv_long', i));
    const wordy = Array.from({ length: 4 }, (_, i) => message('conv_wordy', i, 'x'.repeat(CHUNK_MAX_CHARS / 2 - 1)));
    const messages = [message('conv_short', 0), ...long, ...wordy, message('conv_short', 1)];
    const chunks = toMessageChunks(messages);
    expect(chunks.map((c) => [c.conversationId, c.messages.length])).toEqual([
      ['conv_short', 2], ['conv_long', CHUNK_MAX_MESSAGES], ['conv_long', 5], ['conv_wordy', 2], ['conv_wordy', 2],
    ]);
    for (const c of chunks) {
      expect(c.id).toBe(c.messages[0].id);
      expect(c.messageIds).toEqual(c.messages.map((m) => m.id));
      expect(c.messages[0]).not.toHaveProperty('conversationId');
    }
    const back = messagesOfChunks(chunks);
    expect(back).toHaveLength(messages.length);
    expect(back.filter((m) => m.conversationId === 'conv_long')).toEqual(long);
    expect(new Set(back.map((m) => m.id))).toEqual(new Set(messages.map((m) => m.id)));
  });
});

describe('upgrade from schema version 3', () => {
  it('moves every message into chunks, in order, and takes back an interrupted import', async () => {
    const name = `chunks-upgrade-${++dbCount}`;
    const v3 = versionThree(name);
    const b = await fillVersionThree(v3, [3, CHUNK_MAX_MESSAGES + 1]);
    // An import that never committed: a conversation and its message, named in the journal.
    await v3.table('conversations').add({ id: 'conv_half', personId: 'person_a', title: 'Half', startedAt: T, source, messageCount: 1 });
    await v3.table('messages').add(message('conv_half', 0));
    await v3.table('importJournal').bulkAdd([
      { importId: 'dead', table: 'conversations', ids: ['conv_half'] },
      { importId: 'dead', table: 'messages', ids: ['msg_conv_half_0'] },
    ]);
    v3.close();

    const db = open(new AttuneDB(name));
    await db.open();
    expect(db.verno).toBe(4);
    expect(db.tables.map((t) => t.name)).not.toContain('messages');
    expect(await db.listMessages('conv_0')).toEqual(b.messages.filter((m) => m.conversationId === 'conv_0'));
    expect(await db.listMessages('conv_1')).toEqual(b.messages.filter((m) => m.conversationId === 'conv_1'));
    expect(await db.messageChunks.where('conversationId').equals('conv_1').count()).toBe(2);
    expect(await db.countMessages()).toBe(b.messages.length);
    expect(await db.conversations.get('conv_half')).toBeUndefined();
    expect(await db.listMessages('conv_half')).toEqual([]);
    expect(await db.importJournal.count()).toBe(0);
    expect(await db.personCounts('person_a')).toEqual({ conversations: 2, messages: b.messages.length, cases: 0 });
  });
});

describe('backups', () => {
  it('restores a backup made by schema version 3 into chunks, counting its messages', async () => {
    const v3 = versionThree(`chunks-old-backup-${++dbCount}`);
    const b = await fillVersionThree(v3, [2, 5]);
    const blob = await exportDB(v3, { prettyJson: false, skipTables: ['importJournal'] });
    const file = JSON.parse(await blob.text());
    expect(file.data.databaseVersion).toBe(3);
    expect(file.data.data.map((t: { tableName: string }) => t.tableName)).toContain('messages');

    const db = open(new AttuneDB(`chunks-restore-${dbCount}`));
    await db.open();
    const checked = await readBackup(blob, db);
    expect(checked.counts).toMatchObject({ people: 1, conversations: 2, messages: 7 });
    await importBackup(blob, db);
    expect(await db.listMessages('conv_1')).toEqual(b.messages.filter((m) => m.conversationId === 'conv_1'));
    expect(await db.countMessages()).toBe(7);

    // A bad message in an old backup is named as the message it is.
    file.data.data.find((t: { tableName: string }) => t.tableName === 'messages').rows[0].role = 'system';
    await expect(readBackup(new Blob([JSON.stringify(file)]), db)).rejects.toThrow(/\(messages\)\): Invalid messages record "msg_conv_\d_\d" at role/);
    // A version 4 backup has no `messages` table.
    const current = JSON.parse(await (await (await import('../../src/store/backup.ts')).exportBackup(db)).text());
    current.data.data.find((t: { tableName: string }) => t.tableName === 'messageChunks').tableName = 'messages';
    await expect(readBackup(new Blob([JSON.stringify(current)]), db)).rejects.toThrow(/expected one of .*messageChunks.* \(schema version 4\), found "messages"/);
  });
});

describe('imports into chunks', () => {
  it('adds only the new messages of a conversation already stored', async () => {
    const db = open(new AttuneDB(`chunks-grown-${++dbCount}`));
    expect((await db.applyImport([bundle([3])])).messages).toBe(3);
    // A later export of the same conversation, two turns longer.
    const later = bundle([5]);
    expect(await db.applyImport([later])).toMatchObject({ conversations: 0, messages: 2 });
    expect(await db.listMessages('conv_0')).toEqual(later.messages);
    expect(await db.countMessages()).toBe(5);
  });

  it("leaves the live counts of another person unread while an import writes, however big its chunks", async () => {
    const db = open(new AttuneDB(`chunks-live-${++dbCount}`));
    await db.applyImport([bundle([2])]);
    let reads = 0;
    const seen: unknown[] = [];
    const subscription = liveQuery(() => { reads++; return db.personCounts('person_a'); }).subscribe((counts) => seen.push(counts));
    await expect.poll(() => seen.length).toBe(1);
    // 120 conversations in one transaction: Dexie would mark every key of the tables changed.
    await db.applyImport([bundle(Array(120).fill(3), 'b')]);
    await new Promise((r) => setTimeout(r, 100));
    subscription.unsubscribe();
    expect(seen).toEqual([{ conversations: 1, messages: 2, cases: 0 }]);
    expect(reads).toBe(1);
    expect(await db.personCounts('person_b')).toEqual({ conversations: 120, messages: 360, cases: 0 });
  });

  it('keeps a conversation whole when its messages are written in several transactions', async () => {
    const db = open(new AttuneDB(`chunks-split-${++dbCount}`));
    // 1,500 messages: the writer's transactions hold 1,000 records.
    const big = bundle([700, 800]);
    expect((await db.applyImport([big, bundle([700, 800])])).messages).toBe(1_500);
    expect(await db.listMessages('conv_1')).toEqual(big.messages.filter((m) => m.conversationId === 'conv_1'));
    expect(await db.countMessages()).toBe(1_500);
    expect(await db.messageChunks.count()).toBeLessThan(20);
  });
});
