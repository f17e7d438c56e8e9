// The data sets the Batch screen can run on: all cases, each person's, each imported file's;
// which one is chosen.
import { db } from '../../store/db.ts';
import type { Case, Person } from '../../domain/records.ts';
import { live } from '../live.svelte.ts';

export interface DataSet {
  key: string;
  label: string;
  caseIds: string[];
}

/** All cases first, then one data set per person with cases, then one per imported file. */
export function groupDataSets(cases: readonly Case[], people: readonly Person[]): DataSet[] {
  const list: DataSet[] = [{ key: 'all', label: `All cases (${cases.length})`, caseIds: cases.map((c) => c.id) }];
  for (const p of people) {
    const ids = cases.filter((c) => c.personId === p.id).map((c) => c.id);
    if (ids.length) list.push({ key: `person:${p.id}`, label: `${p.name} (${ids.length} cases)`, caseIds: ids });
  }
  const files = new Map<string, string[]>();
  for (const c of cases) if (c.source.file) files.set(c.source.file, [...(files.get(c.source.file) ?? []), c.id]);
  for (const [file, ids] of files) list.push({ key: `file:${file}`, label: `File ${file} (${ids.length} cases)`, caseIds: ids });
  return list;
}

/** Created in a component's script: it subscribes to the store for as long as the component lives. */
export class DataSetChoice {
  readonly #cases = live(() => 0, () => db.cases.toArray(), [] as Case[]);
  readonly #people = live(() => 0, () => db.listPeople(), [] as Person[]);
  readonly list = $derived(groupDataSets(this.#cases.value, this.#people.value));
  key = $state('all');
  readonly chosen = $derived(this.list.find((d) => d.key === this.key));
}
