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
}

export interface CaseCriteria {
  caseId: string;
  /** The reference's ids, to name the case if it has gone from the store by the time of writing. */
  sessionId: string;
  queryId: string;
  referenceCriteria: NonNullable<Case['referenceCriteria']>;
}

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

export function countBundle(b: ImportBundle): ImportCounts {
  return {
    people: b.people.length,
    conversations: b.conversations.length,
    messages: b.messages.length,
    memories: b.memories.length,
    personas: b.personas.length,
    cases: b.cases.length,
    candidates: b.candidates.length,
    criteria: b.caseCriteria?.length ?? 0,
  };
}
