// Helpers every importer shares: failing with a precise place, reading untrusted JSON values
// with their path, and building records with content-hash ids. Pure: no DOM, no store.
import { contentIdSync, messageId } from './ids.ts';
import type {
  Candidate, Case, Conversation, ImportFormat, Memory, Person, Persona, Role,
} from '../domain/records.ts';
import { QUERY_CATEGORIES, QUERY_CATEGORY_NAMES, type QueryCategory } from '../domain/records.ts';
import { countBundle, emptyBundle, type ImportBundle, type RecordSink } from '../domain/bundle.ts';
import { ImportError } from './issues.ts';

export function fail(file: string, where: string, message: string): never {
  throw new ImportError({ file, where, message });
}

/** `$[3].mapping.abc.message`: dots for plain keys, brackets and quotes for the rest. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Reads fields of untrusted JSON, failing with the JSON path and what was expected. */
export class Reader {
  constructor(readonly file: string) {}

  fail(where: string, message: string): never {
    return fail(this.file, where, message);
  }

  object(value: unknown, path: string, what = 'an object'): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, `expected ${what}, found ${describe(value)}`);
    }
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: string, what = 'an array'): unknown[] {
    if (!Array.isArray(value)) this.fail(path, `expected ${what}, found ${describe(value)}`);
    return value;
  }

  string(value: unknown, path: string, what = 'a string'): string {
    if (typeof value !== 'string') this.fail(path, `expected ${what}, found ${describe(value)}`);
    return value;
  }

  optionalString(value: unknown, path: string, what = 'a string'): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path, what);
  }

  /** Epoch seconds (ChatGPT) → ms; absent or null → null. */
  epochSeconds(value: unknown, path: string): number | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(path, `expected a time in epoch seconds, found ${describe(value)}`);
    }
    return Math.round(value * 1000);
  }

  /** ISO 8601 text (Claude) → ms; absent or null → null. */
  isoTime(value: unknown, path: string): number | null {
    if (value === undefined || value === null) return null;
    const ms = typeof value === 'string' ? Date.parse(value) : NaN;
    if (!Number.isFinite(ms)) this.fail(path, `expected an ISO 8601 date, found ${describe(value)}`);
    return ms;
  }

  /** A category code (ES, HEI, SS) or the full name the reference writes, any case, trimmed. */
  category(value: unknown, path: string): QueryCategory {
    const code = typeof value === 'string' ? categoryCode(value) : undefined;
    if (!code) {
      this.fail(path, `expected a category ES, HEI or SS (or its full name: ${Object.values(QUERY_CATEGORY_NAMES).map((n) => `"${n}"`).join(', ')}), found ${describe(value)}`);
    }
    return code;
  }
}

const CATEGORY_BY_NAME = new Map<string, QueryCategory>(
  QUERY_CATEGORIES.flatMap((code) => [[code.toLowerCase(), code], [QUERY_CATEGORY_NAMES[code].toLowerCase(), code]] as const),
);

/** "Emotional Support", "es", " HEI " → the code; anything else → undefined. */
export function categoryCode(text: string): QueryCategory | undefined {
  return CATEGORY_BY_NAME.get(text.trim().toLowerCase());
}

export function fileStem(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  return base.replace(/\.[^.]+$/, '') || base || 'import';
}

export interface Turn { role: Role; text: string; time: number | null }

/** A chunk handed to a RecordSink: bounded so that one store transaction stays small. */
const CHUNK_RECORDS = 1000;
const CHUNK_CHARS = 1_000_000;

/**
 * Accumulates one file's records. Ids are content hashes (never the import time; see ids.ts), and records
 * with an id already seen are kept once, so duplicates inside a file collapse as in the store.
 * With a sink, full chunks of records go to it as they are made (the bundle then counts them in
 * `flushed`), so memory does not grow with the file.
 */
export class BundleBuilder {
  readonly bundle: ImportBundle;
  private readonly seen = new Set<string>();
  readonly createdAt = Date.now();
  private readonly noteCounts = new Map<string, number>();
  private chunkRecords = 0;
  private chunkChars = 0;

  constructor(readonly format: ImportFormat, readonly file: string, private readonly sink?: RecordSink) {
    this.bundle = emptyBundle(format, file);
  }

  /** Counts records just added and hands the chunk to the sink (or counts it) once it is full. */
  private async added(records: number, chars: number): Promise<void> {
    if (!this.sink) return;
    this.chunkRecords += records;
    this.chunkChars += chars;
    if (this.chunkRecords < CHUNK_RECORDS && this.chunkChars < CHUNK_CHARS) return;
    const b = this.bundle;
    const chunk: ImportBundle = {
      format: b.format, file: b.file, people: b.people, conversations: b.conversations, messages: b.messages,
      memories: b.memories, personas: b.personas, cases: b.cases, candidates: b.candidates,
    };
    const { notes, flushed } = b;
    Object.assign(b, emptyBundle(b.format, b.file), { notes, flushed: countBundle({ ...chunk, flushed }) });
    this.chunkRecords = 0;
    this.chunkChars = 0;
    if (this.sink !== 'count') await this.sink(chunk);
  }

  private fresh(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    return true;
  }

  /** Counts a repeated remark ("3 image parts were not imported") for the preview. */
  count(note: string, n = 1): void {
    this.noteCounts.set(note, (this.noteCounts.get(note) ?? 0) + n);
  }

  note(text: string): void {
    (this.bundle.notes ??= []).push(text);
  }

  finish(): ImportBundle {
    for (const [note, n] of this.noteCounts) this.note(`${n} × ${note}`);
    return this.bundle;
  }

  async person(name: string, identity: unknown, externalId?: string): Promise<Person> {
    const id = contentIdSync('person', { format: this.format, identity });
    const person: Person = {
      id, name, demo: false, createdAt: this.createdAt,
      source: { format: this.format, file: this.file, ...(externalId ? { externalId } : {}) },
    };
    if (this.fresh(id)) {
      this.bundle.people.push(person);
      await this.added(1, name.length);
    }
    return person;
  }

  /**
   * A conversation and its turns. Its id comes from the source's own id when there is one,
   * otherwise from its whole content. Returns null when no turn has text.
   */
  async conversation(
    personId: string, turns: Turn[], meta: { title: string; startedAt: number | null; externalId?: string },
  ): Promise<Conversation | null> {
    if (turns.length === 0) return null;
    const identity = meta.externalId ?? turns.map((t) => [t.role, t.text]);
    const id = contentIdSync('conv', { personId, identity });
    const conversation: Conversation = {
      id, personId, title: meta.title,
      startedAt: meta.startedAt ?? turns.find((t) => t.time !== null)?.time ?? null,
      source: { format: this.format, file: this.file, ...(meta.externalId ? { externalId: meta.externalId } : {}) },
      messageCount: turns.length,
    };
    if (this.fresh(id)) {
      // A message's id hashes its conversation's id and its position, so the messages of a
      // conversation seen for the first time are new too: they need no entry in `seen`.
      this.bundle.conversations.push(conversation);
      let chars = meta.title.length;
      for (const t of turns) chars += t.text.length;
      if (this.sink === 'count') {
        const counts = this.bundle.flushed ?? countBundle(emptyBundle(this.format, this.file));
        this.bundle.flushed = { ...counts, messages: counts.messages + turns.length };
      } else {
        turns.forEach((t, index) => this.bundle.messages.push({
          id: messageId(id, index, t.role, t.text), conversationId: id, personId, index, role: t.role, text: t.text, time: t.time,
        }));
      }
      await this.added(1 + turns.length, chars);
    }
    return conversation;
  }

  /** `order`: the memory's position in the data set's own list, when it has one. */
  async memory(personId: string, label: string, value: string, evidence: string[], order?: number): Promise<Memory> {
    const id = contentIdSync('mem', { personId, label, value });
    const memory: Memory = {
      id, personId, label, value, evidence, origin: 'imported', updatedAt: this.createdAt, ...(order === undefined ? {} : { order }),
    };
    if (this.fresh(id)) {
      this.bundle.memories.push(memory);
      await this.added(1, value.length);
    }
    return memory;
  }

  async persona(personId: string, fields: Pick<Persona, 'profile' | 'topics' | 'isDeep' | 'gateReason'>): Promise<Persona> {
    const id = contentIdSync('persona', { personId, ...fields });
    const persona: Persona = { id, personId, version: 1, origin: 'imported', createdAt: this.createdAt, ...fields };
    if (this.fresh(id)) {
      this.bundle.personas.push(persona);
      await this.added(1, fields.profile.length);
    }
    return persona;
  }

  async case(
    personId: string,
    fields: Pick<Case, 'query' | 'category' | 'scenario' | 'relevantMemoryIds' | 'referenceCriteria'>
      & Partial<Pick<Case, 'categoryLabel' | 'sessionId' | 'queryId'>>,
    externalId?: string,
  ): Promise<Case> {
    const id = contentIdSync('case', { personId, query: fields.query, scenario: fields.scenario, category: fields.category, externalId });
    const item: Case = {
      id, personId, createdAt: this.createdAt, ...fields,
      source: { format: this.format, file: this.file, ...(externalId ? { externalId } : {}) },
    };
    for (const key of ['scenario', 'referenceCriteria', 'categoryLabel', 'sessionId', 'queryId'] as const) {
      if (item[key] === undefined) delete item[key];
    }
    if (this.fresh(id)) {
      this.bundle.cases.push(item);
      await this.added(1, fields.query.length + (fields.scenario?.length ?? 0));
    }
    return item;
  }

  /** `system` (a predictions file's stem) is part of the id: two systems' identical replies stay two candidates. */
  async candidate(
    c: Pick<Case, 'id' | 'personId'>, text: string, name: string | undefined, label: number | null, system?: string,
  ): Promise<Candidate> {
    const id = contentIdSync('cand', { caseId: c.id, text, name, label, ...(system ? { system } : {}) });
    const candidate: Candidate = {
      id, caseId: c.id, personId: c.personId, text, source: 'import', label, createdAt: this.createdAt,
      ...(name ? { name } : {}), ...(system ? { system } : {}),
    };
    if (this.fresh(id)) {
      this.bundle.candidates.push(candidate);
      await this.added(1, text.length);
    }
    return candidate;
  }
}
