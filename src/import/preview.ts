// What the user sees before anything is written: per file, the formats found, how many records
// of each kind it would add, and the importer's notes. Pure, so the import worker builds it and
// only this small summary (not the parsed records) crosses to the page.
import { countBundle, type ImportBundle, type ImportCounts } from '../domain/bundle.ts';
import type { ImportIssue } from './issues.ts';

export interface FilePreview {
  file: string;
  formats: string[];
  counts: ImportCounts;
  /** What the importer wants the user to know that is not an error (parts skipped, defaults). */
  notes: string[];
}

export interface ImportPreview {
  files: FilePreview[];
  issues: ImportIssue[];
  total: ImportCounts;
  /** How many bundles were parsed: with none there is nothing to import. */
  bundleCount: number;
}

const zero = (): ImportCounts => ({ people: 0, conversations: 0, messages: 0, memories: 0, personas: 0, cases: 0, candidates: 0, criteria: 0 });

function add(into: ImportCounts, counts: ImportCounts): void {
  for (const k of Object.keys(into) as (keyof ImportCounts)[]) into[k] += counts[k];
}

/** Groups what was parsed by file, so the user sees what each file would add. */
export function summarize(bundles: ImportBundle[], issues: ImportIssue[]): ImportPreview {
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
  return { files: [...byFile.values()], issues, total, bundleCount: bundles.length };
}
