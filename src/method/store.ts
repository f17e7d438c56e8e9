// The storage port of the method: where memories, personas, criteria and judgments are kept
// between calls and runs. The browser implements it on Dexie, the CLI on a JSONL file; this
// in-memory one serves tests and one-off runs.
import type { CriteriaSet, Judgment, Memory, Persona } from '../domain/records.ts';

export interface EvaluationStore {
  listMemories(personId: string): Promise<Memory[]>;
  putMemories(memories: Memory[]): Promise<void>;
  /** Removes memories: extracted ones made stale by a changed conversation give way to the new ones. */
  deleteMemories(ids: string[]): Promise<void>;
  /** Marks finished work whose result may be empty (a conversation that yielded no memories). */
  hasMark(key: string): Promise<boolean>;
  putMark(key: string): Promise<void>;
  /** All versions, any order. */
  listPersonas(personId: string): Promise<Persona[]>;
  putPersona(persona: Persona): Promise<void>;
  getCriteria(id: string): Promise<CriteriaSet | undefined>;
  putCriteria(set: CriteriaSet): Promise<void>;
  getJudgment(id: string): Promise<Judgment | undefined>;
  putJudgment(judgment: Judgment): Promise<void>;
  /** Judgments first made by the given run. */
  listJudgments(runId: string): Promise<Judgment[]>;
}

export class MemoryEvaluationStore implements EvaluationStore {
  readonly memories = new Map<string, Memory>();
  readonly marks = new Set<string>();
  readonly personas = new Map<string, Persona>();
  readonly criteria = new Map<string, CriteriaSet>();
  readonly judgments = new Map<string, Judgment>();

  async listMemories(personId: string) {
    return [...this.memories.values()].filter((m) => m.personId === personId);
  }
  async putMemories(memories: Memory[]) {
    for (const m of memories) this.memories.set(m.id, m);
  }
  async deleteMemories(ids: string[]) {
    for (const id of ids) this.memories.delete(id);
  }
  async hasMark(key: string) {
    return this.marks.has(key);
  }
  async putMark(key: string) {
    this.marks.add(key);
  }
  async listPersonas(personId: string) {
    return [...this.personas.values()].filter((p) => p.personId === personId);
  }
  async putPersona(persona: Persona) {
    this.personas.set(persona.id, persona);
  }
  async getCriteria(id: string) {
    return this.criteria.get(id);
  }
  async putCriteria(set: CriteriaSet) {
    this.criteria.set(set.id, set);
  }
  async getJudgment(id: string) {
    return this.judgments.get(id);
  }
  async putJudgment(judgment: Judgment) {
    this.judgments.set(judgment.id, judgment);
  }
  async listJudgments(runId: string) {
    return [...this.judgments.values()].filter((j) => j.runId === runId);
  }
}

/** The current persona: the highest version. */
export function latestPersona(personas: Persona[]): Persona | undefined {
  return personas.reduce<Persona | undefined>((best, p) => (!best || p.version > best.version ? p : best), undefined);
}
