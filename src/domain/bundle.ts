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
  /** Remarks for the preview that are not errors (defaults applied, parts skipped). */
  notes?: string[];
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
  };
}
