// What the Library screen does with files: parse (in a worker, which keeps the records) →
// preview → apply (by that worker) in one transaction; and backup/restore of the whole store.
// Parsing never writes, so a preview is free.
import { PendingImport } from '../import/client.ts';
import type { ImportAdded } from '../store/db.ts';
import { exportBackup, importBackup } from '../store/backup.ts';

export type { PendingImport };
export type { FilePreview, ImportPreview } from '../import/preview.ts';

export function previewFiles(files: File[]): Promise<PendingImport> {
  return PendingImport.fromFiles(files);
}

export function previewText(text: string, name = 'pasted text'): Promise<PendingImport> {
  return PendingImport.fromText(text, name);
}

export function describeAdded(added: ImportAdded): string {
  const parts = Object.entries(added).filter(([, n]) => n > 0).map(([k, n]) => (k === 'criteria' ? `criteria for ${n} stored cases` : `${n} ${k}`));
  return parts.length ? `Added ${parts.join(', ')}.` : 'Nothing new: everything in these files is already in the library.';
}

/** Saves the whole store as one JSON file through the browser's download. */
export async function downloadBackup(): Promise<string> {
  const blob = await exportBackup();
  const name = `attune-backup-${new Date().toISOString().slice(0, 10)}.json`;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

export function restoreBackup(file: Blob): Promise<void> {
  return importBackup(file);
}
