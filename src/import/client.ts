// Browser side of importing. The parsed records never come to the page, and never all exist at
// once: a dedicated worker reads the chosen files itself (a File crosses to it without a copy)
// and parses them once for the preview, counting records as they stream past (src/import/index.ts
// `sink`); on Import it parses them again, writing each chunk as it comes through the store's
// ImportWriter (the same module, its own Dexie instance on the same database; Dexie tells the
// page's liveQueries about the change). Both passes report progress. An import is all or
// nothing: its chunks stay in the store's journal until the commit, and a cancelled, killed or
// closed import is taken back (here on cancel, otherwise when the store next opens).
import type { ParseOptions } from './index.ts';
import type { ImportPreview } from './preview.ts';
import { db, holdingImportLock, type ImportAdded } from '../store/db.ts';

/** Page → worker. At most one parse per worker, then at most one apply. */
export type ImportRequest =
  | { kind: 'parseFiles'; files: File[]; options?: Pick<ParseOptions, 'maxBytes'> }
  | { kind: 'parseText'; text: string; name: string; options?: Pick<ParseOptions, 'maxBytes'> }
  | { kind: 'apply'; importId: string };

/** How far the current step has got: reading a file for the preview, or writing the records. */
export type ImportProgress =
  | { phase: 'reading'; file: string; done: number; total: number; unit: 'bytes' | 'items' }
  | { phase: 'writing'; done: number; total: number; unit: 'records' };

/** Worker → page: progress while working, then the answer to the last request. */
export type ImportReply =
  | { kind: 'progress'; progress: ImportProgress }
  | { kind: 'preview'; preview: ImportPreview }
  | { kind: 'added'; added: ImportAdded }
  | { kind: 'error'; error: string };

export type ProgressListener = (progress: ImportProgress) => void;

/** Thrown by `apply` (and the parse) when the user cancelled: nothing was written. */
export class ImportCancelled extends Error {
  constructor() {
    super('Import cancelled: nothing was written.');
    this.name = 'ImportCancelled';
  }
}

/** A parse or an import running in a worker, which can be cancelled at any point. */
export class ImportTask {
  private importId: string | null = null;
  private cancelled = false;
  private fail: ((error: Error) => void) | null = null;

  constructor(private readonly worker: Worker, public onProgress?: ProgressListener) {}

  /** Sends a request and resolves with the worker's final answer (progress goes to the listener). */
  ask(request: ImportRequest): Promise<Exclude<ImportReply, { kind: 'progress' }>> {
    if (this.cancelled) return Promise.reject(new ImportCancelled());
    if (request.kind === 'apply') this.importId = request.importId;
    return new Promise((resolve, reject) => {
      this.fail = reject;
      this.worker.onmessage = (event: MessageEvent<ImportReply>) => {
        const reply = event.data;
        if (reply.kind === 'progress') this.onProgress?.(reply.progress);
        else if (reply.kind === 'error') reject(new Error(`import worker failed: ${reply.error}`));
        else resolve(reply);
      };
      this.worker.onerror = (event) => reject(new Error(`import worker failed: ${event.message || 'it could not start'}`));
      this.worker.postMessage(request);
    });
  }

  /**
   * Stops the worker wherever it is. Chunks it already wrote are taken back before this
   * resolves, so the store is as it was before the import.
   */
  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    this.worker.terminate();
    this.fail?.(new ImportCancelled());
    if (this.importId) await takeBack(this.importId);
  }

  end(): void {
    this.worker.terminate();
  }
}

/** Waits until the import's lock is free (its worker is gone), then sweeps what it left. */
async function takeBack(importId: string): Promise<void> {
  await holdingImportLock(importId, async () => {});
  await db.sweepAbandonedImports();
}

/** A parsed import waiting for the user: its preview, and the worker that can write it. */
export class PendingImport {
  private done = false;

  private constructor(private readonly task: ImportTask, readonly preview: ImportPreview) {}

  /** Parses the files in a new worker; resolves once the preview is ready. */
  static fromFiles(files: File[], options?: Pick<ParseOptions, 'maxBytes'>, onProgress?: ProgressListener, signal?: AbortSignal): Promise<PendingImport> {
    return PendingImport.start({ kind: 'parseFiles', files, options }, onProgress, signal);
  }

  /** Parses pasted text (parsePastedText) in a new worker. */
  static fromText(text: string, name = 'pasted text', options?: Pick<ParseOptions, 'maxBytes'>, onProgress?: ProgressListener, signal?: AbortSignal): Promise<PendingImport> {
    return PendingImport.start({ kind: 'parseText', text, name, options }, onProgress, signal);
  }

  private static async start(request: ImportRequest, onProgress?: ProgressListener, signal?: AbortSignal): Promise<PendingImport> {
    const worker = new Worker(new URL('../../workers/import.worker.ts', import.meta.url), { type: 'module', name: 'import' });
    const task = new ImportTask(worker, onProgress);
    const cancel = () => { void task.cancel(); };
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      if (signal?.aborted) throw new ImportCancelled();
      const reply = await task.ask(request);
      if (reply.kind !== 'preview') throw new Error(`import worker answered "${reply.kind}" to a parse`);
      return new PendingImport(task, reply.preview);
    } catch (error) {
      task.end();
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  /**
   * Writes the records (all or nothing; nothing on any invalid record) and ends the worker.
   * The signal cancels it: whatever was written is taken back, and this rejects with ImportCancelled.
   */
  async apply(onProgress?: ProgressListener, signal?: AbortSignal): Promise<ImportAdded> {
    if (this.done) throw new Error('This import was already applied or cancelled');
    this.done = true;
    const task = this.task;
    task.onProgress = onProgress;
    let cancelling: Promise<void> | null = null;
    const onAbort = () => { cancelling = task.cancel(); };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) onAbort();
      const reply = await task.ask({ kind: 'apply', importId: crypto.randomUUID() });
      if (reply.kind !== 'added') throw new Error(`import worker answered "${reply.kind}" to an apply`);
      return reply.added;
    } catch (error) {
      // Resolve only once the cancelled import has been taken back.
      if (cancelling) await cancelling;
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      task.end();
    }
  }

  /** Drops the parsed import without writing anything. */
  discard(): void {
    this.done = true;
    this.task.end();
  }
}
