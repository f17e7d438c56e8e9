// What the Person screen writes: hand-edited persona versions and memories, and the jobs that
// extract them with the loaded model. Records are built here, for the store classes in
// person/; the store validates each one against its schema.
import { db } from '../store/db.ts';
import { contentId } from '../lib/hash.ts';
import type { Memory, Persona } from '../domain/records.ts';
import { jobs } from './jobs.svelte.ts';

/** A person's persona versions, oldest first. */
export function personaVersions(personId: string): Promise<Persona[]> {
  return db.personas.where('personId').equals(personId).sortBy('version');
}

/** Saves an edit as a new persona version above the highest stored one; older versions stay. */
export async function savePersonaVersion(personId: string, edit: { profile: string; topics: string; isDeep: boolean; gateReason: string }): Promise<Persona> {
  const latest = (await personaVersions(personId)).at(-1);
  const version = (latest?.version ?? 0) + 1;
  const topics = edit.topics.split(',').map((t) => t.trim()).filter(Boolean);
  const body = { personId, version, profile: edit.profile, topics, isDeep: edit.isDeep, gateReason: edit.gateReason };
  const record: Persona = { id: await contentId('persona', body), ...body, origin: 'manual', createdAt: Date.now() };
  await db.personas.put(record);
  return record;
}

/**
 * Adds a memory, or updates `old` in place keeping its id, evidence and origin. A new memory's id
 * includes the time, so two identical hand-written facts stay two memories.
 */
export async function saveMemory(personId: string, edit: { label: string; value: string }, old?: Memory): Promise<Memory> {
  const now = Date.now();
  const record: Memory = {
    id: old?.id ?? (await contentId('mem', { personId, label: edit.label, value: edit.value, manual: now })),
    personId, label: edit.label.trim(), value: edit.value.trim(),
    evidence: old?.evidence ?? [], origin: old ? old.origin : 'manual', sourceHash: old?.sourceHash, updatedAt: now,
  };
  await db.memories.put(record);
  return record;
}

export function deleteMemory(id: string): Promise<void> {
  return db.memories.delete(id);
}

/** (Re)extracts memories or regenerates the persona of one person, as a job of the jobs store. */
export function extractPerson(personId: string, what: 'memories' | 'persona', name: string): void {
  const where = { screen: 'person', param: personId } as const;
  if (what === 'memories') {
    void jobs.start({ kind: 'extract-memories', personId }, {
      label: `Extracting ${name}'s memories`, scope: personId, where,
      describe: (r) => ({ status: 'done', message: `Done${r.failures ? `: ${r.failures} conversation chunks failed to parse (kept nothing from them)` : ''}.` }),
    });
  } else {
    void jobs.start({ kind: 'persona', personId }, {
      label: `Inferring ${name}'s persona`, scope: personId, where,
      describe: (r) => ({ status: 'done', message: `Persona version ${r.version} saved.` }),
    });
  }
}
