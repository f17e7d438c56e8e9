// Pairwise comparison of two candidates of the shown case, in both orders. The comparison is a
// job in the jobs store; its result is kept there until the next comparison of this case.
import type { Case, Dimension } from '../../domain/records.ts';
import { jobs } from '../jobs.svelte.ts';

// Which two candidates the last comparison of each case was about, kept as long as its result.
const compared = $state<Record<string, { first: string; second: string }>>({});

export class PairwiseComparison {
  pair = $state({ first: '', second: '', dimension: 'reception' as Dimension });

  constructor(private current: () => Case | undefined) {}

  get ready(): boolean {
    return !!this.pair.first && !!this.pair.second && this.pair.first !== this.pair.second;
  }

  get running() {
    const c = this.current();
    return c ? jobs.find('pairwise', c.id) : undefined;
  }

  get outcome() {
    const c = this.current();
    return c ? jobs.outcome('pairwise', c.id) : undefined;
  }

  /** The two candidates the shown result compares (the selects may have changed since). */
  get compared(): { first: string; second: string } | undefined {
    const c = this.current();
    return c ? compared[c.id] : undefined;
  }

  compare(): void {
    const c = this.current();
    if (!c || !this.ready || this.running) return;
    const { first, second, dimension } = this.pair;
    compared[c.id] = { first, second };
    void jobs.start({ kind: 'pairwise', caseId: c.id, dimension, firstId: first, secondId: second }, {
      label: `Comparing two replies on ${dimension}`, scope: c.id, where: { screen: 'evaluate', param: c.personId, query: { case: c.id } },
    });
  }
}
