// The CLI's EvaluationStore: every record appended as one JSON line to a cache file the moment
// it is put, and read back on open. Appends are synchronous, so a judgment that was reported
// is on disk even if the process is killed right after. A torn last line (a crash mid-write)
// is skipped on reading and cut off before the next append.
import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import type { CriteriaSet, Judgment, Memory, Persona } from '../domain/records.ts';
import { MemoryEvaluationStore } from '../method/store.ts';

type Line =
  | { t: 'memory'; r: Memory }
  | { t: 'memory-deleted'; r: string }
  | { t: 'mark'; r: string }
  | { t: 'persona'; r: Persona }
  | { t: 'criteria'; r: CriteriaSet }
  | { t: 'judgment'; r: Judgment };

export class JsonlEvaluationStore extends MemoryEvaluationStore {
  /** Lines that could not be read (a torn write), reported to the user. */
  readonly skippedLines: number;

  constructor(readonly path: string) {
    super();
    let skipped = 0;
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      let validEnd = 0;
      let offset = 0;
      for (const line of text.split('\n')) {
        const end = offset + line.length + 1;
        if (line.trim()) {
          try {
            this.apply(JSON.parse(line) as Line);
            validEnd = Math.min(end, text.length);
          } catch {
            skipped++;
          }
        }
        offset = end;
      }
      // Drop a torn tail so that new lines start on a line of their own.
      if (validEnd < text.length && text.slice(validEnd).trim()) truncateSync(path, Buffer.byteLength(text.slice(0, validEnd)));
    }
    this.skippedLines = skipped;
  }

  private apply(line: Line) {
    switch (line.t) {
      case 'memory': this.memories.set(line.r.id, line.r); break;
      case 'memory-deleted': this.memories.delete(line.r); break;
      case 'mark': this.marks.add(line.r); break;
      case 'persona': this.personas.set(line.r.id, line.r); break;
      case 'criteria': this.criteria.set(line.r.id, line.r); break;
      case 'judgment': this.judgments.set(line.r.id, line.r); break;
    }
  }

  private append(line: Line) {
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }

  override async putMemories(memories: Memory[]) {
    for (const m of memories) this.append({ t: 'memory', r: m });
    await super.putMemories(memories);
  }
  override async deleteMemories(ids: string[]) {
    for (const id of ids) this.append({ t: 'memory-deleted', r: id });
    await super.deleteMemories(ids);
  }
  override async putMark(key: string) {
    this.append({ t: 'mark', r: key });
    await super.putMark(key);
  }
  override async putPersona(persona: Persona) {
    this.append({ t: 'persona', r: persona });
    await super.putPersona(persona);
  }
  override async putCriteria(set: CriteriaSet) {
    this.append({ t: 'criteria', r: set });
    await super.putCriteria(set);
  }
  override async putJudgment(judgment: Judgment) {
    this.append({ t: 'judgment', r: judgment });
    await super.putJudgment(judgment);
  }
}
