// The one local store: a Dexie (IndexedDB) database. Every record that enters it, by whatever
// path (put helpers, applyImport, a restored backup, a direct `db.table.put`), passes a DBCore
// middleware that validates it with the zod schema of its table, so nothing unchecked is stored.
import Dexie, { type DBCore, type DBCoreMutateRequest, type Table } from 'dexie';
import type { z } from 'zod';
import {
  Candidate, Case, Conversation, CriteriaSet, Judgment, Memory, Message, Person, Persona, Run,
  Setting,
} from '../domain/records.ts';
import type { CaseCriteria, ImportBundle } from '../domain/bundle.ts';
import { stableStringify } from '../lib/hash.ts';
import { DanglingReferenceError, findDanglingReference } from './references.ts';

export const schemas = {
  people: Person,
  conversations: Conversation,
  messages: Message,
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

/** Tables an import writes, in the order the bundle lists them. */
const IMPORT_TABLES = [
  'people', 'conversations', 'messages', 'memories', 'personas', 'cases', 'candidates',
] as const satisfies readonly (TableName & keyof ImportBundle)[];
export type ImportTable = (typeof IMPORT_TABLES)[number];
/** Records added per table, and `criteria`: cases whose reference criteria a criteria file changed. */
export type ImportAdded = Record<ImportTable | 'criteria', number>;

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

export class AttuneDB extends Dexie {
  people!: Table<Person, string>;
  conversations!: Table<Conversation, string>;
  messages!: Table<Message, string>;
  memories!: Table<Memory, string>;
  personas!: Table<Persona, string>;
  cases!: Table<Case, string>;
  candidates!: Table<Candidate, string>;
  criteria!: Table<CriteriaSet, string>;
  judgments!: Table<Judgment, string>;
  runs!: Table<Run, string>;
  settings!: Table<Setting, string>;

  constructor(name = 'attune') {
    super(name);
    // Schema versions only ever add: a new version lists the full store set and, when data must
    // change shape, an upgrade function.
    this.version(1).stores({
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
    });
    this.use(validation);
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
   * Writes every record of the bundles in ONE transaction, skipping ids already stored (ids are
   * content hashes, so the same file imported twice adds nothing). Any invalid record aborts the
   * whole import and leaves the store unchanged, and so does a reference that names a record
   * neither in the bundles nor in the store (DanglingReferenceError). Returns how many records
   * were actually added.
   */
  async applyImport(bundles: ImportBundle[]): Promise<ImportAdded> {
    const added = Object.fromEntries([...IMPORT_TABLES, 'criteria'].map((t) => [t, 0])) as ImportAdded;
    await this.transaction('rw', IMPORT_TABLES.map((t) => this.table(t)), async () => {
      const records = Object.fromEntries(IMPORT_TABLES.map((t) => [t, bundles.flatMap((b): object[] => b[t])]));
      const dangling = await findDanglingReference(records, async (table, ids) =>
        new Set((await this.table(table).where(':id').anyOf(ids).primaryKeys()) as string[]));
      if (dangling) throw new DanglingReferenceError(dangling);
      for (const name of IMPORT_TABLES) {
        const unique = new Map<string, { id: string }>();
        for (const bundle of bundles) for (const r of bundle[name]) unique.set(r.id, r);
        if (unique.size === 0) continue;
        const table = this.table(name) as Table<{ id: string }, string>;
        const existing = new Set(await table.where(':id').anyOf([...unique.keys()]).primaryKeys());
        const fresh = [...unique.values()].filter((r) => !existing.has(r.id));
        await table.bulkAdd(fresh);
        added[name] = fresh.length;
      }
      // After the cases, so that criteria can attach to cases added by this same import.
      added.criteria = await this.attachReferenceCriteria(bundles.flatMap((b) => b.caseCriteria ?? []));
    });
    return added;
  }

  /**
   * Sets the reference criteria of stored cases (a criteria file's update). Every case must exist:
   * one that does not fails the whole transaction it runs in. Returns how many cases changed.
   */
  private async attachReferenceCriteria(updates: CaseCriteria[]): Promise<number> {
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
        this.messages.where('personId').equals(personId).delete(),
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

  listMessages(conversationId: string): Promise<Message[]> {
    return this.messages
      .where('[conversationId+index]')
      .between([conversationId, Dexie.minKey], [conversationId, Dexie.maxKey])
      .toArray();
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

  /** How many records of each kind a person has, for the Library's list. */
  async personCounts(personId: string): Promise<{ conversations: number; messages: number; cases: number }> {
    const [conversations, messages, cases] = await Promise.all([
      this.conversations.where('personId').equals(personId).count(),
      this.messages.where('personId').equals(personId).count(),
      this.cases.where('personId').equals(personId).count(),
    ]);
    return { conversations, messages, cases };
  }
}

/** The app's database. Tests open their own with `new AttuneDB('some-name')`. */
export const db = new AttuneDB();
