// Browser side of importing. The parsed records never come to the page: a dedicated worker
// parses (the ArrayBuffers are transferred, not copied), keeps the bundles and answers only the
// preview; on Import it writes them itself with the store's applyImport (the same module, its own
// Dexie instance on the same database; Dexie tells the page's liveQueries about the change).
// So a 100 MB export is not structured-cloned back, not held twice, and the validation and the
// write run off the main thread. One worker per pending import, ended on apply or discard.
import type { ParseOptions } from './index.ts';
import type { ImportPreview } from './preview.ts';
import type { ImportAdded } from '../store/db.ts';

/** Page → worker. At most one parse per worker, then at most one apply. */
export type ImportRequest =
  | { kind: 'parseFiles'; files: { name: string; buffer: ArrayBuffer }[]; options?: ParseOptions }
  | { kind: 'parseText'; text: string; name: string; options?: ParseOptions }
  | { kind: 'apply' };

/** Worker → page: the answer to the last request. */
export type ImportReply =
  | { kind: 'preview'; preview: ImportPreview }
  | { kind: 'added'; added: ImportAdded }
  | { kind: 'error'; error: string };

/** A parsed import waiting for the user: its preview, and the worker that holds its records. */
export class PendingImport {
  private done = false;

  private constructor(private readonly worker: Worker, readonly preview: ImportPreview) {}

  /** Parses the files in a new worker; resolves once the preview is ready. */
  static async fromFiles(files: File[], options?: ParseOptions): Promise<PendingImport> {
    const buffers = await Promise.all(files.map(async (f) => ({ name: f.name, buffer: await f.arrayBuffer() })));
    return PendingImport.start({ kind: 'parseFiles', files: buffers, options }, buffers.map((f) => f.buffer));
  }

  /** Parses pasted text (parsePastedText) in a new worker. */
  static fromText(text: string, name = 'pasted text', options?: ParseOptions): Promise<PendingImport> {
    return PendingImport.start({ kind: 'parseText', text, name, options }, []);
  }

  private static async start(request: ImportRequest, transfer: Transferable[]): Promise<PendingImport> {
    const worker = new Worker(new URL('../../workers/import.worker.ts', import.meta.url), { type: 'module', name: 'import' });
    try {
      const reply = await ask(worker, request, transfer);
      if (reply.kind !== 'preview') throw new Error(`import worker answered "${reply.kind}" to a parse`);
      return new PendingImport(worker, reply.preview);
    } catch (error) {
      worker.terminate();
      throw error;
    }
  }

  /** Writes the parsed records in one transaction (nothing on any invalid record); ends the worker. */
  async apply(): Promise<ImportAdded> {
    if (this.done) throw new Error('This import was already applied or cancelled');
    this.done = true;
    try {
      const reply = await ask(this.worker, { kind: 'apply' }, []);
      if (reply.kind !== 'added') throw new Error(`import worker answered "${reply.kind}" to an apply`);
      return reply.added;
    } finally {
      this.worker.terminate();
    }
  }

  /** Drops the parsed records without writing anything. */
  discard(): void {
    this.done = true;
    this.worker.terminate();
  }
}

function ask(worker: Worker, request: ImportRequest, transfer: Transferable[]): Promise<ImportReply> {
  return new Promise<ImportReply>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<ImportReply>) => {
      if (event.data.kind === 'error') reject(new Error(`import worker failed: ${event.data.error}`));
      else resolve(event.data);
    };
    worker.onerror = (event) => reject(new Error(`import worker failed: ${event.message || 'it could not start'}`));
    worker.postMessage(request, transfer);
  });
}
