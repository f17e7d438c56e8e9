// The one local store: a Dexie (IndexedDB) database. Every record that enters it, by whatever
// path (put helpers, applyImport, a restored backup, a direct `db.table.put`), passes a DBCore
// middleware that validates it with the zod schema of its table, so nothing unchecked is stored.
import Dexie, { type DBCore, type DBCoreMutateRequest, type Table, type Transaction } from 'dexie';
import type { z } from 'zod';
import {
  Candidate, Case, Conversation, CriteriaSet, Judgment, Memory, Message, MessageChunk, Person, Persona, Run,
  Setting,
} from '../domain/records.ts';
import type { CaseCriteria, ImportBundle } from '../domain/bundle.ts';
import { runWithHeader } from './migrations.ts';
import { stableStringify } from '../lib/hash.ts';
import { DanglingReferenceError, REFERENCES, findDanglingReference } from './references.ts';
import { messagesOfChunks, toMessageChunks } from './message-chunks.ts';

export const schemas = {
  people: Person,
  conversations: Conversation,
  messageChunks: MessageChunk,
  memories: Memory,
  personas: Persona,
  cases: Case,
  candidates: Candidate,
  criteria: CriteriaSet,
  judgments: Judgment,
  runs: Run,
  settings: Setting,
} as const;
export type TableName = keyof typeof schemas;
export type RecordOf<T extends TableName> = z.infer<(typeof schemas)[T]>;
export const TABLE_NAMES = Object.keys(schemas) as TableName[];

/** Kinds of records an import brings, in the order the bundle lists them. */
const IMPORT_KINDS = [
  'people', 'conversations', 'messages', 'memories', 'personas', 'cases', 'candidates',
] as const satisfies readonly (keyof ImportBundle)[];
export type ImportKind = (typeof IMPORT_KINDS)[number];
/** The table each kind is stored in: messages go into chunks (see message-chunks.ts). */
const TABLE_OF_KIND = {
  people: 'people', conversations: 'conversations', messages: 'messageChunks', memories: 'memories',
  personas: 'personas', cases: 'cases', candidates: 'candidates',
} as const satisfies Record<ImportKind, TableName>;
type ImportTable = (typeof TABLE_OF_KIND)[ImportKind];
const IMPORT_TABLES = IMPORT_KINDS.map((kind) => TABLE_OF_KIND[kind]);
/** Records added per kind (messages, not their chunks), and `criteria`: cases whose reference criteria a criteria file changed. */
export type ImportAdded = Record<ImportKind | 'criteria', number>;

/**
 * One chunk of an import not yet committed: the ids it added to one table. An import writes in
 * many small transactions (one big one held every record in memory twice and took seconds to
 * commit); these rows say what to take back if it never commits: the tab closed, the worker was
 * killed, the user cancelled. Committing deletes them. Not a domain record: not validated and
 * not part of backups.
 */
export interface ImportJournalRow { seq?: number; importId: string; table: ImportTable; ids: string[] }

/** An import in progress holds this Web Lock (name + import id) until it commits or dies. */
const IMPORT_LOCK_PREFIX = 'attune-import:';

/**
 * Runs an import holding its lock, so that no other tab (or this one, on a cancel) sweeps it as
 * abandoned meanwhile. Where Web Locks do not exist (Node) there is only ever this one process.
 */
export function holdingImportLock<T>(importId: string, task: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? locks.request(IMPORT_LOCK_PREFIX + importId, task) : task();
}

/** A record failed its schema: names the table, the record's id and the zod path. */
export class StoreValidationError extends Error {
  constructor(
    readonly table: string,
    readonly recordId: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`Invalid ${table} record "${recordId}" at ${path || '(root)'}: ${detail}`);
    this.name = 'StoreValidationError';
  }
}

function recordId(value: unknown): string {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.id === 'string') return v.id;
    if (typeof v.key === 'string') return v.key;
  }
  return '(no id)';
}

/**
 * Drops keys whose value is undefined (zod keeps an optional key that was present but undefined).
 * IndexedDB would store them, and a backup would then carry them as special-cased values.
 */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutUndefined(v);
  return out;
}

/** Parses one record against its table's schema (defaults applied, unknown keys dropped). */
export function validateRecord<T extends TableName>(table: T, value: unknown): RecordOf<T> {
  const schema = schemas[table];
  if (!schema) throw new Error(`Unknown table "${table}"`);
  const result = schema.safeParse(value);
  if (result.success) return withoutUndefined(result.data) as RecordOf<T>;
  const issue = result.error.issues[0];
  throw new StoreValidationError(table, recordId(value), issue.path.join('.'), issue.message);
}

const validation = {
  stack: 'dbcore' as const,
  name: 'zod-validation',
  create(down: DBCore): DBCore {
    return {
      ...down,
      table(name: string) {
        const table = down.table(name);
        if (!(name in schemas)) return table;
        return {
          ...table,
          mutate(req: DBCoreMutateRequest) {
            if (req.type === 'add' || req.type === 'put') {
              const values = req.values.map((v) => validateRecord(name as TableName, v));
              return table.mutate({ ...req, values } as DBCoreMutateRequest);
            }
            return table.mutate(req);
          },
        };
      },
    };
  },
};

/** The object stores and indexes of schema version 1 (version 2 adds the import journal). */
const STORES_V1 = {
  people: 'id, name, createdAt',
  conversations: 'id, personId, [personId+startedAt], startedAt',
  messages: 'id, [conversationId+index], conversationId, personId, time',
  memories: 'id, personId, label',
  personas: 'id, personId, [personId+version]',
  cases: 'id, personId, category, createdAt',
  candidates: 'id, caseId, personId',
  criteria: 'id, caseId, [caseId+dimension]',
  judgments: 'id, caseId, candidateId, runId',
  runs: 'id, status, createdAt',
  settings: 'key',
};

/** Version 2's stores: version 1's and the import journal. Version 3 kept them; version 4 chunks the messages. */
export const STORES_V2 = { ...STORES_V1, importJournal: '++seq, importId' };

export class AttuneDB extends Dexie {
  people!: Table<Person, string>;
  conversations!: Table<Conversation, string>;
  messageChunks!: Table<MessageChunk, string>;
  memories!: Table<Memory, string>;
  personas!: Table<Persona, string>;
  cases!: Table<Case, string>;
  candidates!: Table<Candidate, string>;
  criteria!: Table<CriteriaSet, string>;
  judgments!: Table<Judgment, string>;
  runs!: Table<Run, string>;
  settings!: Table<Setting, string>;
  importJournal!: Table<ImportJournalRow, number>;

  constructor(name = 'attune') {
    super(name);
    // Schema versions only ever add: each one lists its full store set (a later one spreads the
    // earlier set and adds to it) and, when data must change shape, an upgrade function.
    this.version(1).stores(STORES_V1);
    this.version(2).stores(STORES_V2);
    // Runs carry a run header (protocol and every setting) instead of a few settings; the stores stay as in version 2.
    this.version(3).upgrade((tx) => tx.table('runs').toCollection().modify((run, ref) => {
      if (!('header' in run)) ref.value = runWithHeader(run);
    }));
    // Messages are stored in chunks, one record per run of a conversation's messages (an
    // import's writes are ~10× fewer); `messageIds` is indexed to find a message by its id.
    this.version(4).stores({ ...STORES_V2, messages: null, messageChunks: 'id, conversationId, personId, *messageIds' })
      .upgrade((tx) => chunkStoredMessages(tx));
    this.use(validation);
    // Before anything reads the store, take back what an interrupted import left (Dexie holds
    // every other query until this resolves; the argument is the connection usable meanwhile).
    this.on('ready', (vip) => sweepAbandonedImports(vip as AttuneDB));
  }

  table<T extends TableName>(name: T): Table<RecordOf<T>, string>;
  table(name: string): Table;
  table(name: string): Table {
    return super.table(name);
  }

  // ---- typed writes (validated by the middleware) and reads ----

  async putRecord<T extends TableName>(table: T, record: RecordOf<T>): Promise<string> {
    return this.table(table).put(record);
  }

  async putRecords<T extends TableName>(table: T, records: RecordOf<T>[]): Promise<void> {
    await this.table(table).bulkPut(records);
  }

  async getRecord<T extends TableName>(table: T, id: string): Promise<RecordOf<T> | undefined> {
    return this.table(table).get(id);
  }

  /**
   * Writes every record of the bundles, skipping ids already stored (ids are content hashes, so
   * the same file imported twice adds nothing), all or nothing: any invalid record, or a
   * reference that names a record neither in the import nor in the store (DanglingReferenceError),
   * takes back what was written and leaves the store unchanged. Returns how many records were added.
   */
  async applyImport(bundles: ImportBundle[]): Promise<ImportAdded> {
    const importId = crypto.randomUUID();
    return holdingImportLock(importId, async () => {
      const writer = this.beginImport(importId);
      try {
        for (const bundle of bundles) await writer.write(bundle);
        return await writer.commit();
      } catch (error) {
        await writer.rollback();
        throw error;
      }
    });
  }

  /** Starts an import written in chunks (see ImportWriter); `importId` names its journal rows. */
  beginImport(importId: string): ImportWriter {
    return new ImportWriter(this, importId);
  }

  /** Takes back every import that was neither committed nor is still running (see ImportJournalRow). */
  sweepAbandonedImports(): Promise<number> {
    return sweepAbandonedImports(this);
  }

  /**
   * Sets the reference criteria of stored cases (a criteria file's update). Every case must exist:
   * one that does not fails the whole transaction it runs in. Returns how many cases changed.
   * Called by ImportWriter.commit, so that it is part of the import's last transaction.
   */
  async attachReferenceCriteria(updates: CaseCriteria[]): Promise<number> {
    if (updates.length === 0) return 0;
    const cases = await this.cases.bulkGet(updates.map((u) => u.caseId));
    const changed: Case[] = [];
    updates.forEach((u, i) => {
      const stored = cases[i];
      if (!stored) throw new Error(`Case of session "${u.sessionId}", query "${u.queryId}" is no longer in the library; nothing was imported`);
      if (stableStringify(stored.referenceCriteria ?? null) !== stableStringify(u.referenceCriteria)) changed.push({ ...stored, referenceCriteria: u.referenceCriteria });
    });
    await this.cases.bulkPut(changed);
    return changed.length;
  }

  /** Stored cases of these PersonaEmp sessions (by `session_id`), for attaching a criteria file to them. */
  casesOfSessions(sessionIds: string[]): Promise<Case[]> {
    const wanted = new Set(sessionIds);
    return this.cases.filter((c) => c.sessionId !== undefined && wanted.has(c.sessionId)).toArray();
  }

  /** Deletes a person and everything that belongs to them, in one transaction. */
  async deletePerson(personId: string): Promise<void> {
    await this.transaction('rw', this.tables, async () => {
      const caseIds = await this.cases.where('personId').equals(personId).primaryKeys();
      await Promise.all([
        this.messageChunks.where('personId').equals(personId).delete(),
        this.conversations.where('personId').equals(personId).delete(),
        this.memories.where('personId').equals(personId).delete(),
        this.personas.where('personId').equals(personId).delete(),
        this.candidates.where('personId').equals(personId).delete(),
        this.criteria.where('caseId').anyOf(caseIds).delete(),
        this.judgments.where('caseId').anyOf(caseIds).delete(),
        this.cases.where('personId').equals(personId).delete(),
      ]);
      // Batch runs span people: keep the run, drop the deleted cases from it.
      const gone = new Set(caseIds);
      await this.runs
        .filter((run) => run.caseIds.some((id) => gone.has(id)))
        .modify((run) => {
          run.caseIds = run.caseIds.filter((id) => !gone.has(id));
        });
      await this.people.delete(personId);
    });
  }

  /** Deletes a candidate reply and its judgments (which would otherwise name a reply that is gone). */
  async deleteCandidate(candidateId: string): Promise<void> {
    await this.transaction('rw', this.candidates, this.judgments, async () => {
      await this.judgments.where('candidateId').equals(candidateId).delete();
      await this.candidates.delete(candidateId);
    });
  }

  async renamePerson(personId: string, name: string): Promise<void> {
    const trimmed = name.trim();
    if (!trimmed) throw new Error('A name cannot be empty');
    const changed = await this.people.update(personId, { name: trimmed });
    if (changed === 0) throw new Error(`No person with id "${personId}"`);
  }

  async getSetting<T>(key: string, fallback: T): Promise<T> {
    const row = await this.settings.get(key);
    return row === undefined ? fallback : (row.value as T);
  }

  async setSetting(key: string, value: unknown): Promise<void> {
    await this.settings.put({ key, value });
  }

  // ---- list queries: plain promises, so they work inside Dexie's liveQuery ----

  listPeople(): Promise<Person[]> {
    return this.people.orderBy('name').toArray();
  }

  async listConversations(personId: string): Promise<Conversation[]> {
    const list = await this.conversations.where('personId').equals(personId).toArray();
    return list.sort((a, b) => (a.startedAt ?? Infinity) - (b.startedAt ?? Infinity) || a.title.localeCompare(b.title));
  }

  /** A conversation's messages in order. */
  async listMessages(conversationId: string): Promise<Message[]> {
    return messagesOfChunks(await this.messageChunks.where('conversationId').equals(conversationId).toArray());
  }

  /** Every message of a person, conversation by conversation. */
  async listPersonMessages(personId: string): Promise<Message[]> {
    return messagesOfChunks(await this.messageChunks.where('personId').equals(personId).toArray());
  }

  /** The stored messages among these ids (those not stored are left out), by id. */
  async getMessages(ids: readonly string[]): Promise<Map<string, Message>> {
    const wanted = new Set(ids);
    const chunks = new Map((await this.messageChunks.where('messageIds').anyOf([...wanted]).toArray()).map((c) => [c.id, c]));
    return new Map(messagesOfChunks([...chunks.values()]).filter((m) => wanted.has(m.id)).map((m) => [m.id, m]));
  }

  /** Stores messages (in chunks), validated; for messages that come apart from an import. */
  async addMessages(messages: readonly Message[]): Promise<void> {
    await this.messageChunks.bulkAdd(toMessageChunks(messages));
  }

  /** How many messages the store holds (one index entry per message). */
  countMessages(): Promise<number> {
    return this.messageChunks.orderBy('messageIds').count();
  }

  listMemories(personId: string): Promise<Memory[]> {
    return this.memories.where('personId').equals(personId).toArray();
  }

  async currentPersona(personId: string): Promise<Persona | undefined> {
    return this.personas
      .where('[personId+version]')
      .between([personId, Dexie.minKey], [personId, Dexie.maxKey])
      .last();
  }

  listCases(personId: string): Promise<Case[]> {
    return this.cases.where('personId').equals(personId).sortBy('createdAt');
  }

  listCandidates(caseId: string): Promise<Candidate[]> {
    return this.candidates.where('caseId').equals(caseId).toArray();
  }

  listCriteria(caseId: string): Promise<CriteriaSet[]> {
    return this.criteria.where('caseId').equals(caseId).toArray();
  }

  listJudgments(by: { caseId?: string; candidateId?: string; runId?: string }): Promise<Judgment[]> {
    if (by.candidateId) return this.judgments.where('candidateId').equals(by.candidateId).toArray();
    if (by.caseId) return this.judgments.where('caseId').equals(by.caseId).toArray();
    if (by.runId) return this.judgments.where('runId').equals(by.runId).toArray();
    throw new Error('listJudgments needs a caseId, candidateId or runId');
  }

  listRuns(): Promise<Run[]> {
    return this.runs.orderBy('createdAt').reverse().toArray();
  }

  /**
   * How many records of each kind a person has, for the Library's list. Messages are the sum of
   * the conversations' message counts (counting them in chunks would read every message).
   */
  async personCounts(personId: string): Promise<{ conversations: number; messages: number; cases: number }> {
    const [conversations, cases] = await Promise.all([
      this.conversations.where('personId').equals(personId).toArray(),
      this.cases.where('personId').equals(personId).count(),
    ]);
    return { conversations: conversations.length, messages: conversations.reduce((n, c) => n + c.messageCount, 0), cases };
  }
}

const CHUNK_RECORDS = 1000;
type Chunk = Partial<Record<ImportKind, { id: string }[]>>;
/** Tables that references point into: the ids of their records an import brings are remembered. */
const REFERENCE_TARGETS = new Set<TableName>(REFERENCES.map((r) => r.target));

/**
 * Writes one import in bounded transactions, each recording in the journal the ids it added.
 * People are written last, in the commit, so a new person (through whom the Library reaches
 * conversations and messages) appears only once everything is there. `write` returns once the
 * chunk is handed to IndexedDB; the next chunk can be parsed while it is written (one in flight).
 */
export class ImportWriter {
  private readonly added = Object.fromEntries([...IMPORT_KINDS, 'criteria'].map((t) => [t, 0])) as ImportAdded;
  private readonly people = new Map<string, Person>();
  private readonly caseCriteria: CaseCriteria[] = [];
  /** Ids of every record handed to this import so far, of the tables references point into. */
  private readonly known = new Map<TableName, Set<string>>();
  /**
   * Conversations this import added, and those it wrote messages of: the messages of a
   * conversation it added, and wrote none of yet, cannot be stored already, so need no look-up.
   */
  private readonly newConversations = new Set<string>();
  private readonly conversationsWithMessages = new Set<string>();
  private inFlight: Promise<void> = Promise.resolve();
  /** Records written so far (people come at the commit; messages count one by one), for progress. */
  written = 0;

  constructor(private readonly db: AttuneDB, readonly importId: string) {}

  async write(bundle: Pick<ImportBundle, ImportKind | 'caseCriteria'>): Promise<void> {
    for (const person of bundle.people) this.people.set(person.id, person);
    this.caseCriteria.push(...bundle.caseCriteria ?? []);
    for (const kind of IMPORT_KINDS) {
      const table = TABLE_OF_KIND[kind];
      if (!REFERENCE_TARGETS.has(table)) continue;
      const ids = this.known.get(table) ?? new Set<string>();
      for (const record of bundle[kind]) ids.add(record.id);
      this.known.set(table, ids);
    }
    let chunk: Chunk = {};
    let size = 0;
    for (const kind of IMPORT_KINDS) {
      if (kind === 'people') continue;
      const records = bundle[kind] as { id: string }[];
      for (let from = 0; from < records.length;) {
        const take = Math.min(records.length - from, CHUNK_RECORDS - size);
        chunk[kind] = records.slice(from, from + take);
        from += take;
        size += take;
        if (size >= CHUNK_RECORDS) {
          await this.enqueue(chunk, size);
          chunk = {};
          size = 0;
        }
      }
    }
    if (size > 0) await this.enqueue(chunk, size);
  }

  /** Waits for the chunk before (so at most one is in flight), then starts this one. */
  private async enqueue(chunk: Chunk, size: number): Promise<void> {
    await this.inFlight;
    this.inFlight = this.writeChunk(chunk).then(() => { this.written += size; });
    // A failure is reported by the next write or by commit; keep it from being "unhandled" meanwhile.
    this.inFlight.catch(() => {});
  }

  private async writeChunk(chunk: Chunk): Promise<void> {
    const messages = (chunk.messages ?? []) as Message[];
    const records: Partial<Record<ImportTable, { id: string }[]>> = {};
    for (const kind of Object.keys(chunk) as ImportKind[]) {
      if (kind !== 'messages') records[TABLE_OF_KIND[kind]] = chunk[kind];
    }
    // Every import table: references are checked against those the chunk does not write.
    await this.db.transaction('rw', [...IMPORT_TABLES.map((n) => this.db.table(n)), this.db.importJournal], async () => {
      // A reference resolves within the chunk, to a record an earlier chunk (or the people kept
      // for the commit) brought, or to one already stored. Messages hold the references of the
      // chunks they go into (a chunk's id is its first message's), so they are checked as those.
      const dangling = await findDanglingReference({ ...records, messageChunks: messages }, async (table, ids) => {
        const known = this.known.get(table);
        const rest = known ? ids.filter((id) => !known.has(id)) : ids;
        const stored = rest.length ? await this.db.table(table).where(':id').anyOf(rest).primaryKeys() as string[] : [];
        return new Set([...ids.filter((id) => known?.has(id)), ...stored]);
      });
      if (dangling) throw new DanglingReferenceError(dangling);
      for (const table of Object.keys(records) as ImportTable[]) {
        const ids = await addFresh(this.db.table(table) as Table<{ id: string }, string>, records[table]!);
        if (ids.length > 0) await this.db.importJournal.add({ importId: this.importId, table, ids });
        this.added[IMPORT_KINDS.find((k) => TABLE_OF_KIND[k] === table)!] += ids.length;
        if (table === 'conversations') for (const id of ids) this.newConversations.add(id);
      }
      if (messages.length > 0) await this.writeMessages(messages);
    });
  }

  /** Stores the messages not stored yet, in chunks (ids are content hashes: the same message twice is one). */
  private async writeMessages(messages: Message[]): Promise<void> {
    const mayBeStored = messages.filter((m) => !this.newConversations.has(m.conversationId) || this.conversationsWithMessages.has(m.conversationId));
    const stored = new Set(mayBeStored.length
      ? await this.db.messageChunks.where('messageIds').anyOf(mayBeStored.map((m) => m.id)).keys() as string[]
      : []);
    const fresh: Message[] = [];
    for (const m of messages) {
      if (stored.has(m.id)) continue;
      stored.add(m.id);
      fresh.push(m);
    }
    const chunks = toMessageChunks(fresh);
    const ids = await addFresh(this.db.messageChunks as Table<{ id: string }, string>, chunks, false);
    if (ids.length > 0) await this.db.importJournal.add({ importId: this.importId, table: 'messageChunks', ids });
    const added = new Set(ids);
    for (const c of chunks) {
      if (!added.has(c.id)) continue;
      this.added.messages += c.messages.length;
      this.conversationsWithMessages.add(c.conversationId);
    }
  }

  /**
   * Writes the people, attaches a criteria file's criteria to their cases (an update, so it is
   * never journalled) and forgets the journal, in one transaction: from here the import is whole.
   */
  async commit(): Promise<ImportAdded> {
    await this.inFlight;
    await this.db.transaction('rw', [this.db.people, this.db.cases, this.db.importJournal], async () => {
      const ids = await addFresh(this.db.people as Table<{ id: string }, string>, [...this.people.values()]);
      this.added.people += ids.length;
      this.added.criteria = await this.db.attachReferenceCriteria(this.caseCriteria);
      await this.db.importJournal.where('importId').equals(this.importId).delete();
    });
    return { ...this.added };
  }

  /** Takes back every chunk written so far. */
  async rollback(): Promise<void> {
    await this.inFlight.catch(() => {});
    await sweepImport(this.db, this.importId);
  }
}

/**
 * Records per bulk write where live queries should learn which keys changed. Dexie tells them
 * (the page's, other tabs') the keys of a write of fewer than 50 records, but marks every key of
 * the table changed for a bigger one: each chunk of an import would then make the Library read
 * every listed person's conversations again for their counts. Message chunks are written in
 * bigger writes: tracking their 85,000 message ids costs more than the few queries they wake.
 */
const TRACKED_WRITE = 49;

/** Adds the records whose id is not stored yet; returns their ids. `tracked`: see TRACKED_WRITE. */
async function addFresh(table: Table<{ id: string }, string>, records: { id: string }[], tracked = true): Promise<string[]> {
  const slices: { id: string }[][] = [];
  const size = tracked ? TRACKED_WRITE : records.length;
  for (let from = 0; from < records.length; from += size) slices.push(records.slice(from, from + size));
  const added = await Promise.all(slices.map(async (slice) => {
    try {
      await table.bulkAdd(slice);
      return slice.map((r) => r.id);
    } catch (error) {
      // An id already stored (or repeated in the chunk) fails alone with a ConstraintError; the
      // rest are added. Anything else (a record failing validation) aborts the transaction.
      if (!(error instanceof Dexie.BulkError)) throw error;
      const failed = error.failuresByPos;
      for (const failure of Object.values(failed)) if (failure.name !== 'ConstraintError') throw failure;
      return slice.filter((_, i) => !(i in failed)).map((r) => r.id);
    }
  }));
  return added.flat();
}

async function sweepImport(db: AttuneDB, importId: string): Promise<void> {
  await db.transaction('rw', [...IMPORT_TABLES.map((t) => db.table(t)), db.importJournal], async () => {
    const rows = await db.importJournal.where('importId').equals(importId).toArray();
    for (const row of rows) await db.table(row.table).bulkDelete(row.ids);
    await db.importJournal.bulkDelete(rows.map((r) => r.seq!));
  });
}

/** Imports in the journal whose lock nobody holds (every one where Web Locks do not exist, as in Node). */
async function sweepAbandonedImports(db: AttuneDB): Promise<number> {
  const pending = new Set(await db.importJournal.orderBy('importId').uniqueKeys() as string[]);
  if (pending.size === 0) return 0;
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  const held = new Set(((await locks?.query())?.held ?? []).map((l) => l.name));
  let swept = 0;
  for (const importId of pending) {
    if (held.has(IMPORT_LOCK_PREFIX + importId)) continue;
    // Rows read above were written under a lock taken before the first write, so a live
    // import's lock shows as held here; one that committed meanwhile has no rows left to sweep.
    await sweepImport(db, importId);
    swept++;
  }
  return swept;
}

/**
 * Upgrade to version 4: every stored message moves into chunks, conversation by conversation.
 * First it takes back every import in the journal: none can still commit (an upgrade waits
 * until every older connection has closed), and their rows name messages one by one.
 */
async function chunkStoredMessages(tx: Transaction): Promise<void> {
  const journal = await tx.table('importJournal').toArray() as { table: string; ids: string[] }[];
  for (const row of journal) await tx.table(row.table).bulkDelete(row.ids);
  await tx.table('importJournal').clear();
  const messages = tx.table('messages');
  for (const conversationId of await messages.orderBy('conversationId').uniqueKeys()) {
    const list = await messages.where('[conversationId+index]').between([conversationId, Dexie.minKey], [conversationId, Dexie.maxKey]).toArray() as Message[];
    await tx.table('messageChunks').bulkAdd(toMessageChunks(list));
  }
}

/** The app's database. Tests open their own with `new AttuneDB('some-name')`. */
export const db = new AttuneDB();
