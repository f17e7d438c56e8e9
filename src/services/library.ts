// What the Library screen does with files: parse (in a worker, which keeps the files) →
// preview → apply (by that worker, all or nothing, cancellable, with progress); and
// backup/restore of the whole store. Parsing never writes, so a preview is free.
import { ImportCancelled, PendingImport, type ProgressListener } from '../import/client.ts';
import type { ImportProgress } from '../import/client.ts';
import { formatBytes } from '../lib/bytes.ts';
import type { ImportAdded } from '../store/db.ts';
import { applyBackup, countRecords, exportBackup, importBackup, readBackup, type CheckedBackup, type TableCounts } from '../store/backup.ts';

export { ImportCancelled };
export type { PendingImport, ProgressListener };
export type { ImportProgress } from '../import/client.ts';
export type { FilePreview, ImportPreview } from '../import/preview.ts';

export function previewFiles(files: File[], onProgress?: ProgressListener, signal?: AbortSignal): Promise<PendingImport> {
  return PendingImport.fromFiles(files, undefined, onProgress, signal);
}

export function previewText(text: string, name = 'pasted text', onProgress?: ProgressListener, signal?: AbortSignal): Promise<PendingImport> {
  return PendingImport.fromText(text, name, undefined, onProgress, signal);
}

/** "Reading a.json: 3,412 of 7,415 items", "Writing: 34,000 of 92,850 records". */
export function describeProgress(p: ImportProgress): string {
  const n = (x: number) => x.toLocaleString('en-US');
  if (p.phase === 'writing') return `Writing: ${n(p.done)} of ${n(p.total)} records`;
  const amount = p.unit === 'bytes' ? `${formatBytes(p.done)} of ${formatBytes(p.total)}` : `${n(p.done)} of ${n(p.total)} items`;
  return `Reading ${p.file}: ${amount}`;
}

export function describeAdded(added: ImportAdded): string {
  const parts = Object.entries(added).filter(([, n]) => n > 0).map(([k, n]) => (k === 'criteria' ? `criteria for ${n} stored cases` : `${n} ${k}`));
  return parts.length ? `Added ${parts.join(', ')}.` : 'Nothing new: everything in these files is already in the library.';
}

/** Saves the whole store as one JSON file through the browser's download. */
export async function downloadBackup(): Promise<string> {
  const name = `attune-backup-${new Date().toISOString().slice(0, 10)}.json`;
  saveBlob(await exportBackup(), name);
  return name;
}

function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export type { TableCounts };

/** A backup file that passed every check, with what the library holds now and would hold after. */
export interface RestorePlan {
  name: string;
  backup: CheckedBackup;
  now: TableCounts;
  after: TableCounts;
}

/** The library as it was just before a restore, kept in memory (until the tab closes) to undo it. */
export interface SafetyCopy {
  blob: Blob;
  savedAt: number;
  counts: TableCounts;
}

/** Reads and checks a backup file without changing anything; throws naming what is wrong. */
export async function checkBackup(file: File): Promise<RestorePlan> {
  const backup = await readBackup(file);
  return { name: file.name, backup, now: await countRecords(), after: backup.counts };
}

/** Copies the current library aside, then replaces it with the checked backup. */
export async function restoreBackup(plan: RestorePlan): Promise<SafetyCopy> {
  const copy: SafetyCopy = { blob: await exportBackup(), savedAt: Date.now(), counts: await countRecords() };
  await applyBackup(plan.backup);
  return copy;
}

/** Puts back the library a restore replaced. It is the app's own copy: restored as it was, even empty. */
export function undoRestore(copy: SafetyCopy): Promise<void> {
  return importBackup(copy.blob, undefined, { trusted: true });
}

export function downloadSafetyCopy(copy: SafetyCopy): void {
  saveBlob(copy.blob, `attune-before-restore-${new Date(copy.savedAt).toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
}
