// What every importer produces: plain records with content-hash ids, ready for the store to
// write in one transaction. Parsing never touches the store, so a preview costs nothing.
import type {
  Candidate, Case, Conversation, ImportFormat, Memory, Message, Person, Persona,
} from '../domain/records.ts';

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

/** Where and why a file could not be read: the file, the place (line or JSON path), what was expected. */
export interface ImportIssue {
  file: string;
  where: string;
  message: string;
}

export class ImportError extends Error {
  constructor(readonly issue: ImportIssue) {
    super(`${issue.file} (${issue.where}): ${issue.message}`);
    this.name = 'ImportError';
  }
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
