// Parses chosen files or pasted text off the main thread and keeps the parsed bundles here: the
// page gets only the preview, and on "apply" this worker writes them with the store's
// applyImport (one transaction). Protocol: ImportRequest / ImportReply in src/import/client.ts.
import { parseFiles, parsePastedText, type ImportBundle } from '../src/import/index.ts';
import { summarize } from '../src/import/preview.ts';
import type { ImportReply, ImportRequest } from '../src/import/client.ts';
import { db } from '../src/store/db.ts';

let pending: ImportBundle[] | null = null;

async function handle(request: ImportRequest): Promise<ImportReply> {
  switch (request.kind) {
    case 'parseFiles':
    case 'parseText': {
      // A criteria file may attach to sessions imported earlier: let the parser look them up.
      const options = { ...request.options, storedCases: (ids: string[]) => db.casesOfSessions(ids) };
      const { bundles, issues } = request.kind === 'parseFiles'
        ? await parseFiles(request.files.map((f) => ({ name: f.name, bytes: new Uint8Array(f.buffer) })), options)
        : await parsePastedText(request.text, request.name, options);
      pending = bundles;
      return { kind: 'preview', preview: summarize(bundles, issues) };
    }
    case 'apply': {
      if (!pending) throw new Error('nothing was parsed to apply');
      const bundles = pending;
      pending = null;
      // This realm's own Dexie instance (opened on first use) on the same IndexedDB database.
      return { kind: 'added', added: await db.applyImport(bundles) };
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
  self.postMessage(reply);
};
