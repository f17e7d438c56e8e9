// The Library's import panel state: files or pasted text → preview (parsed in a worker, which
// keeps the records) → import on confirm. Nothing is written before the user confirms.
import { describeAdded, previewFiles, previewText, type PendingImport } from '../library.ts';
import { errorText } from './errors.ts';

export class ImportStore {
  // The parsed records stay in the import worker; the page holds only the summary and the
  // handle that applies or discards them. Raw: it is only ever replaced whole.
  pending = $state.raw<PendingImport | null>(null);
  preview = $derived(this.pending?.preview ?? null);
  busy = $state<string | null>(null);
  status = $state<string | null>(null);
  error = $state<string | null>(null);
  pasted = $state('');

  private async run(label: string, task: () => Promise<void>) {
    this.busy = label;
    this.error = null;
    this.status = null;
    try {
      await task();
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.busy = null;
    }
  }

  chooseFiles(files: File[]): void {
    if (!files.length) return;
    this.run(`Reading ${files.length === 1 ? files[0].name : `${files.length} files`}…`, async () => {
      this.setPending(await previewFiles(files));
    });
  }

  previewPasted(): void {
    this.run('Reading the pasted text…', async () => {
      this.setPending(await previewText(this.pasted));
    });
  }

  /** Shows a new preview; the one it replaces is dropped, so its worker and records go. */
  setPending(next: PendingImport | null): void {
    this.pending?.discard();
    this.pending = next;
  }

  confirm(): void {
    const current = this.pending;
    if (!current) return;
    this.run('Importing…', async () => {
      const added = await current.apply();
      this.pending = null;
      this.pasted = '';
      this.status = describeAdded(added);
    });
  }

  /** Leaving the screen drops an import not yet confirmed (its worker holds every parsed record). */
  dispose(): void {
    this.pending?.discard();
  }
}
