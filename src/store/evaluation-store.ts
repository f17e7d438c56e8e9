// The method's storage port on the app's Dexie database, so memories, personas, criteria and
// judgments computed in the evaluation worker land in the same store the screens read, and a
// run interrupted anywhere resumes from what was already written.
import type { CriteriaSet, Judgment, Memory, Persona } from '../domain/records.ts';
import type { EvaluationStore } from '../method/store.ts';
import type { AttuneDB } from './db.ts';

/** Marks share the settings table under a prefix that no setting uses. */
const MARK_PREFIX = 'mark:';

export class DexieEvaluationStore implements EvaluationStore {
  constructor(private readonly db: AttuneDB) {}

  listMemories(personId: string): Promise<Memory[]> {
    return this.db.listMemories(personId);
  }
  async putMemories(memories: Memory[]): Promise<void> {
    await this.db.memories.bulkPut(memories);
  }
  async deleteMemories(ids: string[]): Promise<void> {
    await this.db.memories.bulkDelete(ids);
  }
  async hasMark(key: string): Promise<boolean> {
    return (await this.db.settings.get(MARK_PREFIX + key)) !== undefined;
  }
  async putMark(key: string): Promise<void> {
    await this.db.settings.put({ key: MARK_PREFIX + key, value: true });
  }
  listPersonas(personId: string): Promise<Persona[]> {
    return this.db.personas.where('personId').equals(personId).toArray();
  }
  async putPersona(persona: Persona): Promise<void> {
    await this.db.personas.put(persona);
  }
  getCriteria(id: string): Promise<CriteriaSet | undefined> {
    return this.db.criteria.get(id);
  }
  async putCriteria(set: CriteriaSet): Promise<void> {
    await this.db.criteria.put(set);
  }
  getJudgment(id: string): Promise<Judgment | undefined> {
    return this.db.judgments.get(id);
  }
  async putJudgment(judgment: Judgment): Promise<void> {
    await this.db.judgments.put(judgment);
  }
  listJudgments(runId: string): Promise<Judgment[]> {
    return this.db.judgments.where('runId').equals(runId).toArray();
  }
}
