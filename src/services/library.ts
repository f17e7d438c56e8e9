// What the Library screen does with files: parse (in a worker) → preview → apply in one
// transaction; and backup/restore of the whole store. Parsing never writes, so a preview is free.
import { parseFilesInWorker } from '../import/client.ts';
import { parsePastedText } from '../import/index.ts';
import { countBundle, type ImportBundle, type ImportCounts, type ImportIssue } from '../import/bundle.ts';
import { db, type ImportAdded } from '../store/db.ts';
import { exportBackup, importBackup } from '../store/backup.ts';

export interface FilePreview {
  file: string;
  formats: string[];
  counts: ImportCounts;
  /** What the importer wants the user to know that is not an error (parts skipped, defaults). */
  notes: string[];
}

export interface Preview {
  bundles: ImportBundle[];
  files: FilePreview[];
  issues: ImportIssue[];
  total: ImportCounts;
}

const zero = (): ImportCounts => ({ people: 0, conversations: 0, messages: 0, memories: 0, personas: 0, cases: 0, candidates: 0 });

function add(into: ImportCounts, counts: ImportCounts): void {
  for (const k of Object.keys(into) as (keyof ImportCounts)[]) into[k] += counts[k];
}

/** Groups what was parsed by file, so the user sees what each file would add. */
export function summarize(bundles: ImportBundle[], issues: ImportIssue[]): Preview {
  const byFile = new Map<string, FilePreview>();
  const total = zero();
  for (const b of bundles) {
    const entry = byFile.get(b.file) ?? { file: b.file, formats: [], counts: zero(), notes: [] };
    if (!entry.formats.includes(b.format)) entry.formats.push(b.format);
    entry.notes.push(...(b.notes ?? []));
    const counts = countBundle(b);
    add(entry.counts, counts);
    add(total, counts);
    byFile.set(b.file, entry);
  }
  return { bundles, files: [...byFile.values()], issues, total };
}

export async function previewFiles(files: File[]): Promise<Preview> {
  const { bundles, issues } = await parseFilesInWorker(files);
  return summarize(bundles, issues);
}

export async function previewText(text: string, name = 'pasted text'): Promise<Preview> {
  const { bundles, issues } = await parsePastedText(text, name);
  return summarize(bundles, issues);
}

export function applyPreview(preview: Preview): Promise<ImportAdded> {
  return db.applyImport(preview.bundles);
}

export function describeAdded(added: ImportAdded): string {
  const parts = Object.entries(added).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
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
