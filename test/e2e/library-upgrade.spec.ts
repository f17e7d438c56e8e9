// A library stored by schema version 3 (one IndexedDB record per message), opened by this
// version in real Chromium: its messages move into chunks, an import it left half done is taken
// back, and the Library reads the conversation as before.
import { expect, test } from './library-net.ts';

/** The object stores and indexes of schema version 3, as Dexie created them (IndexedDB version 30). */
const V3_STORES: Record<string, { key: string; auto?: boolean; indexes: string[] }> = {
  people: { key: 'id', indexes: ['name', 'createdAt'] },
  conversations: { key: 'id', indexes: ['personId', '[personId+startedAt]', 'startedAt'] },
  messages: { key: 'id', indexes: ['[conversationId+index]', 'conversationId', 'personId', 'time'] },
  memories: { key: 'id', indexes: ['personId', 'label'] },
  personas: { key: 'id', indexes: ['personId', '[personId+version]'] },
  cases: { key: 'id', indexes: ['personId', 'category', 'createdAt'] },
  candidates: { key: 'id', indexes: ['caseId', 'personId'] },
  criteria: { key: 'id', indexes: ['caseId', '[caseId+dimension]'] },
  judgments: { key: 'id', indexes: ['caseId', 'candidateId', 'runId'] },
  runs: { key: 'id', indexes: ['status', 'createdAt'] },
  settings: { key: 'key', indexes: [] },
  importJournal: { key: 'seq', auto: true, indexes: ['importId'] },
};

const T = 1_700_000_000_000;
const source = { format: 'sharegpt', file: 'old.json' };
const TURNS = ['I moved to a new city and know nobody.', 'That sounds lonely. What do you miss most?', 'Sunday dinners with my sister.'];

test('a version 3 library is upgraded to message chunks and reads as before', async ({ page }) => {
  // A page of the app's origin that does not start the app, to write the old database first.
  await page.goto('/manifest.webmanifest');
  await page.evaluate(async ({ stores, T, source, turns }) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('attune', 30);
      request.onupgradeneeded = () => {
        for (const [name, { key, auto, indexes }] of Object.entries(stores)) {
          const store = request.result.createObjectStore(name, { keyPath: key, autoIncrement: auto ?? false });
          for (const index of indexes) {
            store.createIndex(index, index.startsWith('[') ? index.slice(1, -1).split('+') : index);
          }
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const tx = db.transaction(['people', 'conversations', 'messages', 'importJournal', 'settings'], 'readwrite');
    tx.objectStore('settings').put({ key: 'demo.removed', value: true });
    tx.objectStore('people').put({ id: 'person_old', name: 'Old Friend', source, demo: false, createdAt: T });
    tx.objectStore('conversations').put({ id: 'conv_old', personId: 'person_old', title: 'Moving', startedAt: T, source, messageCount: turns.length });
    // Stored in reverse, as ids need not follow the conversation's order.
    turns.map((text, index) => ({ id: `msg_old_${index}`, conversationId: 'conv_old', personId: 'person_old', index, role: index % 2 ? 'assistant' : 'user', text, time: T + index }))
      .reverse().forEach((m) => tx.objectStore('messages').put(m));
    // An import that never committed: its conversation and message are in the journal.
    tx.objectStore('conversations').put({ id: 'conv_half', personId: 'person_old', title: 'Half written', startedAt: T, source, messageCount: 1 });
    tx.objectStore('messages').put({ id: 'msg_half', conversationId: 'conv_half', personId: 'person_old', index: 0, role: 'user', text: 'half', time: T });
    tx.objectStore('importJournal').add({ importId: 'dead', table: 'conversations', ids: ['conv_half'] });
    tx.objectStore('importJournal').add({ importId: 'dead', table: 'messages', ids: ['msg_half'] });
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
    db.close();
  }, { stores: V3_STORES, T, source, turns: TURNS });

  await page.goto('/#/library');
  const person = page.getByRole('list', { name: 'People' }).getByRole('button', { name: 'Old Friend', exact: true });
  await person.click();
  await expect(page.getByRole('list', { name: 'People' }).getByText('1 conversations · 3 messages')).toBeVisible();
  const conversations = page.getByRole('list', { name: 'Conversations of Old Friend' });
  await expect(conversations.getByRole('listitem')).toHaveCount(1);
  await conversations.getByRole('listitem').getByRole('button').click();
  await expect(page.getByRole('list', { name: 'Messages' }).locator(':scope > li')).toHaveText(TURNS.map((t) => new RegExp(t)));

  const stored = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('attune');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const count = (store: string) => new Promise<number>((resolve) => {
      const q = db.transaction(store).objectStore(store).count();
      q.onsuccess = () => resolve(q.result);
    });
    const result = {
      version: db.version, stores: [...db.objectStoreNames],
      chunks: await count('messageChunks'), conversations: await count('conversations'), journal: await count('importJournal'),
    };
    db.close();
    return result;
  });
  expect(stored.version).toBe(40);
  expect(stored.stores).not.toContain('messages');
  expect(stored).toMatchObject({ chunks: 1, conversations: 1, journal: 0 });
});
