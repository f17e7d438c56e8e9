// The order of the Batch results table: by any column, either way.
import type { Dimension } from '../../domain/records.ts';
import type { CandidateResult } from '../../export/results.ts';

export type SortKey = 'person' | 'category' | 'candidate' | 'label' | Dimension | 'bystander' | 'empathy' | 'reward' | 'failures';
export interface Sort {
  key: SortKey;
  dir: 1 | -1;
}

function valueOf(r: CandidateResult, key: SortKey): string | number | null {
  switch (key) {
    case 'person': return r.personName;
    case 'category': return r.category;
    case 'candidate': return r.candidateName;
    case 'label': return r.label;
    case 'bystander': return r.aggregate.bystander;
    case 'empathy': return r.aggregate.empathy;
    case 'reward': return r.aggregate.reward;
    case 'failures': return r.aggregate.failures;
    default: return r.aggregate.dimensions[key].score;
  }
}

/** A sorted copy. Missing values (failures) sort last in either direction, so they are never mistaken for lows. */
export function sortResults(results: readonly CandidateResult[], sort: Sort): CandidateResult[] {
  return [...results].sort((a, b) => {
    const x = valueOf(a, sort.key);
    const y = valueOf(b, sort.key);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
  });
}

export class ResultOrder {
  sort = $state<Sort>({ key: 'reward', dir: -1 });
  readonly rows = $derived.by(() => sortResults(this.results(), this.sort));

  constructor(private results: () => readonly CandidateResult[]) {}

  /** A new column sorts high to low; the same column again flips the direction. */
  sortBy(key: SortKey): void {
    this.sort = { key, dir: this.sort.key === key ? (this.sort.dir === 1 ? -1 : 1) : -1 };
  }
}
