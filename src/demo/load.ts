// Loading, removing and restoring the demo data. A first open loads it so a new user sees
// people straight away; once removed, it stays removed until the user restores it.
import type { AttuneDB, ImportAdded } from '../store/db.ts';
import { buildDemoBundle } from './bundle.ts';

const REMOVED_KEY = 'demo.removed';

export async function loadDemo(db: AttuneDB): Promise<ImportAdded> {
  const added = await db.applyImport([await buildDemoBundle()]);
  await db.setSetting(REMOVED_KEY, false);
  return added;
}

/** Deletes every demo person (and all that belongs to them) and remembers the choice. */
export async function removeDemo(db: AttuneDB): Promise<number> {
  const demoPeople = (await db.people.toArray()).filter((p) => p.demo);
  for (const p of demoPeople) await db.deletePerson(p.id);
  await db.setSetting(REMOVED_KEY, true);
  return demoPeople.length;
}

/** On start: loads the demo set unless the user removed it. Safe to call on every start. */
export async function ensureDemo(db: AttuneDB): Promise<void> {
  if (await db.getSetting(REMOVED_KEY, false)) return;
  if (!(await hasDemo(db))) await loadDemo(db);
}

export async function hasDemo(db: AttuneDB): Promise<boolean> {
  return (await db.people.toArray()).some((p) => p.demo);
}
