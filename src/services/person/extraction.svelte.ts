// (Re)extracting the shown person's memories or persona with the loaded model. The jobs live in
// the jobs store, so their progress and outcome are still shown after leaving the screen.
import type { Person } from '../../domain/records.ts';
import { engineStatus } from '../evaluation.ts';
import { jobs } from '../jobs.svelte.ts';
import { extractPerson } from '../person.ts';

export class Extraction {
  constructor(private person: () => Person | undefined) {}

  /** A model is loaded to extract with. */
  get ready(): boolean {
    return engineStatus().ready;
  }

  /** The extraction running for the shown person, of either kind. */
  get running() {
    const id = this.person()?.id;
    return id ? jobs.find('extract-memories', id) ?? jobs.find('persona', id) : undefined;
  }

  /** The later of the two kinds' outcomes. */
  get outcome() {
    const id = this.person()?.id;
    return id
      ? [jobs.outcome('extract-memories', id), jobs.outcome('persona', id)].filter((o) => o !== undefined).sort((a, b) => b.endedAt - a.endedAt)[0]
      : undefined;
  }

  start(kind: 'memories' | 'persona'): void {
    const p = this.person();
    if (p && !this.running) extractPerson(p.id, kind, p.name);
  }

  cancel(): void {
    const job = this.running;
    if (job) jobs.cancel(job.id);
  }
}
