// Reads and parses chosen files or pasted text off the main thread, twice: once for the preview
// (records are counted as they stream past and dropped), then on "apply" again, writing each
// chunk as it comes with the store's ImportWriter under a Web Lock that says the import is alive.
// Between the two only the files are kept (File objects: a handle, not their bytes), never their
// records; a JSON array is read in pieces (FileReaderSync), so a 100 MB export is never whole in
// memory. Protocol: ImportRequest / ImportReply in src/import/client.ts.
import { parseFiles, type InputFile, type ParseOptions, type ParseResult } from '../src/import/index.ts';
import { summarize } from '../src/import/preview.ts';
import type { ImportProgress, ImportReply, ImportRequest } from '../src/import/client.ts';
import { db, holdingImportLock, type ImportAdded } from '../src/store/db.ts';
import { countBundle } from '../src/domain/bundle.ts';

type Source = { kind: 'files'; files: File[] } | { kind: 'text'; text: string; name: string };

/** The files parsed for the preview, kept for the import. */
let inputs: InputFile[] | null = null;
let maxBytes: number | undefined;
let totalRecords = 0;

const PROGRESS_EVERY_MS = 150;
let lastProgress = 0;

function progress(p: ImportProgress, force = false): void {
  const now = performance.now();
  if (!force && now - lastProgress < PROGRESS_EVERY_MS) return;
  lastProgress = now;
  post({ kind: 'progress', progress: p });
}

function post(reply: ImportReply): void {
  self.postMessage(reply);
}

/** A chosen file, to be read in pieces as the parser asks for them. */
function inPieces(file: File): InputFile {
  const reader = new FileReaderSync();
  return { name: file.name, pieces: { size: file.size, read: (start, end) => new Uint8Array(reader.readAsArrayBuffer(file.slice(start, end))) } };
}

function read(from: Source): InputFile[] {
  if (from.kind === 'text') return [{ name: from.name, bytes: new TextEncoder().encode(from.text) }];
  return from.files.map(inPieces);
}

async function parse(files: InputFile[], options: ParseOptions): Promise<ParseResult> {
  // A criteria file may attach to sessions imported earlier: let the parser look them up.
  return parseFiles(files, { maxBytes, storedCases: (ids) => db.casesOfSessions(ids), ...options });
}

async function preview(source: Source): Promise<ImportReply> {
  const files = read(source);
  const { bundles, issues } = await parse(files, {
    sink: 'count', // counted in the bundles' `flushed`, never kept
    onProgress: (p) => progress({ phase: 'reading', ...p }, p.done === p.total),
  });
  // Files with an issue are left out of the import.
  const leftOut = new Set(issues.map((i) => i.file));
  inputs = files.filter((f) => !leftOut.has(f.name));
  // Records to write; `criteria` counts updates of cases, not records.
  totalRecords = bundles.reduce((n, b) => {
    const { criteria: _updates, ...records } = countBundle(b);
    return n + Object.values(records).reduce((a, c) => a + c, 0);
  }, 0);
  return { kind: 'preview', preview: summarize(bundles, issues) };
}

async function apply(importId: string): Promise<ImportAdded> {
  const writer = db.beginImport(importId);
  const report = () => progress({ phase: 'writing', done: writer.written, total: totalRecords, unit: 'records' });
  const timer = setInterval(report, PROGRESS_EVERY_MS);
  try {
    const files = inputs!;
    inputs = null;
    const { bundles, issues } = await parse(files, { sink: (chunk) => writer.write(chunk) });
    // Parsed the same way as for the preview, so this is not expected; refuse rather than write part.
    if (issues.length > 0) throw new Error(`${issues[0].file} (${issues[0].where}): ${issues[0].message}`);
    for (const bundle of bundles) await writer.write(bundle);
    const added = await writer.commit();
    progress({ phase: 'writing', done: totalRecords, total: totalRecords, unit: 'records' }, true);
    return added;
  } catch (error) {
    await writer.rollback();
    throw error;
  } finally {
    clearInterval(timer);
  }
}

async function handle(request: ImportRequest): Promise<ImportReply> {
  switch (request.kind) {
    case 'parseFiles':
    case 'parseText':
      maxBytes = request.options?.maxBytes;
      return preview(request.kind === 'parseFiles'
        ? { kind: 'files', files: request.files }
        : { kind: 'text', text: request.text, name: request.name });
    case 'apply': {
      if (!inputs) throw new Error('nothing was parsed to apply');
      return { kind: 'added', added: await holdingImportLock(request.importId, () => apply(request.importId)) };
    }
  }
}

self.onmessage = async (event: MessageEvent<ImportRequest>) => {
  let reply: ImportReply;
  try {
    reply = await handle(event.data);
  } catch (error) {
    reply = { kind: 'error', error: (error as Error)?.message ?? String(error) };
  }
  post(reply);
};
