// The fixed-mode criteria of the shown case, per dimension, and the hand edit of one set.
import { db } from '../../store/db.ts';
import { DIMENSIONS, type CriteriaSet, type Criterion, type Dimension } from '../../domain/records.ts';
import { saveEditedCriteria } from '../cases.ts';
import { live } from '../live.svelte.ts';

export class CriteriaEditor {
  readonly sets = live(() => this.caseId(), (id) => (id ? db.listCriteria(id) : Promise.resolve([] as CriteriaSet[])), [] as CriteriaSet[]);
  /** The newest set per dimension: the data set's own, or one made by the model the results are shown for. */
  readonly byDimension = $derived(Object.fromEntries(DIMENSIONS.map((d) => [d,
    this.sets.value.filter((c) => c.dimension === d && (c.model === this.model() || c.source === 'dataset')).sort((a, b) => b.createdAt - a.createdAt)[0]])) as Record<Dimension, CriteriaSet | undefined>);
  editing = $state<Dimension | null>(null);
  draft = $state<Criterion[]>([]);
  readonly draftSum = $derived(this.draft.reduce((s, c) => s + (Number(c.weight) || 0), 0));
  problem = $state<string | null>(null);

  constructor(private caseId: () => string | null, private model: () => string) {}

  edit(d: Dimension): void {
    this.draft = (this.byDimension[d]?.items ?? []).map((c) => ({ ...c }));
    this.problem = null;
    this.editing = d;
  }

  stopEditing(): void {
    this.editing = null;
  }

  async save(): Promise<void> {
    const set = this.editing && this.byDimension[this.editing];
    if (!set) return;
    try {
      await saveEditedCriteria(set, this.draft);
      this.editing = null;
    } catch (e) {
      this.problem = e instanceof Error ? e.message : String(e);
    }
  }
}
