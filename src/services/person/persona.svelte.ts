// The shown person's persona card: every stored version (newest first), the one picked, and the
// hand edit that is saved as a new version.
import type { Persona } from '../../domain/records.ts';
import { personaVersions, savePersonaVersion } from '../person.ts';
import { live } from '../live.svelte.ts';

/** Created in a component's script: it subscribes to the store for as long as the component lives. */
export class PersonaVersions {
  readonly versions = live(() => this.personId(), async (id) => (id ? (await personaVersions(id)).reverse() : []), [] as Persona[]);
  /** The version picked; null shows the newest. */
  picked = $state<number | null>(null);
  readonly shown = $derived(this.versions.value.find((p) => p.version === this.picked) ?? this.versions.value[0]);
  editing = $state(false);
  draft = $state({ profile: '', topics: '', isDeep: true, gateReason: '' });

  constructor(private personId: () => string | null) {}

  pick(version: number): void {
    this.picked = version;
  }

  /** Starts an edit from the shown version, or from nothing when there is none. */
  startEdit(): void {
    const p = this.shown;
    this.draft = { profile: p?.profile ?? '', topics: p?.topics.join(', ') ?? '', isDeep: p?.isDeep ?? true, gateReason: p?.gateReason ?? '' };
    this.editing = true;
  }

  cancelEdit(): void {
    this.editing = false;
  }

  /** Saves the edit as a new version and shows it. */
  async save(): Promise<void> {
    const personId = this.personId();
    if (!personId) return;
    await savePersonaVersion(personId, this.draft);
    this.picked = null;
    this.editing = false;
  }
}
