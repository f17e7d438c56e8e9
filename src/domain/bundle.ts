// What every importer produces and the store writes in one transaction: plain records with
// content-hash ids. A domain type, so the store depends on it without depending on importers.
import type {
  Candidate, Case, Conversation, ImportFormat, Memory, Message, Person, Persona,
} from './records.ts';

export interface ImportBundle {
  format: ImportFormat;
  file: string;
  people: Person[];
  conversations: Conversation[];
  messages: Message[];
  memories: Memory[];
  personas: Persona[];
  cases: Case[];
  candidates: Candidate[];
  /**
   * Criteria a criteria file gives to cases by id: an update of cases that may already be stored
   * (the store applies it after the records, in the same transaction).
   */
  caseCriteria?: CaseCriteria[];
  /** Remarks for the preview that are not errors (defaults applied, parts skipped). */
  notes?: string[];
  /** Records already handed to a RecordSink while parsing (not in the lists above). */
  flushed?: ImportCounts;
}

export interface CaseCriteria {
  caseId: string;
  /** The reference's ids, to name the case if it has gone from the store by the time of writing. */
  sessionId: string;
  queryId: string;
  referenceCriteria: NonNullable<Case['referenceCriteria']>;
}

/**
 * Receives a file's records in chunks while it is parsed, so that a large file's records never
 * all exist at once: the import worker writes them on apply. `'count'` is the preview's: records
 * are counted and dropped, and messages are only counted, never made (hashing their text for
 * their ids is the costliest part of a chat export's parse: counting halves its CPU time).
 */
export type RecordSink = ((chunk: ImportBundle) => Promise<void>) | 'count';

export function emptyBundle(format: ImportFormat, file: string): ImportBundle {
  return { format, file, people: [], conversations: [], messages: [], memories: [], personas: [], cases: [], candidates: [] };
}

export interface ImportCounts {
  people: number;
  conversations: number;
  messages: number;
  memories: number;
  personas: number;
  cases: number;
  candidates: number;
  /** Cases given criteria by a criteria file. */
  criteria: number;
}

/** The bundle's records, those already flushed to a RecordSink included. */
export function countBundle(b: ImportBundle): ImportCounts {
  const f = b.flushed;
  return {
    people: b.people.length + (f?.people ?? 0),
    conversations: b.conversations.length + (f?.conversations ?? 0),
    messages: b.messages.length + (f?.messages ?? 0),
    memories: b.memories.length + (f?.memories ?? 0),
    personas: b.personas.length + (f?.personas ?? 0),
    cases: b.cases.length + (f?.cases ?? 0),
    candidates: b.candidates.length + (f?.candidates ?? 0),
    criteria: (b.caseCriteria?.length ?? 0) + (f?.criteria ?? 0),
  };
}
