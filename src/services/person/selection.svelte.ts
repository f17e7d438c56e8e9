// Which person the Person screen shows: the one the route names, else the first.
import { db } from '../../store/db.ts';
import type { Person } from '../../domain/records.ts';
import { live } from '../live.svelte.ts';

/** Created in a component's script: it subscribes to the store for as long as the component lives. */
export class PersonSelection {
  constructor(private routedId: () => string | null) {}

  readonly people = live(() => 0, () => db.listPeople(), [] as Person[]);
  readonly personId = $derived.by(() => this.routedId() ?? this.people.value[0]?.id ?? null);
  readonly person = $derived(this.people.value.find((p) => p.id === this.personId));
}
