// Which person and which query the Evaluate screen shows: the ids the route names (else the
// first person and their first query), looked up in the store.
import { db } from '../../store/db.ts';
import { QUERY_CATEGORIES, type Case, type Person } from '../../domain/records.ts';
import { createCase } from '../cases.ts';
import { live } from '../live.svelte.ts';

/** Created in a component's script: it subscribes to the store for as long as the component lives. */
export class CaseSelection {
  constructor(private routed: () => { personId: string | null; caseId: string | null }) {}

  readonly people = live(() => 0, () => db.listPeople(), [] as Person[]);
  readonly personId = $derived.by(() => this.routed().personId ?? this.people.value[0]?.id ?? null);
  readonly person = $derived(this.people.value.find((p) => p.id === this.personId));
  readonly cases = live(() => this.personId, async (id) => (id ? (await db.listCases(id)).sort((a, b) =>
    a.createdAt - b.createdAt || QUERY_CATEGORIES.indexOf(a.category) - QUERY_CATEGORIES.indexOf(b.category) || a.query.localeCompare(b.query)) : []), [] as Case[]);
  readonly caseId = $derived.by(() => this.routed().caseId ?? this.cases.value[0]?.id ?? null);
  readonly current = $derived(this.cases.value.find((c) => c.id === this.caseId));

  /** Saves a hand-written query for the shown person; returns its id. */
  async addCase(input: { query: string; category: Case['category']; scenario: string }): Promise<string | null> {
    if (!this.personId || !input.query.trim()) return null;
    return createCase(this.personId, input);
  }
}
