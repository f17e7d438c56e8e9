// The Library's import panel state: files or pasted text → preview (parsed in a worker) →
// import on confirm. Nothing is written before the user confirms; reading and importing show
// progress and can be cancelled, an import leaving the store as it was.
import {
  ImportCancelled, describeAdded, describeProgress, previewFiles, previewText, type ImportProgress, type PendingImport,
} from '../library.ts';
import { errorText } from './errors.ts';
import { StatusLine } from '../status-line.svelte.ts';

export class ImportStore {
  // The files stay with the import worker; the page holds only the summary and the handle that
  // applies or discards them. Raw: it is only ever replaced whole.
  pending = $state.raw<PendingImport | null>(null);
  preview = $derived(this.pending?.preview ?? null);
  busy = $state<string | null>(null);
  progress = $state.raw<ImportProgress | null>(null);
  progressText = $derived(this.progress ? describeProgress(this.progress) : null);
  #status = new StatusLine();
  /** What the last import added (or that it was cancelled), for a while. */
  get status(): string | null {
    return this.#status.text;
  }
  error = $state<string | null>(null);
  pasted = $state('');
  private controller: AbortController | null = null;

  private async run(label: string, task: (signal: AbortSignal) => Promise<void>) {
    this.busy = label;
    this.error = null;
    this.#status.done(null);
    this.progress = null;
    const controller = new AbortController();
    this.controller = controller;
    try {
      await task(controller.signal);
    } catch (e) {
      if (e instanceof ImportCancelled) this.#status.done(e.message);
      else this.error = errorText(e);
    } finally {
      this.busy = null;
      this.progress = null;
      this.controller = null;
    }
  }

  private readonly onProgress = (p: ImportProgress) => {
    this.progress = p;
  };

  chooseFiles(files: File[]): void {
    if (!files.length) return;
    this.run(`Reading ${files.length === 1 ? files[0].name : `${files.length} files`}…`, async (signal) => {
      this.setPending(await previewFiles(files, this.onProgress, signal));
    });
  }

  previewPasted(): void {
    this.run('Reading the pasted text…', async (signal) => {
      this.setPending(await previewText(this.pasted, undefined, this.onProgress, signal));
    });
  }

  /** Shows a new preview; the one it replaces is dropped, so its worker goes. */
  setPending(next: PendingImport | null): void {
    this.pending?.discard();
    this.pending = next;
  }

  confirm(): void {
    const current = this.pending;
    if (!current) return;
    this.run('Importing…', async (signal) => {
      try {
        const added = await current.apply(this.onProgress, signal);
        this.pasted = '';
        this.#status.done(describeAdded(added));
      } finally {
        this.pending = null;
      }
    });
  }

  /** Stops the reading or the import under way; an import's written records are taken back first. */
  cancel(): void {
    this.controller?.abort();
  }

  /** Leaving the screen stops what is under way and drops an import not yet confirmed. */
  dispose(): void {
    this.controller?.abort();
    this.pending?.discard();
  }
}
